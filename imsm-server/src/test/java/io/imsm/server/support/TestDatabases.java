package io.imsm.server.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Real databases for tests: H2 (as embedded in production) and PostgreSQL. PostgreSQL comes from
 * {@code IMSM_TEST_DATABASE_URL} (a superuser URL) when set; else the tests start one: a private
 * cluster from the machine's PostgreSQL binaries (as the {@code postgres} user when running as root,
 * since PostgreSQL refuses to run as root), or zonky's embedded PostgreSQL. Each call gets a fresh
 * database, so tests never see each other's rows.
 */
public final class TestDatabases {
    public enum Kind { H2, POSTGRES }

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static String pgAdminUrl;
    private static String pgUser = "postgres";
    private static String pgPassword = "";

    private TestDatabases() {}

    public record Db(Kind kind, String url, String username, String password) {}

    public static Db fresh(Kind kind) {
        return kind == Kind.H2 ? h2() : postgres();
    }

    public static Db h2() {
        return new Db(Kind.H2, "jdbc:h2:mem:t" + UUID.randomUUID().toString().replace("-", "")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1", "", "");
    }

    public static synchronized Db postgres() {
        if (pgAdminUrl == null) {
            startPostgres();
        }
        String name = "imsm_t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(pgAdminUrl, pgUser, pgPassword); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + pgAdminUrl + ": " + e.getMessage(), e);
        }
        int slash = pgAdminUrl.lastIndexOf('/');
        int q = pgAdminUrl.indexOf('?', slash);
        String url = pgAdminUrl.substring(0, slash + 1) + name + (q < 0 ? "" : pgAdminUrl.substring(q));
        return new Db(Kind.POSTGRES, url, pgUser, pgPassword);
    }

    private static void startPostgres() {
        String env = System.getenv("IMSM_TEST_DATABASE_URL");
        if (env != null && !env.isBlank()) {
            // jdbc:postgresql://host:port/db?user=..&password=.. ; credentials may sit in the URL
            pgAdminUrl = env;
            pgUser = System.getenv().getOrDefault("IMSM_TEST_DATABASE_USER", "postgres");
            pgPassword = System.getenv().getOrDefault("IMSM_TEST_DATABASE_PASSWORD", "");
            return;
        }
        Path bin = systemPostgresBin();
        if (bin != null) {
            startPrivateCluster(bin);
            return;
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException ignored) {
                    // the JVM is going away anyway
                }
            }));
            pgAdminUrl = pg.getJdbcUrl("postgres", "postgres");
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL for tests: set IMSM_TEST_DATABASE_URL, install PostgreSQL, "
                    + "or run as a non-root user so embedded PostgreSQL can start: " + e.getMessage(), e);
        }
    }

    private static Path systemPostgresBin() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(base)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(Path::toString)).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static void startPrivateCluster(Path bin) {
        try {
            boolean root = "root".equals(System.getProperty("user.name"));
            Path dir = Files.createTempDirectory("imsm-pg");
            Path data = dir.resolve("data");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            if (root) {
                UserPrincipal pgUserPrincipal = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                Files.setOwner(dir, pgUserPrincipal);
            }
            run(root, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8", "--locale=C");
            run(root, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("log").toString(), "-w",
                    "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
                    "start");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    run(root, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "stop");
                    try (Stream<Path> files = Files.walk(dir)) {
                        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                } catch (Exception ignored) {
                    // best effort at JVM exit
                }
            }));
            pgAdminUrl = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not start a private PostgreSQL from " + bin + ": " + e.getMessage(), e);
        }
    }

    private static void run(boolean asPostgres, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
