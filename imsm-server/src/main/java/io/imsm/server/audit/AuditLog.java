package io.imsm.server.audit;

import io.imsm.server.model.AuditEvent;
import io.imsm.server.store.AuditStore;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Objects;

/** Writes audit events in the caller's transaction and mirrors them to the structured log. */
public final class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger("imsm.audit");
    private final AuditStore store;
    private final Clock clock;

    public AuditLog(AuditStore store, Clock clock) {
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
    }

    public void record(Handle h, String actor, String action, String target, String ip, String outcome, String detail) {
        AuditEvent e = new AuditEvent(clock.instant(), actor, action, target, ip, outcome, detail);
        store.append(h, e);
        LOG.atInfo().addKeyValue("actor", actor).addKeyValue("action", action).addKeyValue("target", target)
                .addKeyValue("ip", ip).addKeyValue("outcome", outcome).log("audit");
    }
}
