package io.imsm.server.app;

import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.ImsmException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof ImsmException ie) {
                        cmd.getErr().println("imsm: " + ie.getMessage());
                        return 2;
                    }
                    cmd.getErr().println("imsm: could not start: " + e.getMessage()
                            + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
                    return 1;
                })
                .execute(args);
        if (code != 0) {
            System.exit(code);
        }
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
        @Override
        public Integer call() throws InterruptedException {
            StartupWarmup.start();
            Config cfg = load();
            Logging.configure(cfg.log().format());
            ImsmServer server = ImsmServer.start(cfg, Clock.systemUTC(), System.getenv(), System.out).ownProcess();
            StartupWarmup.afterListening();
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
