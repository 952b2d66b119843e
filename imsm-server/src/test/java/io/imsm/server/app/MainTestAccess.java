package io.imsm.server.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Runs the `apply` command in-process with a given environment, as the CLI would. */
public final class MainTestAccess {
    private MainTestAccess() {}

    /** Runs {@code imsm kek rotate ARGS} in-process with the given environment; returns its output and exit code. */
    public static String kekRotate(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine cli = new picocli.CommandLine(new KekCommand.Rotate(env, new PrintStream(out, true, StandardCharsets.UTF_8)));
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("imsm: " + e.getMessage());
            return 2;
        });
        int code = cli.execute(args);
        return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + "exit=" + code;
    }

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

    /** Runs {@code imsm svc ARGS} in-process; returns its error output and exit code. */
    public static String svc(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine cli = new picocli.CommandLine(new SvcCommand());
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("imsm: " + e.getMessage());
            return 2;
        });
        int code = cli.execute(args);
        return err.toString(StandardCharsets.UTF_8) + "exit=" + code;
    }
}
