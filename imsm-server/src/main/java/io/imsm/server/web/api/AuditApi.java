package io.imsm.server.web.api;

import io.imsm.server.audit.review.AuditService;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Objects;

/** {@code GET /api/v1/admin/audit}: the audit log, filtered, newest first, keyset-paged ({@code before}). */
public final class AuditApi {
    private final AuditService audit;
    private final WebAuth auth;

    public AuditApi(AuditService audit, WebAuth auth) {
        this.audit = Objects.requireNonNull(audit);
        this.auth = Objects.requireNonNull(auth);
    }

    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(audit.find(c, WebSupport.auditQuery(ctx), WebSupport.intParam(ctx, "limit", 50)));
    }
}
