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
}
