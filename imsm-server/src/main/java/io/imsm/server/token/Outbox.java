package io.imsm.server.token;

import io.imsm.server.access.CatalogService;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.TokenSessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Delivers messages to services until they confirm (KEY-EXCHANGE.md §5: "IMS retries until S
 * confirms"). Backoff doubles from 5 s up to 10 minutes. A revocation for a service that left the
 * catalog is dropped.
 */
public final class Outbox {
    public static final String REVOKE = "revoke";
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private final Database db;
    private final TokenSessionStore store;
    private final CatalogService catalog;
    private final KeyExchangeClient kx;
    private final Clock clock;

    public Outbox(Database db, TokenSessionStore store, CatalogService catalog, KeyExchangeClient kx, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.catalog = Objects.requireNonNull(catalog);
        this.kx = Objects.requireNonNull(kx);
        this.clock = Objects.requireNonNull(clock);
    }

    /** Delivers what is due; returns how many were confirmed. */
    public synchronized int deliverDue() {
        int ok = 0;
        for (TokenSessionStore.OutboxRow m : db.read(h -> store.due(h, clock.instant(), 50))) {
            Instant now = clock.instant();
            String error;
            try {
                var svc = catalog.find(m.target());
                if (svc.isEmpty() || svc.get().kxUrl() == null) {
                    db.inTransaction(h -> { store.delivered(h, m.id(), now); return null; });
                    continue;
                }
                if (kx.revoke(svc.get(), m.payload())) {
                    db.inTransaction(h -> { store.delivered(h, m.id(), now); return null; });
                    ok++;
                    continue;
                }
                error = "service refused the revocation";
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            long delay = Math.min(600, 5L << Math.min(m.attempts(), 7));
            String err = error;
            db.inTransaction(h -> { store.failed(h, m.id(), now.plus(Duration.ofSeconds(delay)), err); return null; });
            LOG.atWarn().addKeyValue("service", m.target()).addKeyValue("attempt", m.attempts() + 1)
                    .addKeyValue("retry_in_s", delay).log("revocation not confirmed yet");
        }
        return ok;
    }

    public int pending() {
        return db.read(store::pending);
    }
}
