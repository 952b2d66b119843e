package io.imsm.server.audit;

import io.imsm.server.model.AuditEvent;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.GroupCommit;
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
 * row lock per transaction, and one small update and one SHA-256 per event.
 */
public final class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger("imsm.audit");
    static final int MAX_DETAIL = 1000;
    private final Database db;
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

    public AuditLog(Database db, AuditStore store, Clock clock) {
        this(db, store, clock, (h, e) -> { });
    }

    public AuditLog(Database db, AuditStore store, Clock clock, Listener listener) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
        this.listener = Objects.requireNonNull(listener);
    }

    public void record(Handle h, String actor, String action, String target, String ip, String outcome, String detail) {
        record(h, actor, action, target, ip, outcome, detail, RequestOrigin.userAgent());
    }

    /**
     * A change and its audit event in a transaction shared with the changes other requests make at
     * the same moment ({@link Database#inGroupCommit}): one commit and one chain lock for the group.
     * Returns once both are committed; throws what the change or the record threw, and then neither
     * was written. {@code change} may run twice (see {@link io.imsm.server.store.GroupCommit}).
     */
    public void recordGrouped(GroupCommit.Write change, String actor, String action, String target, String ip, String outcome,
                              String detail) {
        // read here: the group's transaction may run on another request's thread
        String userAgent = RequestOrigin.userAgent();
        db.inGroupCommit(h -> {
            change.run(h);
            record(h, actor, action, target, ip, outcome, detail, userAgent);
        });
    }

    private void record(Handle h, String actor, String action, String target, String ip, String outcome, String detail,
                        String userAgent) {
        // Cut to the columns (V1 audit_log) rather than fail: a failed audit insert rolls back the
        // action it records, which may already have happened outside the database (a key exchange).
        // The time is read under the chain lock, so chain order and time agree; microseconds because
        // that is what the databases keep (the hash covers the stored value).
        // Appended just before the commit: the chain lock is then the transaction's last lock (no
        // deadlock with the change's own row locks) and held only for the commit.
        Runnable append = () -> {
            // The chain's lock and head are read once per transaction: events recorded together (a group
            // of issued tokens) extend the head this transaction already holds, and the head row is
            // written once, after the transaction's last append.
            Head head = db.transactionLocal(h, Head.class, Head::new);
            boolean own = head != null;
            if (head == null || head.hash == null) {
                AuditStore.Chain chain = store.lockChain(h);
                head = head == null ? new Head() : head;
                head.seq = chain.headSeq();
                head.hash = chain.headHash();
            }
            AuditEvent e = new AuditEvent(clock.instant().truncatedTo(ChronoUnit.MICROS), fit(actor, 80), action, fit(target, 80),
                    fit(ip, 64), outcome, fit(detail, MAX_DETAIL), userAgent);
            long seq = head.seq + 1;
            String hash = AuditChain.hash(seq, e, head.hash);
            store.append(h, e, seq, head.hash, hash);
            head.seq = seq;
            head.hash = hash;
            if (!own) {
                store.moveHead(h, seq, hash);
            } else if (!head.moveScheduled) {
                head.moveScheduled = true;
                Head held = head;
                // runs after the appends queued so far; an append queued later schedules another
                db.beforeCommit(h, () -> {
                    held.moveScheduled = false;
                    store.moveHead(h, held.seq, held.hash);
                });
            }
        };
        // The listener (event outbox) runs now, in the same transaction, before the chain lock is taken:
        // its rows commit or roll back with the change and the audit entry.
        listener.recorded(h, new AuditEvent(clock.instant().truncatedTo(ChronoUnit.MICROS), fit(actor, 80), action,
                fit(target, 80), fit(ip, 64), outcome, fit(detail, MAX_DETAIL), userAgent));
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

    /** The chain's head as this transaction, holding the chain's lock, last wrote it (null hash: not locked yet). */
    private static final class Head {
        long seq;
        String hash;
        /** A task that writes the head row is queued and has not run yet. */
        boolean moveScheduled;
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
