package io.imsm.server.audit;

import io.imsm.server.model.AuditEvent;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Objects;

/** Writes audit events in the caller's transaction and mirrors them to the structured log. */
public final class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger("imsm.audit");
    static final int MAX_DETAIL = 1000;
    private final AuditStore store;
    private final Clock clock;
    private final Listener listener;

    /**
     * Hears every recorded event in the transaction that records it (the event outbox turns some into
     * notifications). A listener that throws rolls the change back, as a failed audit insert does.
     */
    @FunctionalInterface
    public interface Listener {
        void recorded(Handle h, AuditEvent event);
    }

    public AuditLog(AuditStore store, Clock clock) {
        this(store, clock, (h, e) -> { });
    }

    public AuditLog(AuditStore store, Clock clock, Listener listener) {
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
        this.listener = Objects.requireNonNull(listener);
    }

    public void record(Handle h, String actor, String action, String target, String ip, String outcome, String detail) {
        // Cut to the columns (V1 audit_log) rather than fail: a failed audit insert rolls back the
        // action it records, which may already have happened outside the database (a key exchange).
        AuditEvent e = new AuditEvent(clock.instant(), fit(actor, 80), action, fit(target, 80), fit(ip, 64), outcome,
                fit(detail, MAX_DETAIL));
        store.append(h, e);
        listener.recorded(h, e);
        LOG.atInfo().addKeyValue("actor", actor).addKeyValue("action", action).addKeyValue("target", target)
                .addKeyValue("ip", ip).addKeyValue("outcome", outcome).log("audit");
    }

    /**
     * Records an event that comes with no other write (a refused attempt, a use of a secret) in a
     * transaction of its own; events that belong to a change use {@link #record} in the change's transaction.
     */
    public void recordAlone(Database db, String actor, String action, String target, String ip, String outcome, String detail) {
        db.inTransaction(h -> {
            record(h, actor, action, target, ip, outcome, detail);
            return null;
        });
    }

    /** At most {@code max} characters; a cut value ends in "…" and never splits a surrogate pair. */
    static String fit(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "…";
    }
}
