package io.imsm.server.audit;

import io.imsm.server.model.AuditEvent;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Writes audit events in the caller's transaction and mirrors them to the structured log. Each event
 * extends the hash chain ({@link AuditChain}): the append locks the chain's head row until the
 * transaction ends, so appends from every instance on one database form one chain; the cost is one
 * row lock, one small update and one SHA-256 per event.
 */
public final class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger("imsm.audit");
    static final int MAX_DETAIL = 1000;
    private final Database db;
    private final AuditStore store;
    private final Clock clock;

    public AuditLog(Database db, AuditStore store, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
    }

    public void record(Handle h, String actor, String action, String target, String ip, String outcome, String detail) {
        // Cut to the columns (V1 audit_log) rather than fail: a failed audit insert rolls back the
        // action it records, which may already have happened outside the database (a key exchange).
        // The time is read under the chain lock, so chain order and time agree; microseconds because
        // that is what the databases keep (the hash covers the stored value).
        // Appended just before the commit: the chain lock is then the transaction's last lock (no
        // deadlock with the change's own row locks) and held only for the commit.
        String userAgent = RequestOrigin.userAgent();
        Runnable append = () -> {
            AuditStore.Chain chain = store.lockChain(h);
            AuditEvent e = new AuditEvent(clock.instant().truncatedTo(ChronoUnit.MICROS), fit(actor, 80), action, fit(target, 80),
                    fit(ip, 64), outcome, fit(detail, MAX_DETAIL), userAgent);
            long seq = chain.headSeq() + 1;
            store.append(h, e, seq, chain.headHash(), AuditChain.hash(seq, e, chain.headHash()));
        };
        if (!db.beforeCommit(h, append)) {
            append.run();
        }
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
