package io.imsm.server.token;

import io.imsm.server.access.CatalogService;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.kx.KeyExchangeException;
import io.imsm.server.store.Database;
import io.imsm.server.store.TokenSessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Delivers messages to services until they confirm (KEY-EXCHANGE.md §5: "IMS retries until S
 * confirms"). Each service has its own delivery task on a virtual thread, at most one at a time, so
 * a slow or dead service delays only its own messages: every call has the key-exchange deadline,
 * and the others are delivered meanwhile. Backoff doubles from 5 s up to 10 minutes. A revocation
 * for a service that left the catalog is dropped.
 */
public final class Outbox implements AutoCloseable {
    public static final String REVOKE = "revoke";
    /** Services started per round and messages per service per task: a backlog drains over rounds. */
    static final int TARGETS_PER_ROUND = 200;
    static final int MESSAGES_PER_TASK = 50;
    /** How long a claimed message is out of other instances' reach: beyond one call's deadline (kx.timeout_seconds, at most 60 s). */
    static final Duration LEASE = Duration.ofSeconds(120);
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private final Database db;
    private final TokenSessionStore store;
    private final CatalogService catalog;
    private final KeyExchangeClient kx;
    private final Clock clock;
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("imsm-outbox-", 0).factory());

    public Outbox(Database db, TokenSessionStore store, CatalogService catalog, KeyExchangeClient kx, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.catalog = Objects.requireNonNull(catalog);
        this.kx = Objects.requireNonNull(kx);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Starts a delivery task for every service with messages due that has none running; returns at
     * once with the number of tasks started.
     */
    public int deliverDue() {
        int started = 0;
        for (String target : db.read(h -> store.dueTargets(h, clock.instant(), TARGETS_PER_ROUND))) {
            if (!busy.add(target)) {
                continue; // its task is still at work; it picks up what is due when next started
            }
            try {
                workers.execute(() -> {
                    try {
                        deliverTo(target);
                    } catch (RuntimeException e) {
                        LOG.atWarn().setCause(e).addKeyValue("service", target).log("outbox delivery failed; will retry");
                    } finally {
                        busy.remove(target);
                    }
                });
                started++;
            } catch (RejectedExecutionException e) {
                busy.remove(target); // shutting down
            }
        }
        return started;
    }

    /**
     * Delivers one service's due messages in order; stops at the first it cannot reach. Each message
     * is claimed first ({@link TokenSessionStore#claimDue}, a short transaction, no lock held during the
     * call), so with several IMSM instances on one database each attempt is made by one instance only,
     * and a purge never waits behind a delivery.
     */
    private void deliverTo(String target) {
        var svc = catalog.find(target);
        for (int i = 0; i < MESSAGES_PER_TASK; i++) {
            Instant now = clock.instant();
            var claimed = db.inTransaction(h -> store.claimDue(h, target, now, now.plus(LEASE), db.isPostgres()));
            if (claimed.isEmpty()) {
                return;
            }
            TokenSessionStore.OutboxRow m = claimed.get();
            if (svc.isEmpty() || svc.get().kxUrl() == null) {
                db.inTransaction(h -> { store.delivered(h, m.id(), clock.instant()); return null; });
                continue;
            }
            try {
                kx.revoke(svc.get(), m.payload());
                db.inTransaction(h -> { store.delivered(h, m.id(), clock.instant()); return null; });
            } catch (KeyExchangeException e) {
                long delay = Math.min(600, 5L << Math.min(m.attempts(), 7));
                Instant next = clock.instant().plus(Duration.ofSeconds(delay));
                db.inTransaction(h -> { store.failed(h, m.id(), next, e.getMessage()); return null; });
                LOG.atWarn().addKeyValue("service", target).addKeyValue("attempt", m.attempts() + 1)
                        .addKeyValue("retry_in_s", delay).log("revocation not confirmed yet");
                if (e.kind() == KeyExchangeException.Kind.UNREACHABLE) {
                    return; // the rest would wait out the same deadline; they stay due for the next round
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /** Services with a delivery task running now. */
    public int inFlight() {
        return busy.size();
    }

    /** Stops the delivery tasks (their calls are interrupted); undelivered messages stay for the next start. */
    @Override
    public void close() {
        workers.shutdownNow();
    }
}
