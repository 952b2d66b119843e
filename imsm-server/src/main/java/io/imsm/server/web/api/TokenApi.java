package io.imsm.server.web.api;

import io.imsm.server.approval.AccessRequests;
import io.imsm.server.identity.Caller;
import io.imsm.server.token.TokenService;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Objects;

/** Requesting tokens and managing the caller's token sessions. */
public final class TokenApi {
    private final TokenService tokens;
    private final WebAuth auth;
    private final AccessRequests accessRequests;

    public TokenApi(TokenService tokens, WebAuth auth, AccessRequests accessRequests) {
        this.accessRequests = Objects.requireNonNull(accessRequests);
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
    }

    public record SessionList(List<TokenService.SessionView> sessions) {}

    public record IssuedView(String token, String sid, java.time.Instant expiresAt, String scope, List<java.util.Map<String, Object>> authorizationDetails,
                             String baseUrl) {}


    /** 201 with the token, or 202 with the access request when the service needs approval first. */
    public void issue(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AccessRequests.Outcome o = accessRequests.requestToken(c, ctx.pathParam("id"), WebSupport.body(ctx, TokenService.TokenRequest.class));
        switch (o) {
            case AccessRequests.Minted m -> respondIssued(ctx, m.issued());
            case AccessRequests.Pending p -> ctx.status(202).header("Location", "/api/v1/requests/" + p.request().requestId()).json(p.request());
        }
    }

    /** A new token, as the token request and the pick-up of an approved access request answer it. */
    static void respondIssued(Context ctx, TokenService.Issued t) {
        ctx.header("Cache-Control", "no-store");
        ctx.status(201).json(new IssuedView(t.token(), t.sid(), t.expiresAt(), t.scope(), t.authorizationDetails(), t.baseUrl()));
    }

    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new SessionList(tokens.live(c)));
    }

    public void revoke(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        tokens.revoke(c, ctx.pathParam("sid"));
        ctx.status(204);
    }
}
