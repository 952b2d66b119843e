package io.imsm.server.store;

import io.imsm.server.model.AuditEvent;
import org.jdbi.v3.core.Handle;

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
}
