package io.imsm.server.app;

import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.ImsmException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The {@code imsm} command line. */
@Command(name = "imsm", mixinStandardHelpOptions = true, version = "IMSM 0.1.0",
        description = "IMSM, the Identity Manager for Service Meshes.",
        subcommands = {Main.Serve.class, Main.Migrate.class, ApplyCommand.class, KekCommand.class, KeysCommand.class, Main.Admin.class,
                Main.Demo.class, AuditCommand.class, SvcCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        Serve plain = Serve.plain(args);
        int code = plain != null ? runPlain(plain) : new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd.getErr()))
                .execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** {@code serve} without picocli: building its model of the commands costs a third of a second of every start. */
    private static int runPlain(Serve serve) {
        try {
            return serve.call();
        } catch (Exception e) {
            PrintWriter err = new PrintWriter(System.err, true);
            return failed(e, err);
        }
    }

    /** What a command that failed prints, and its exit code: 2 for a refusal of ours, 1 otherwise. */
    private static int failed(Exception e, PrintWriter err) {
        if (e instanceof ImsmException ie) {
            err.println("imsm: " + ie.getMessage());
            return 2;
        }
        err.println("imsm: could not start: " + e.getMessage()
                + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
        return 1;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static class Common {
        @Option(names = "--config", description = "YAML configuration file") Path config;
        @Option(names = "--port", description = "port to listen on (overrides server.port)") Integer port;
        @Option(names = "--data", description = "data directory (overrides data_dir)") Path data;

        Config load() {
            return ConfigLoader.load(Optional.ofNullable(config), System.getenv(), overrides());
        }

        Map<String, String> overrides() {
            Map<String, String> overrides = new LinkedHashMap<>();
            if (port != null) {
                overrides.put("server.port", port.toString());
            }
            if (data != null) {
                overrides.put("data_dir", data.toString());
            }
            return overrides;
        }
    }

    @Command(name = "serve", description = "Start the IMSM server.")
    static final class Serve extends Common implements Callable<Integer> {
        /**
         * {@code serve} whose options are only {@code --config}, {@code --port} and {@code --data}, each
         * at most once with a plain value (as the launcher and most service units write it), read
         * without picocli; null for anything else (help, {@code --port=N}, a bad value, an unknown
         * option), which picocli then parses and reports on as before. ServeCommandTest holds both
         * parsers to the same result.
         */
        static Serve plain(String[] args) {
            if (args.length == 0 || !"serve".equals(args[0]) || args.length % 2 == 0) {
                return null;
            }
            Serve serve = new Serve();
            try {
                for (int i = 1; i < args.length; i += 2) {
                    String value = args[i + 1];
                    if (value.isEmpty() || value.startsWith("-")) {
                        return null;
                    }
                    switch (args[i]) {
                        case "--config" -> {
                            if (serve.config != null) {
                                return null;
                            }
                            serve.config = Path.of(value);
                        }
                        case "--data" -> {
                            if (serve.data != null) {
                                return null;
                            }
                            serve.data = Path.of(value);
                        }
                        case "--port" -> {
                            if (serve.port != null || !value.matches("[0-9]{1,5}")) {
                                return null;
                            }
                            serve.port = Integer.valueOf(value);
                        }
                        default -> {
                            return null;
                        }
                    }
                }
            } catch (java.nio.file.InvalidPathException e) {
                return null;
            }
            return serve;
        }

        @Override
        public Integer call() throws InterruptedException {
            StartupWarmup.start();
            Config cfg = load();
            Logging.configure(cfg.log().format());
            ImsmServer server = ImsmServer.start(cfg, Clock.systemUTC(), System.getenv(), System.out).ownProcess();
            System.out.println("IMSM is listening on " + server.baseUrl() + " (database: "
                    + (cfg.isPostgres() ? "PostgreSQL" : "embedded H2 in " + cfg.dataPath()) + ")");
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "imsm-shutdown"));
            stopped.await();
            return 0;
        }
    }

    @Command(name = "migrate", description = "Apply database migrations and exit.")
    static final class Migrate extends Common implements Callable<Integer> {
        @Override
        public Integer call() {
            Config cfg = load();
            Logging.configure(cfg.log().format());
            try (ProcessContext ctx = new ProcessContext(cfg, Clock.systemUTC(), new SecureRandom(), System.getenv())) {
                int n = ctx.database().migrate();
                System.out.println("Applied " + n + " migration(s).");
            }
            return 0;
        }
    }

    @Command(name = "admin", description = "Account rescue from the server's machine.",
            subcommands = ResetPassword.class, mixinStandardHelpOptions = true)
    static final class Admin implements Runnable {
        @Override
        public void run() {
            new CommandLine(this).usage(System.out);
        }
    }

    @Command(name = "reset-password", mixinStandardHelpOptions = true,
            description = {"Give USERNAME a new one-time password (printed once; to be changed at the next login).",
                    "Works offline on the data directory or database (stop an H2-based server first); audited."})
    static final class ResetPassword extends Common implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "USERNAME", description = "the account, e.g. admin") String username;

        @Override
        public Integer call() {
            Config cfg = load();
            Logging.configure(cfg.log().format());
            try (ProcessContext ctx = new ProcessContext(cfg, Clock.systemUTC(), new SecureRandom(), System.getenv())) {
                Wiring wiring = new Wiring(ctx, cfg.publicUri().toString());
                ctx.database().migrate();
                var reset = wiring.bootstrap().resetPassword(username);
                // To the console only, like the bootstrap admin's: never to the log.
                System.out.println("New one-time password for " + reset.username() + ": " + reset.oneTimePassword());
                System.out.println("It must be changed at the next login; the account's browser sessions were ended.");
            }
            return 0;
        }
    }

    /** Listed for --help; {@code ./imsm demo} itself runs the example module's jar (see the launcher). */
    @Command(name = "demo", description = "IMSM + the transaction-search demo service + demo people (run through ./imsm).")
    static final class Demo implements Callable<Integer> {
        @Override
        public Integer call() {
            System.err.println("imsm: `demo` runs through the ./imsm launcher, which starts the demo module: ./imsm demo [--port N] [--data DIR]");
            return 2;
        }
    }
}
