package io.imsm.server.web.api;

import io.imsm.server.ImsmException;
import io.imsm.server.apitoken.ApiTokenService;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.ApiTokenEvent;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * People's API tokens under /api/v1/tokens (own) and /api/v1/admin/users/{username}/api-tokens (admins),
 * the change history, and token exchange at /api/v1/tokens/delegate.
 */
public final class ApiTokenApi {
    private final ApiTokenService tokens;
    private final WebAuth auth;

    public ApiTokenApi(ApiTokenService tokens, WebAuth auth) {
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
    }

    public record TokenList(List<ApiTokenService.TokenView> tokens) {}

    public record History(List<ApiTokenEvent> events) {}

    /** RFC 8693 section 2.1 request members (JSON); {@code scope} is space-separated. */
    public record DelegateRequest(String subjectToken, String subjectTokenType, String audience, String scope, Long requestedLifetime) {}

    /** RFC 8693 section 2.2.1 response. */
    public record DelegateResponse(String accessToken, String issuedTokenType, String tokenType, long expiresIn, String scope,
                                   String key, String audience) {}

    public void list(Context ctx) {
        ctx.json(new TokenList(tokens.list(auth.requireForApi(ctx), null)));
    }

    public void create(Context ctx) {
        created(ctx, tokens.create(auth.requireForApi(ctx), null, WebSupport.body(ctx, ApiTokenService.CreateRequest.class)));
    }

    public void get(Context ctx) {
        ctx.json(tokens.get(auth.requireForApi(ctx), null, ctx.pathParam("key")));
    }

    public void update(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(tokens.update(c, null, ctx.pathParam("key"), WebSupport.body(ctx, ApiTokenService.UpdateRequest.class)));
    }

    public void delete(Context ctx) {
        tokens.delete(auth.requireForApi(ctx), null, ctx.pathParam("key"));
        ctx.status(204);
    }

    public void history(Context ctx) {
        ctx.json(new History(tokens.history(auth.requireForApi(ctx), null, ctx.pathParam("key"))));
    }

    public void adminList(Context ctx) {
        ctx.json(new TokenList(tokens.list(auth.requireForApi(ctx), ctx.pathParam("username"))));
    }

    public void adminCreate(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        created(ctx, tokens.create(c, ctx.pathParam("username"), WebSupport.body(ctx, ApiTokenService.CreateRequest.class)));
    }

    public void adminGet(Context ctx) {
        ctx.json(tokens.get(auth.requireForApi(ctx), ctx.pathParam("username"), ctx.pathParam("key")));
    }

    public void adminUpdate(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(tokens.update(c, ctx.pathParam("username"), ctx.pathParam("key"),
                WebSupport.body(ctx, ApiTokenService.UpdateRequest.class)));
    }

    public void adminDelete(Context ctx) {
        tokens.delete(auth.requireForApi(ctx), ctx.pathParam("username"), ctx.pathParam("key"));
        ctx.status(204);
    }

    public void adminHistory(Context ctx) {
        ctx.json(new History(tokens.history(auth.requireForApi(ctx), ctx.pathParam("username"), ctx.pathParam("key"))));
    }

    /** Admins search the history across people: ?username=&key=&event=&since=&limit= */
    public void search(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        Instant since = null;
        if (ctx.queryParam("since") != null) {
            try {
                since = Instant.parse(ctx.queryParam("since"));
            } catch (DateTimeParseException e) {
                throw ImsmException.Invalid.inField("since", "since is a time like 2026-01-31T12:00:00Z.");
            }
        }
        ctx.json(new History(tokens.searchHistory(c, ctx.queryParam("username"), ctx.queryParam("key"), ctx.queryParam("event"),
                since, WebSupport.intParam(ctx, "limit", 100))));
    }

    /** Token exchange: the subject token in the body is the credential. */
    public void delegate(Context ctx) {
        DelegateRequest r = WebSupport.body(ctx, DelegateRequest.class);
        if (r.subjectTokenType() != null && !r.subjectTokenType().equals("urn:ietf:params:oauth:token-type:access_token")) {
            throw ImsmException.Invalid.inField("subject_token_type", "subject_token_type is urn:ietf:params:oauth:token-type:access_token.");
        }
        List<String> scopes = r.scope() == null || r.scope().isBlank() ? List.of() : Arrays.asList(r.scope().strip().split(" +"));
        Duration lifetime = r.requestedLifetime() == null ? null : Duration.ofSeconds(r.requestedLifetime());
        ApiTokenService.Delegated d = tokens.delegate(r.subjectToken(), r.audience(), scopes, lifetime, WebSupport.clientIp(ctx));
        ctx.header("Cache-Control", "no-store");
        ctx.json(new DelegateResponse(d.token(), "urn:ietf:params:oauth:token-type:access_token", "Bearer",
                Duration.between(d.issuedAt(), d.expiresAt()).toSeconds(), String.join(" ", d.scopes()), d.key(), d.audience()));
    }

    private static void created(Context ctx, ApiTokenService.Created t) {
        ctx.header("Cache-Control", "no-store");
        ctx.status(201).json(t);
    }
}
