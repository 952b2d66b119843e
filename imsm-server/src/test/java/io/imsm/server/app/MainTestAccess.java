package io.imsm.server.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Runs the `apply` command in-process with a given environment, as the CLI would. */
public final class MainTestAccess {
    private MainTestAccess() {}

    public static String apply(Path file, String url, String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ApplyCommand command = new ApplyCommand(Map.of("IMSM_TOKEN", token), new PrintStream(out, true, StandardCharsets.UTF_8));
        picocli.CommandLine cli = new picocli.CommandLine(command);
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("imsm: " + e.getMessage());
            return 2;
        });
        int code = cli.execute("-f", file.toString(), "--url", url);
        return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + "exit=" + code;
    }
}
