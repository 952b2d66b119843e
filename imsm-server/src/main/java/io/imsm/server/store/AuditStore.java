package io.imsm.server.store;

import io.imsm.server.model.AuditEvent;
import org.jdbi.v3.core.Handle;

import java.util.List;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Append-only: no update on purpose; rows leave only through the retention policy ({@link #purge}). */
public final class AuditStore {
    /** Deletes rows that occurred before {@code before} (retention). */
    public int purge(Handle h, java.time.Instant before) {
        return h.createUpdate("DELETE FROM audit_log WHERE occurred_at < :b").bind("b", ts(before)).execute();
    }

    public void append(Handle h, AuditEvent e) {
        h.createUpdate("INSERT INTO audit_log (occurred_at, actor, action, target, ip, outcome, detail) "
                        + "VALUES (:at, :actor, :action, :target, :ip, :outcome, :detail)")
                .bind("at", ts(e.at())).bind("actor", e.actor()).bind("action", e.action()).bind("target", e.target())
                .bind("ip", e.ip()).bind("outcome", e.outcome()).bind("detail", e.detail()).execute();
    }

    public List<AuditEvent> recent(Handle h, String action, int limit) {
        var q = h.createQuery("SELECT occurred_at, actor, action, target, ip, outcome, detail FROM audit_log "
                + (action == null ? "" : "WHERE action = :action ") + "ORDER BY id DESC LIMIT :limit");
        if (action != null) {
            q.bind("action", action);
        }
        return q.bind("limit", limit)
                .map((rs, ctx) -> new AuditEvent(instant(rs, "occurred_at"), rs.getString("actor"), rs.getString("action"),
                        rs.getString("target"), rs.getString("ip"), rs.getString("outcome"), rs.getString("detail")))
                .list();
    }
}
