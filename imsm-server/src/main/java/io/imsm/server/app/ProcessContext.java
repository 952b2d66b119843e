package io.imsm.server.app;

import io.imsm.server.config.Config;
import io.imsm.server.ErrorCode;
import io.imsm.server.Health;
import io.imsm.server.ImsmException;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.store.Database;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Process-wide things, built once: config, clock, the one SecureRandom, the database pool, the
 * key-encryption key, metrics. The server, the CLI and the tests all build it the same way.
 */
public final class ProcessContext implements AutoCloseable {
    private final Config config;
    private final Clock clock;
    private final SecureRandom random;
    private final Database database;
    private final KeyEncryptionKey kek;
    private final PrometheusMeterRegistry metrics;
    private final Optional<String> bootstrapToken;
    private final Health health = new Health();
    private final Optional<String> metricsToken;
    /** Held for the embedded H2 database only: PostgreSQL is shared by design between IMSM instances. */
    private final Optional<DataDirLock> dataDirLock;

    public ProcessContext(Config config, Clock clock, SecureRandom random, Map<String, String> env) {
        this.config = Objects.requireNonNull(config);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        String token = env.get("IMSM_BOOTSTRAP_TOKEN");
        if (token != null && !token.isBlank() && token.length() < 32) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "IMSM_BOOTSTRAP_TOKEN must be at least 32 characters");
        }
        this.bootstrapToken = Optional.ofNullable(token).filter(t -> !t.isBlank());
        String metricsToken = env.get("IMSM_METRICS_TOKEN");
        if (metricsToken != null && !metricsToken.isBlank() && metricsToken.length() < 32) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "IMSM_METRICS_TOKEN must be at least 32 characters");
        }
        this.metricsToken = Optional.ofNullable(metricsToken).filter(t -> !t.isBlank());
        String envKek = env.get("IMSM_KEK");
        boolean embedded = config.database().url() == null || config.database().url().isBlank();
        if (embedded || envKek == null || envKek.isBlank()) {
            DataDirectory.secure(config.dataPath());
        }
        // Before anything else touches the directory: a second IMSM would race on the KEK file and H2.
        this.dataDirLock = config.isPostgres() ? Optional.empty() : Optional.of(DataDirLock.acquire(config.dataPath()));
        try {
            this.kek = KeyEncryptionKey.load(envKek, config.dataPath(), random);
            this.database = Database.open(config.jdbcUrl(), config.database().username(), config.database().password(),
                    config.database().poolSize());
        } catch (RuntimeException e) {
            dataDirLock.ifPresent(DataDirLock::close);
            throw e;
        }
        if (embedded) {
            DataDirectory.secureDatabaseFiles(config.dataPath());
        }
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    public Config config() { return config; }
    public Clock clock() { return clock; }
    public SecureRandom random() { return random; }
    public Database database() { return database; }
    public KeyEncryptionKey kek() { return kek; }
    public PrometheusMeterRegistry metrics() { return metrics; }
    public Optional<String> bootstrapToken() { return bootstrapToken; }
    public Health health() { return health; }
    /** The bearer token {@code /metrics} asks for ({@code IMSM_METRICS_TOKEN}); empty = off on the main port. */
    public Optional<String> metricsToken() { return metricsToken; }

    @Override
    public void close() {
        database.close();
        metrics.close();
        dataDirLock.ifPresent(DataDirLock::close);
    }
}
