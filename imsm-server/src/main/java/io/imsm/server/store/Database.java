package io.imsm.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** The connection pool, schema migrations and the JDBI entry point. Services open transactions here. */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final boolean postgres;
    /** Work queued and values kept per open transaction (handles compare by identity). */
    private final Map<Handle, Tx> open = new ConcurrentHashMap<>();

    /** What an open transaction carries: its before-commit tasks and its {@link #transactionLocal} values. */
    private record Tx(List<Runnable> tasks, Map<Object, Object> locals) {}

    private final GroupCommit groupCommit = new GroupCommit(this);

    /** The embedded H2 database's page cache, in KiB, unless the URL sets CACHE_SIZE itself. */
    static final int H2_CACHE_KIB = 2048;

    private Database(HikariDataSource dataSource, boolean postgres) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
        this.postgres = postgres;
    }

    public static Database open(String jdbcUrl, String username, String password, int poolSize) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(jdbcUrl);
        if (username != null && !username.isBlank()) {
            hc.setUsername(username);
        }
        if (password != null && !password.isBlank()) {
            hc.setPassword(password);
        }
        hc.setMaximumPoolSize(poolSize);
        hc.setMinimumIdle(Math.min(2, poolSize));
        hc.setPoolName("imsm-db");
        hc.setConnectionTimeout(10_000);
        hc.setInitializationFailTimeout(10_000);
        hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        if (jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.toUpperCase(Locale.ROOT).contains("QUERY_CACHE_SIZE")) {
            // H2 keeps parsed statements per connection in an LRU of 8 by default; one token request runs
            // about a dozen distinct statements on a connection, so each lookup missed and every statement
            // was parsed again (about 5 % of the CPU under issuance load). Parsed commands are reused
            // only when still valid (H2 re-checks the schema version), so this changes no result.
            hc.addDataSourceProperty("QUERY_CACHE_SIZE", "128");
        }
        if (jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.toUpperCase(Locale.ROOT).contains(";CACHE_SIZE")) {
            // H2's page cache (16 MB with our heap) takes in every page each commit writes, so under
            // issuance load its pages lived a few seconds: long enough to be promoted, then dead in the
            // old generation, which filled every 10-20 s (a full collection of about 100 ms each time,
            // the issuance p99). The tables a server reads on the hot path fit in far less; with 2 MB
            // the written pages die young and the live heap is about 6 MB smaller (docs/benchmarks.md).
            hc.addDataSourceProperty("CACHE_SIZE", String.valueOf(H2_CACHE_KIB));
        }
        return new Database(new HikariDataSource(hc), jdbcUrl.startsWith("jdbc:postgresql:"));
    }

    /** Where the migrations are, on the class path. */
    static final String MIGRATIONS = "db/migration";

    /**
     * Applies pending migrations (the same scripts on H2 and PostgreSQL) through Flyway, validating
     * the applied ones first; {@code imsm migrate} and the commands that run offline. Returns how many ran.
     */
    public int migrate() {
        return migrate(Database.class.getClassLoader(), MIGRATIONS);
    }

    /**
     * {@link #migrate()} for a server's start: nothing at all when the schema history already records
     * exactly the bundled migrations with their checksums (one query; decision 0020), else Flyway,
     * which applies a new migration or refuses a changed one as before. Returns how many ran.
     */
    public int migrateAtStart() {
        return migrateAtStart(Database.class.getClassLoader(), MIGRATIONS);
    }

    int migrateAtStart(ClassLoader loader, String location) {
        return BundledMigrations.applied(dataSource, loader, location) ? 0 : migrate(loader, location);
    }

    int migrate(ClassLoader loader, String location) {
        return Flyway.configure(loader)
                .dataSource(dataSource)
                .locations("classpath:" + location)
                .load()
                .migrate().migrationsExecuted;
    }

    public <R, X extends Exception> R inTransaction(HandleCallback<R, X> work) throws X {
        // READ COMMITTED is every pooled connection's level (set in the pool, restored by it on return), so
        // no level is passed here: JDBI would read the connection's level and set it twice per transaction,
        // which on PostgreSQL are three round trips (SHOW and SET) around every transaction.
        return jdbi.inTransaction(h -> {
            List<Runnable> tasks = new ArrayList<>();
            open.put(h, new Tx(tasks, new HashMap<>()));
            try {
                R result = work.withHandle(h);
                // indexed: a task may add another
                for (int i = 0; i < tasks.size(); i++) {
                    tasks.get(i).run();
                }
                return result;
            } finally {
                open.remove(h);
            }
        });
    }

    /**
     * Runs {@code write} in a transaction it may share with writes of other threads that arrive at
     * the same time ({@link GroupCommit}); returns once it committed, throws what it threw. For small
     * frequent writes that need no result; call it holding no connection.
     */
    public void inGroupCommit(GroupCommit.Write write) {
        groupCommit.run(write);
    }

    GroupCommit groupCommit() {
        return groupCommit;
    }

    /**
     * Runs {@code task} in {@code h}'s transaction after the work and just before the commit, when
     * {@code h} is a transaction this class opened; answers false (and runs nothing) otherwise. The
     * audit log appends there, so its chain lock is taken last and held only until the commit.
     */
    public boolean beforeCommit(Handle h, Runnable task) {
        Tx tx = open.get(h);
        if (tx == null) {
            return false;
        }
        tx.tasks().add(Objects.requireNonNull(task));
        return true;
    }

    /**
     * The value kept under {@code key} for {@code h}'s transaction, made by {@code initial} on the first
     * ask and dropped when the transaction ends (committed or not); null when {@code h} is not a
     * transaction this class opened. A transaction runs on one thread at a time, so the value needs
     * no locking. The audit log keeps the chain's head there once it holds the chain's lock.
     */
    @SuppressWarnings("unchecked")
    public <T> T transactionLocal(Handle h, Object key, Supplier<T> initial) {
        Tx tx = open.get(h);
        return tx == null ? null : (T) tx.locals().computeIfAbsent(key, k -> Objects.requireNonNull(initial.get()));
    }

    public <R, X extends Exception> R read(HandleCallback<R, X> work) throws X {
        return jdbi.withHandle(work);
    }

    public boolean isReachable() {
        try {
            return jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    public boolean isPostgres() { return postgres; }

    public DataSource dataSource() { return dataSource; }

    @Override
    public void close() {
        dataSource.close();
    }
}
