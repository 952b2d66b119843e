package io.imsm.server.support;

import io.imsm.server.app.Wiring;
import io.imsm.server.model.AuditEvent;
import org.jdbi.v3.core.Handle;

import java.time.OffsetDateTime;
import java.util.List;


/**
 * Reads what the server stored, for assertions: the audit log (the server itself only appends to it)
 * and the undelivered outbox. Test-only, so the production stores keep no reader nothing else uses.
 */
public final class StoredRows {
    private StoredRows() {}

    /** The newest audit events, newest first; {@code action} null for every action. */
    public static List<AuditEvent> audit(Handle h, String action, int limit) {
        var q = h.createQuery("SELECT occurred_at, actor, action, target, ip, outcome, detail FROM audit_log "
                + (action == null ? "" : "WHERE action = :action ") + "ORDER BY id DESC LIMIT :limit");
        if (action != null) {
            q.bind("action", action);
        }
        return q.bind("limit", limit)
                .map((rs, ctx) -> new AuditEvent(rs.getObject("occurred_at", OffsetDateTime.class).toInstant(), rs.getString("actor"), rs.getString("action"),
                        rs.getString("target"), rs.getString("ip"), rs.getString("outcome"), rs.getString("detail")))
                .list();
    }

    /** {@link #audit(Handle, String, int)} of a running server's database. */
    public static List<AuditEvent> audit(Wiring wiring, String action, int limit) {
        return wiring.ctx().database().read(h -> audit(h, action, limit));
    }

    /** Revocation messages not delivered yet. */
    public static int undeliveredOutbox(Wiring wiring) {
        return wiring.ctx().database().read(h ->
                h.createQuery("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").mapTo(Integer.class).one());
    }

    /** One row of the event outbox: its hook, the {@code data.user} of its event, and its state. */
    public record EventDelivery(String hookId, String user, String recipient, String state, int attempts) {}

    /** Every delivery of the event outbox, states {@code delivered}, {@code dead} or {@code pending}. */
    public static List<EventDelivery> eventDeliveries(Wiring wiring) {
        return wiring.ctx().database().read(h -> h.createQuery("SELECT d.hook_id, d.recipient, d.attempts, d.delivered_at, d.dead_at, "
                        + "e.payload FROM event_deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.id")
                .map((rs, ctx) -> new EventDelivery(rs.getString("hook_id"), eventUser(rs.getString("payload")), rs.getString("recipient"),
                        rs.getObject("delivered_at") != null ? "delivered" : rs.getObject("dead_at") != null ? "dead" : "pending",
                        rs.getInt("attempts")))
                .list());
    }

    /** The {@code data.user} of every event in the outbox. */
    public static List<String> eventUsers(Wiring wiring) {
        return wiring.ctx().database().read(h -> h.createQuery("SELECT payload FROM events ORDER BY created_at").mapTo(String.class)
                .list()).stream().map(StoredRows::eventUser).toList();
    }

    private static String eventUser(String payload) {
        try {
            return Http.JSON.readTree(payload).path("data").path("user").asText(null);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
