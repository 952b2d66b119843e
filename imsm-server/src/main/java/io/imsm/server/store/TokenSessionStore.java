package io.imsm.server.store;

import io.imsm.server.model.Binding;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Token sessions (metadata only) and the outbox of messages to services. */
public final class TokenSessionStore {
    public record Row(String sid, String jti, String userId, String serviceId, Binding binding, String scope, String request,
                      Instant issuedAt, Instant expiresAt, Instant revokedAt, String revokedBy, String justification,
                      boolean justificationEncrypted) {}

    public record OutboxRow(long id, String kind, String target, String payload, int attempts, Instant nextAttempt) {}

    private static final String COLUMNS = "sid, jti, user_id, service_id, binding, scope, request, issued_at, expires_at, revoked_at, revoked_by, "
            + "justification, justification_encrypted";
    private static final RowMapper<Row> MAPPER = (rs, ctx) -> new Row(rs.getString("sid"), rs.getString("jti"),
            rs.getString("user_id"), rs.getString("service_id"), Binding.parse(rs.getString("binding")), rs.getString("scope"),
            rs.getString("request"), instant(rs, "issued_at"), instant(rs, "expires_at"), instant(rs, "revoked_at"),
            rs.getString("revoked_by"), rs.getString("justification"), rs.getBoolean("justification_encrypted"));

    private static final String INSERT = "INSERT INTO token_sessions (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)";

    /** One row per token issued: plain JDBC ({@link Jdbc}), as every token request runs it. */
    public void insert(Handle h, Row r) {
        Jdbc.update(h, INSERT, ps -> {
            ps.setString(1, r.sid());
            ps.setString(2, r.jti());
            ps.setString(3, r.userId());
            ps.setString(4, r.serviceId());
            ps.setString(5, r.binding().wire());
            ps.setString(6, r.scope());
            ps.setString(7, r.request());
            ps.setObject(8, ts(r.issuedAt()));
            ps.setObject(9, ts(r.expiresAt()));
            ps.setString(10, r.justification());
            ps.setBoolean(11, r.justificationEncrypted());
        });
    }

    public Optional<Row> find(Handle h, String sid) {
        return h.createQuery("SELECT " + COLUMNS + " FROM token_sessions WHERE sid = :sid").bind("sid", sid).map(MAPPER).findOne();
    }

    public List<Row> live(Handle h, String userId, Instant now) {
        return h.createQuery("SELECT " + COLUMNS + " FROM token_sessions WHERE user_id = :u AND revoked_at IS NULL "
                        + "AND expires_at > :now ORDER BY issued_at DESC")
                .bind("u", userId).bind("now", ts(now)).map(MAPPER).list();
    }

    /** The newest {@code limit} live sessions of a user (for listings; revocation uses {@link #live(Handle, String, Instant)}). */
    public List<Row> live(Handle h, String userId, Instant now, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM token_sessions WHERE user_id = :u AND revoked_at IS NULL "
                        + "AND expires_at > :now ORDER BY issued_at DESC LIMIT :limit")
                .bind("u", userId).bind("now", ts(now)).bind("limit", limit).map(MAPPER).list();
    }

    public boolean revoke(Handle h, String sid, Instant at, String by) {
        return h.createUpdate("UPDATE token_sessions SET revoked_at = :at, revoked_by = :by WHERE sid = :sid AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("by", by).bind("sid", sid).execute() == 1;
    }

    /** The revoked sessions of a service that have not expired at {@code now}, soonest expiry first. */
    public List<Row> revokedUnexpired(Handle h, String serviceId, Instant now) {
        return h.createQuery("SELECT " + COLUMNS + " FROM token_sessions WHERE service_id = :s AND revoked_at IS NOT NULL "
                        + "AND expires_at > :now ORDER BY expires_at")
                .bind("s", serviceId).bind("now", ts(now)).map(MAPPER).list();
    }

    /**
     * Forgets token sessions that expired before {@code before}, and the outbox messages nobody needs
     * any more: those delivered before then, and undelivered revocations older than that whose session
     * has expired (or is gone) by then: a token past its expiry fails at the service anyway.
     *
     * @return rows deleted, sessions and messages together
     */
    public int purgeExpired(Handle h, Instant before) {
        int messages = h.createUpdate("DELETE FROM outbox WHERE delivered_at < :b OR (delivered_at IS NULL AND created_at < :b "
                        + "AND NOT EXISTS (SELECT 1 FROM token_sessions t WHERE t.sid = outbox.payload AND t.expires_at >= :b))")
                .bind("b", ts(before)).execute();
        return messages + h.createUpdate("DELETE FROM token_sessions WHERE expires_at < :b").bind("b", ts(before)).execute();
    }

    public void enqueue(Handle h, String kind, String target, String payload, Instant now) {
        h.createUpdate("INSERT INTO outbox (kind, target, payload, attempts, next_attempt, created_at) VALUES (:k, :t, :p, 0, :n, :n)")
                .bind("k", kind).bind("t", target).bind("p", payload).bind("n", ts(now)).execute();
    }

    /** Services with at least one message due, at most {@code limit} of them. */
    public List<String> dueTargets(Handle h, Instant now, int limit) {
        return h.createQuery("SELECT DISTINCT target FROM outbox WHERE delivered_at IS NULL AND next_attempt <= :now ORDER BY target LIMIT :limit")
                .bind("now", ts(now)).bind("limit", limit).mapTo(String.class).list();
    }

    /** The messages due for one service, oldest first. */
    public List<OutboxRow> dueFor(Handle h, String target, Instant now, int limit) {
        return h.createQuery("SELECT id, kind, target, payload, attempts, next_attempt FROM outbox "
                        + "WHERE target = :t AND delivered_at IS NULL AND next_attempt <= :now ORDER BY id LIMIT :limit")
                .bind("t", target).bind("now", ts(now)).bind("limit", limit)
                .map((rs, ctx) -> new OutboxRow(rs.getLong("id"), rs.getString("kind"), rs.getString("target"),
                        rs.getString("payload"), rs.getInt("attempts"), instant(rs, "next_attempt")))
                .list();
    }

    /**
     * Claims the oldest message due for {@code target}: its {@code next_attempt} moves to
     * {@code leaseUntil}, so no other IMSM instance takes it while this one delivers; if this one
     * dies, the message is due again after the lease. Run in a short transaction of its own. On
     * PostgreSQL {@code FOR UPDATE SKIP LOCKED} lets instances claiming at once take different
     * messages instead of queueing on one row; H2 runs in one process and takes the row lock.
     *
     * @return the claimed message, empty when none is due
     */
    public java.util.Optional<OutboxRow> claimDue(Handle h, String target, Instant now, Instant leaseUntil, boolean skipLocked) {
        java.util.Optional<OutboxRow> row = h.createQuery("SELECT id, kind, target, payload, attempts, next_attempt FROM outbox "
                        + "WHERE target = :t AND delivered_at IS NULL AND next_attempt <= :now ORDER BY id LIMIT 1 FOR UPDATE"
                        + (skipLocked ? " SKIP LOCKED" : ""))
                .bind("t", target).bind("now", ts(now))
                .map((rs, ctx) -> new OutboxRow(rs.getLong("id"), rs.getString("kind"), rs.getString("target"),
                        rs.getString("payload"), rs.getInt("attempts"), instant(rs, "next_attempt")))
                .findFirst();
        row.ifPresent(r -> h.createUpdate("UPDATE outbox SET next_attempt = :n WHERE id = :id")
                .bind("n", ts(leaseUntil)).bind("id", r.id()).execute());
        return row;
    }

    public void delivered(Handle h, long id, Instant at) {
        h.createUpdate("UPDATE outbox SET delivered_at = :at, attempts = attempts + 1 WHERE id = :id").bind("at", ts(at)).bind("id", id).execute();
    }

    public void failed(Handle h, long id, Instant next, String error) {
        h.createUpdate("UPDATE outbox SET attempts = attempts + 1, next_attempt = :n, last_error = :e WHERE id = :id")
                .bind("n", ts(next)).bind("e", error.length() > 500 ? error.substring(0, 500) : error).bind("id", id).execute();
    }
}
