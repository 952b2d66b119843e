package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Access requests and their history (V61). SQL only; {@code approval.AccessRequests} owns the rules. */
public final class AccessRequestStore {
    private static final String COLUMNS = "id, user_id, username, service_id, request_enc, shown, status, approvals_needed, approver_roles, "
            + "manager, pickup_window_seconds, created_at, expires_at, decided_at, decided_by, decision_comment, pickup_until, picked_up_at, sid";

    /** One request; {@code approverRoles} as copied from the service's rule when it was made. */
    public record Row(String id, String userId, String username, String serviceId, String requestEnc, String shown, String status,
                      int approvalsNeeded, List<String> approverRoles, String manager, int pickupWindowSeconds, Instant createdAt,
                      Instant expiresAt, Instant decidedAt, String decidedBy, String decisionComment, Instant pickupUntil,
                      Instant pickedUpAt, String sid) {}

    /** One change of a request. */
    public record Event(int seq, Instant at, String actor, String action, String comment) {}

    /** Where an encrypted request is bound (the KEK's context), so a value copied to another row does not decrypt. */
    public static String requestContext(String id) {
        return "access_requests.request_enc:" + id;
    }

    /** Encrypted requests not yet picked up (id → request_enc), for a key-encryption key rotation. */
    public Map<String, String> encryptedRequests(Handle h) {
        Map<String, String> out = new LinkedHashMap<>();
        h.createQuery("SELECT id, request_enc FROM access_requests WHERE request_enc <> ''")
                .map((rs, c) -> Map.entry(rs.getString("id"), rs.getString("request_enc"))).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    public void replaceRequestEnc(Handle h, String id, String requestEnc) {
        h.createUpdate("UPDATE access_requests SET request_enc = :v WHERE id = :id").bind("id", id).bind("v", requestEnc).execute();
    }

    public void insert(Handle h, Row r) {
        h.createUpdate("INSERT INTO access_requests (" + COLUMNS + ") VALUES (:id, :userId, :username, :serviceId, :requestEnc, :shown, "
                        + ":status, :approvalsNeeded, :approverRoles, :manager, :pickupWindowSeconds, :createdAt, :expiresAt, NULL, NULL, NULL, "
                        + "NULL, NULL, NULL)")
                .bind("id", r.id()).bind("userId", r.userId()).bind("username", r.username()).bind("serviceId", r.serviceId())
                .bind("requestEnc", r.requestEnc()).bind("shown", r.shown()).bind("status", r.status())
                .bind("approvalsNeeded", r.approvalsNeeded()).bind("approverRoles", String.join(" ", r.approverRoles()))
                .bind("manager", r.manager()).bind("pickupWindowSeconds", r.pickupWindowSeconds())
                .bind("createdAt", ts(r.createdAt())).bind("expiresAt", ts(r.expiresAt())).execute();
    }

    public Optional<Row> find(Handle h, String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM access_requests WHERE id = :id").bind("id", id).map((rs, c) -> row(rs)).findOne();
    }

    /** The request, locked until the transaction ends: decisions on one request queue here. */
    public Optional<Row> lock(Handle h, String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM access_requests WHERE id = :id FOR UPDATE").bind("id", id)
                .map((rs, c) -> row(rs)).findOne();
    }

    public List<Event> events(Handle h, String id) {
        return h.createQuery("SELECT seq, at, actor, action, comment FROM access_request_events WHERE request_id = :id ORDER BY seq")
                .bind("id", id)
                .map((rs, c) -> new Event(rs.getInt("seq"), instant(rs, "at"), rs.getString("actor"), rs.getString("action"), rs.getString("comment")))
                .list();
    }

    /** Appends to the history; the caller holds the request's lock ({@link #lock}) or has just inserted it. */
    public void addEvent(Handle h, String id, Instant at, String actor, String action, String comment) {
        h.createUpdate("INSERT INTO access_request_events (request_id, seq, at, actor, action, comment) "
                        + "SELECT :id, COALESCE(MAX(seq), 0) + 1, :at, :actor, :action, :comment FROM access_request_events WHERE request_id = :id")
                .bind("id", id).bind("at", ts(at)).bind("actor", actor).bind("action", action).bind("comment", comment).execute();
    }

    /** Moves a pending request to {@code status}; false if it was no longer pending. */
    public boolean decide(Handle h, String id, String status, Instant at, String by, String comment, Instant pickupUntil) {
        return h.createUpdate("UPDATE access_requests SET status = :status, decided_at = :at, decided_by = :by, decision_comment = :comment, "
                        + "pickup_until = :pickup WHERE id = :id AND status = 'pending'")
                .bind("id", id).bind("status", status).bind("at", ts(at)).bind("by", by).bind("comment", comment)
                .bind("pickup", ts(pickupUntil)).execute() == 1;
    }

    /** Cancels an approved request whose token was not picked up; false otherwise. */
    public boolean cancelApproved(Handle h, String id) {
        return h.createUpdate("UPDATE access_requests SET status = 'cancelled' WHERE id = :id AND status = 'approved' AND picked_up_at IS NULL")
                .bind("id", id).execute() == 1;
    }

    /** Marks an approved request as being picked up; false when it already was. */
    public boolean claimPickup(Handle h, String id, Instant at) {
        return h.createUpdate("UPDATE access_requests SET picked_up_at = :at WHERE id = :id AND status = 'approved' AND picked_up_at IS NULL")
                .bind("id", id).bind("at", ts(at)).execute() == 1;
    }

    /** Undoes {@link #claimPickup} when issuing the token failed, so the person can try again in the window. */
    public void releasePickup(Handle h, String id) {
        h.createUpdate("UPDATE access_requests SET picked_up_at = NULL WHERE id = :id AND sid IS NULL").bind("id", id).execute();
    }

    /** Records the token session a pick-up made, and forgets the encrypted request: it is no longer needed. */
    public void pickedUp(Handle h, String id, String sid) {
        h.createUpdate("UPDATE access_requests SET sid = :sid, request_enc = '' WHERE id = :id").bind("id", id).bind("sid", sid).execute();
    }

    /** A person's requests, newest first. */
    public List<Row> byUser(Handle h, String userId, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM access_requests WHERE user_id = :u ORDER BY created_at DESC, id LIMIT :n")
                .bind("u", userId).bind("n", limit).map((rs, c) -> row(rs)).list();
    }

    /** Pending requests not yet past their expiry, oldest first (the approvers' queue, filtered by role in the service). */
    public List<Row> pending(Handle h, Instant now, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM access_requests WHERE status = 'pending' AND expires_at > :now "
                        + "ORDER BY created_at, id LIMIT :n")
                .bind("now", ts(now)).bind("n", limit).map((rs, c) -> row(rs)).list();
    }

    /** Ids of pending requests past their expiry. */
    public List<String> expired(Handle h, Instant now, int limit) {
        return h.createQuery("SELECT id FROM access_requests WHERE status = 'pending' AND expires_at <= :now ORDER BY expires_at LIMIT :n")
                .bind("now", ts(now)).bind("n", limit).mapTo(String.class).list();
    }

    private static Row row(ResultSet rs) throws SQLException {
        String roles = rs.getString("approver_roles");
        return new Row(rs.getString("id"), rs.getString("user_id"), rs.getString("username"), rs.getString("service_id"),
                rs.getString("request_enc"), rs.getString("shown"), rs.getString("status"), rs.getInt("approvals_needed"),
                roles == null || roles.isBlank() ? List.of() : Arrays.asList(roles.split(" ")), rs.getString("manager"),
                rs.getInt("pickup_window_seconds"), instant(rs, "created_at"), instant(rs, "expires_at"), instant(rs, "decided_at"),
                rs.getString("decided_by"), rs.getString("decision_comment"), instant(rs, "pickup_until"), instant(rs, "picked_up_at"),
                rs.getString("sid"));
    }
}
