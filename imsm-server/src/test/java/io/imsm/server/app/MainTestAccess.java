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

    /** Runs {@code imsm audit verify ARGS} in-process with the given environment; returns its output and exit code. */
    public static String auditVerify(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new AuditCommand.Verify(env, new PrintStream(out, true, StandardCharsets.UTF_8)), out, args);
    }

    /** Runs {@code imsm audit export ARGS} in-process with the given environment; returns its output and exit code. */
    public static String auditExport(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new AuditCommand.Export(env, new PrintStream(out, true, StandardCharsets.UTF_8)), out, args);
    }

    private static String run(Object command, ByteArrayOutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine cli = new picocli.CommandLine(command);
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("imsm: " + e.getMessage());
            return 2;
        });
        int code = cli.execute(args);
        return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + "exit=" + code;
    }

    /** Runs {@code imsm keys rotate --url URL} in-process with the token; returns its output and exit code. */
    public static String keysRotate(String url, String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new KeysCommand.Rotate(Map.of("IMSM_TOKEN", token), new PrintStream(out, true, StandardCharsets.UTF_8)), out,
                "--url", url);
    }

    /** Runs {@code imsm svc ARGS} in-process; returns its output and exit code. */
    public static String svc(String... args) {
        return run(new SvcCommand(), new ByteArrayOutputStream(), args);
    }
}
