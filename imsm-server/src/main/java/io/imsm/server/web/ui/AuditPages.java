package io.imsm.server.web.ui;

import io.imsm.server.audit.review.AuditService;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Objects;

import static io.imsm.server.web.ui.PageSupport.nav;
import static io.imsm.server.web.ui.PageSupport.noStore;

/** The admin page of the audit log: filter and page through it (newest first). */
public final class AuditPages {
    private final AuditService audit;
    private final PageSupport support;
    private final PageRenderer renderer;

    public AuditPages(AuditService audit, PageSupport support, PageRenderer renderer) {
        this.audit = Objects.requireNonNull(audit);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }

    public void adminAudit(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        AuditService.Query q = WebSupport.auditQuery(ctx);
        AuditService.Page page = audit.find(c, q, WebSupport.intParam(ctx, "limit", 50));
        noStore(ctx);
        ctx.html(renderer.render("admin_audit.jte", new Views.AdminAudit(nav(c), q, page, support.now())));
    }
}
