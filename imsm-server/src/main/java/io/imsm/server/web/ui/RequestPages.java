package io.imsm.server.web.ui;

import io.imsm.server.ImsmException;
import io.imsm.server.approval.AccessRequests;
import io.imsm.server.identity.Caller;
import io.imsm.server.token.TokenService;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.util.Objects;

import static io.imsm.server.web.ui.PageSupport.done;
import static io.imsm.server.web.ui.PageSupport.nav;
import static io.imsm.server.web.ui.PageSupport.noStore;

/** Access requests in the browser: the approvers' queue, one request with its history, decisions, cancel and pick-up. */
public final class RequestPages {
    private final AccessRequests requests;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;

    public RequestPages(AccessRequests requests, WebAuth auth, PageSupport support, PageRenderer renderer) {
        this.requests = Objects.requireNonNull(requests);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** The approver's queue and the caller's own requests. */
    public void queue(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        noStore(ctx);
        ctx.html(renderer.render("requests.jte", new Views.Requests(nav(c), requests.list(c, "approver"), requests.list(c, "requester"),
                support.now(), done(ctx))));
    }

    public void request(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        render(ctx, c, done(ctx), null);
    }

    private void render(Context ctx, Caller c, String message, String error) {
        AccessRequests.RequestView r = requests.get(c, ctx.pathParam("id"));
        noStore(ctx);
        ctx.html(renderer.render("request.jte", new Views.Request(nav(c), r, r.requester().equals(c.user().username()),
                !r.requester().equals(c.user().username()) && r.approverRoles().stream().anyMatch(c.user().roles()::contains),
                support.now(), message, error)));
    }

    public void approve(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        act(ctx, c, () -> requests.approve(c, ctx.pathParam("id"), ctx.formParam("comment")), "Request+approved.");
    }

    public void deny(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        act(ctx, c, () -> requests.deny(c, ctx.pathParam("id"), ctx.formParam("comment")), "Request+denied.");
    }

    public void cancel(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (PageSupport.askFirst(ctx, renderer, c, "Cancel request", "Cancel this access request?", "Cancel request", "/")) {
            return;
        }
        act(ctx, c, () -> requests.cancel(c, ctx.pathParam("id"), ctx.formParam("comment")), "Request+cancelled.");
    }

    /** Shows the token once, like a token request without approval. */
    public void pickUp(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        TokenService.Issued issued;
        try {
            issued = requests.pickUp(c, ctx.pathParam("id"));
        } catch (ImsmException.Conflict | ImsmException.Forbidden | ImsmException.Unavailable | ImsmException.Throttled e) {
            ctx.status(e.code().status());
            render(ctx, c, null, e.getMessage());
            return;
        }
        noStore(ctx);
        String limit = issued.authorizationDetails().isEmpty() ? null
                : issued.authorizationDetails().get(0).get("method") + " " + issued.authorizationDetails().get(0).get("path");
        ctx.html(renderer.render("token_issued.jte", new Views.TokenIssued(nav(c), issued.serviceId(), issued, limit, null, support.now())));
    }

    private void act(Context ctx, Caller c, Runnable action, String done) {
        try {
            action.run();
        } catch (ImsmException.Conflict | ImsmException.Forbidden | ImsmException.Invalid e) {
            ctx.status(e.code().status());
            render(ctx, c, null, e.getMessage());
            return;
        }
        ctx.redirect("/requests/" + ctx.pathParam("id") + "?done=" + done);
    }
}
