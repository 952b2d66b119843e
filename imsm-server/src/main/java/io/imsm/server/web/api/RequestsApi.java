package io.imsm.server.web.api;

import io.imsm.server.approval.AccessRequests;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Objects;

/** Access requests under /api/v1/requests: the requester's and the approvers' side (docs/approvals.md). */
public final class RequestsApi {
    private final AccessRequests requests;
    private final WebAuth auth;

    public RequestsApi(AccessRequests requests, WebAuth auth) {
        this.requests = Objects.requireNonNull(requests);
        this.auth = Objects.requireNonNull(auth);
    }

    public record RequestList(List<AccessRequests.RequestView> requests) {}

    /** {@code {"comment": "..."}}; the body may be left out. */
    public record Decision(String comment) {}

    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new RequestList(requests.list(c, ctx.queryParam("role"))));
    }

    public void get(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(requests.get(c, ctx.pathParam("id")));
    }

    public void approve(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(requests.approve(c, ctx.pathParam("id"), comment(ctx)));
    }

    public void deny(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(requests.deny(c, ctx.pathParam("id"), comment(ctx)));
    }

    public void cancel(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(requests.cancel(c, ctx.pathParam("id"), comment(ctx)));
    }

    public void token(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        TokenApi.respondIssued(ctx, requests.pickUp(c, ctx.pathParam("id")));
    }

    private static String comment(Context ctx) {
        return ctx.body().isBlank() ? null : WebSupport.body(ctx, Decision.class).comment();
    }
}
