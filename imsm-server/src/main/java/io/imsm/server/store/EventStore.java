package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/**
 * The event outbox (V65): events and their deliveries to hooks. {@link #claim} is how an instance
 * takes one attempt: the row is locked (rows another instance holds are skipped), its attempt counted
 * and its next attempt moved past the call's deadline, all in the caller's short transaction.
 */
public final class EventStore {
    /**
     * A delivery with what sending it needs; {@code recipient} is for SMS hooks only (V95): a phone
     * number, or the username of the person whose phone number the text goes to.
     */
    public record Due(long id, String eventId, String hookId, String recipient, String type, String payload, int attempts,
                      Instant createdAt) {}

    /** An undeliverable event as the dead-letter list shows it. */
    public record Dead(long id, String eventId, String hookId, String recipient, String type, int attempts, Instant deadAt,
                       String lastError, Instant createdAt) {}

    private final boolean skipLocked;

    /** @param skipLocked PostgreSQL: skip rows another instance holds; H2 (one instance per data directory) waits instead */
    public EventStore(boolean skipLocked) {
        this.skipLocked = skipLocked;
    }

    public void insertEvent(Handle h, String id, String type, String payload, Instant at) {
        h.createUpdate("INSERT INTO events (id, type, payload, created_at) VALUES (:id, :type, :payload, :at)")
                .bind("id", id).bind("type", type).bind("payload", payload).bind("at", ts(at)).execute();
    }

    /** @param recipient null but for SMS hooks (see {@link Due}) */
    public void insertDelivery(Handle h, String eventId, String hookId, String recipient, Instant at) {
        h.createUpdate("INSERT INTO event_deliveries (event_id, hook_id, recipient, attempts, next_attempt, created_at) "
                        + "VALUES (:e, :hook, :recipient, 0, :at, :at)")
                .bind("e", eventId).bind("hook", hookId).bind("recipient", recipient).bind("at", ts(at)).execute();
    }

    /** Hooks with a delivery due at {@code now}, at most {@code limit}. */
    public List<String> dueHooks(Handle h, Instant now, int limit) {
        return h.createQuery("SELECT DISTINCT hook_id FROM event_deliveries WHERE delivered_at IS NULL AND dead_at IS NULL "
                        + "AND next_attempt <= :now LIMIT :limit")
                .bind("now", ts(now)).bind("limit", limit).mapTo(String.class).list();
    }

    /**
     * Takes the oldest due delivery of a hook for one attempt: counts it and moves its next attempt to
     * {@code leaseUntil}, so no other instance (nor this one) tries it again before the attempt ended.
     */
    public Optional<Due> claim(Handle h, String hookId, Instant now, Instant leaseUntil) {
        Optional<Long> id = h.createQuery("SELECT id FROM event_deliveries WHERE hook_id = :hook AND delivered_at IS NULL "
                        + "AND dead_at IS NULL AND next_attempt <= :now ORDER BY next_attempt, id LIMIT 1 FOR UPDATE"
                        + (skipLocked ? " SKIP LOCKED" : ""))
                .bind("hook", hookId).bind("now", ts(now)).mapTo(Long.class).findOne();
        if (id.isEmpty()) {
            return Optional.empty();
        }
        h.createUpdate("UPDATE event_deliveries SET attempts = attempts + 1, next_attempt = :lease WHERE id = :id")
                .bind("lease", ts(leaseUntil)).bind("id", id.get()).execute();
        return h.createQuery("SELECT d.id, d.event_id, d.hook_id, d.recipient, d.attempts, e.type, e.payload, e.created_at "
                        + "FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = :id")
                .bind("id", id.get())
                .map((rs, ctx) -> new Due(rs.getLong("id"), rs.getString("event_id"), rs.getString("hook_id"), rs.getString("recipient"),
                        rs.getString("type"), rs.getString("payload"), rs.getInt("attempts"), instant(rs, "created_at")))
                .findOne();
    }

    public void delivered(Handle h, long id, Instant at) {
        h.createUpdate("UPDATE event_deliveries SET delivered_at = :at, last_error = NULL WHERE id = :id")
                .bind("at", ts(at)).bind("id", id).execute();
    }

    public void retryAt(Handle h, long id, Instant next, String error) {
        h.createUpdate("UPDATE event_deliveries SET next_attempt = :next, last_error = :err WHERE id = :id")
                .bind("next", ts(next)).bind("err", cut(error)).bind("id", id).execute();
    }

    public void dead(Handle h, long id, Instant at, String error) {
        h.createUpdate("UPDATE event_deliveries SET dead_at = :at, last_error = :err WHERE id = :id")
                .bind("at", ts(at)).bind("err", cut(error)).bind("id", id).execute();
    }

    public List<Dead> deadLetters(Handle h, int limit) {
        return h.createQuery("SELECT d.id, d.event_id, d.hook_id, d.recipient, e.type, d.attempts, d.dead_at, d.last_error, e.created_at "
                        + "FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.dead_at IS NOT NULL "
                        + "ORDER BY d.dead_at DESC, d.id DESC LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> new Dead(rs.getLong("id"), rs.getString("event_id"), rs.getString("hook_id"), rs.getString("recipient"),
                        rs.getString("type"), rs.getInt("attempts"), instant(rs, "dead_at"), rs.getString("last_error"), instant(rs, "created_at")))
                .list();
    }

    /** Makes a dead delivery due again with a fresh count of attempts; false when it is not dead. */
    public boolean replay(Handle h, long id, Instant now) {
        return h.createUpdate("UPDATE event_deliveries SET dead_at = NULL, attempts = 0, next_attempt = :now WHERE id = :id "
                        + "AND dead_at IS NOT NULL")
                .bind("now", ts(now)).bind("id", id).execute() == 1;
    }

    /** Deliveries of a hook that is being deleted: they can never be sent. */
    public int dropForHook(Handle h, String hookId) {
        return h.createUpdate("DELETE FROM event_deliveries WHERE hook_id = :hook").bind("hook", hookId).execute();
    }

    /**
     * Retention: deletes at most {@code limit} deliveries delivered or dead before {@code before}.
     * Rows being delivered are neither: the purge never touches, nor waits for, a claimed row.
     */
    public int purgeFinished(Handle h, Instant before, int limit) {
        return h.createUpdate("DELETE FROM event_deliveries WHERE id IN (SELECT id FROM event_deliveries "
                        + "WHERE delivered_at < :before OR dead_at < :before LIMIT :limit)")
                .bind("before", ts(before)).bind("limit", limit).execute();
    }

    /** Retention: deletes at most {@code limit} events older than {@code before} that no delivery needs any more. */
    public int purgeUnreferenced(Handle h, Instant before, int limit) {
        return h.createUpdate("DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < :before "
                        + "AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id) LIMIT :limit)")
                .bind("before", ts(before)).bind("limit", limit).execute();
    }

    private static String cut(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 499) + "…";
    }
}
