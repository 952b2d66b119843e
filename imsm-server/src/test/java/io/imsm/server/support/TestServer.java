package io.imsm.server.support;

import io.imsm.testing.MutableClock;
import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.app.ImsmServer;
import io.imsm.server.identity.Bootstrap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The real server on a random port, with a test clock and a chosen database. Argon2 runs with small
 * parameters (the cost is a config value; the algorithm and code path are the production ones).
 */
public final class TestServer implements AutoCloseable {
    public static final String BOOTSTRAP_TOKEN = "test-bootstrap-token-0123456789abcdef0123";

    public final MutableClock clock;
    public final ImsmServer server;
    public final Path dataDir;
    public final String console;
    public final TestDatabases.Db db;
    /** The environment the server was started with (IMSM_KEK among it). */
    public final Map<String, String> env;

    private TestServer(MutableClock clock, ImsmServer server, Path dataDir, String console, TestDatabases.Db db,
                       Map<String, String> env) {
        this.clock = clock;
        this.server = server;
        this.dataDir = dataDir;
        this.console = console;
        this.db = db;
        this.env = Map.copyOf(env);
    }

    public static TestServer start(TestDatabases.Kind kind) {
        return start(kind, Map.of());
    }

    /** @param overrides extra config keys (dotted), e.g. {@code login.max_failures_per_account → 3} */
    public static TestServer start(TestDatabases.Kind kind, Map<String, String> overrides) {
        return start(kind, overrides, Map.of());
    }

    /** @param extraEnv environment variables the server reads besides the test KEK and bootstrap token */
    public static TestServer start(TestDatabases.Kind kind, Map<String, String> overrides, Map<String, String> extraEnv) {
        byte[] kek = new byte[32];
        new java.security.SecureRandom().nextBytes(kek);
        Map<String, String> env = new HashMap<>(Map.of("IMSM_BOOTSTRAP_TOKEN", BOOTSTRAP_TOKEN,
                "IMSM_KEK", Base64.getEncoder().encodeToString(kek)));
        env.putAll(extraEnv);
        try {
            return start(TestDatabases.fresh(kind), Files.createTempDirectory("imsm-test"), overrides, env);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A server on a given database and data directory with exactly the given environment (e.g. to
     * start again on the same data, or without IMSM_KEK). The config override keys win over the test defaults.
     */
    public static TestServer start(TestDatabases.Db db, Path data, Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> o = new HashMap<>();
        o.put("server.port", "0");
        o.put("data_dir", data.toString());
        o.put("database.url", db.url());
        o.put("database.username", db.username());
        o.put("database.password", db.password());
        o.put("database.pool_size", "4");
        o.put("passwords.argon2_memory_kib", "1024");
        o.put("passwords.argon2_iterations", "1");
        o.put("login.attempts_per_ip_per_minute", "10000");
        o.putAll(overrides);
        Config cfg = ConfigLoader.load(Optional.empty(), Map.of(), o);
        MutableClock clock = MutableClock.startingNow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImsmServer server = ImsmServer.start(cfg, clock, env, new PrintStream(out, true, StandardCharsets.UTF_8));
        return new TestServer(clock, server, data, out.toString(StandardCharsets.UTF_8), db, env);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The HTTPS listener ({@code tls.port}); the server must have been started with one. */
    public String tlsBaseUrl() {
        if (server.tlsPort() < 0) {
            throw new IllegalStateException("started without tls.port");
        }
        return "https://127.0.0.1:" + server.tlsPort();
    }

    public Bootstrap.BootstrapAdmin bootstrapAdmin() {
        return server.bootstrapAdmin().orElseThrow();
    }

    /** A new client with its own cookie jar, like a separate browser. */
    public Http client() {
        return new Http(baseUrl());
    }

    @Override
    public void close() {
        server.close();
    }
}
