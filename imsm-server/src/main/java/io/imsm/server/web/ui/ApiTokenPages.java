package io.imsm.server.web.ui;

import io.imsm.server.ImsmException;
import io.imsm.server.apitoken.ApiTokenService;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.ApiTokenEvent;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** The Tokens page: a person's API tokens (create, shown once, rename, change scopes, delete) and each token's history. */
public final class ApiTokenPages {
    private final ApiTokenService tokens;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;

    public ApiTokenPages(ApiTokenService tokens, WebAuth auth, PageSupport support, PageRenderer renderer) {
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** The list and the create form; {@code created} is the token just made (shown this once), else null. */
    public record TokensView(Views.Nav nav, List<ApiTokenService.TokenView> tokens, Set<String> ownScopes,
                             ApiTokenService.Created created, String message, String error, Instant now) {}

    public record TokenView(Views.Nav nav, ApiTokenService.TokenView token, Set<String> ownScopes, List<ApiTokenEvent> history,
                            String message, String error, Instant now) {}

    public void list(Context ctx) {
        Caller c = support.ready(ctx);
        if (c != null) {
            renderList(ctx, c, null, PageSupport.done(ctx), null);
        }
    }

    public void create(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        try {
            ApiTokenService.Created t = tokens.create(c, null, new ApiTokenService.CreateRequest(ctx.formParam("name"),
                    ctx.formParams("scope"), expiry(ctx.formParam("expires_days"))));
            renderList(ctx, c, t, null, null);
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            renderList(ctx, c, null, null, e.getMessage());
        }
    }

    public void token(Context ctx) {
        Caller c = support.ready(ctx);
        if (c != null) {
            renderToken(ctx, c, ctx.pathParam("key"), PageSupport.done(ctx), null);
        }
    }

    public void rename(Context ctx) {
        change(ctx, new ApiTokenService.UpdateRequest(ctx.formParam("name"), null, null, null), "Token+renamed.");
    }

    public void scopes(Context ctx) {
        change(ctx, new ApiTokenService.UpdateRequest(null, ctx.formParams("scope"), null, null), "Scopes+saved.");
    }

    public void delete(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (PageSupport.askFirst(ctx, renderer, c, "Delete token", "Delete this token? Anything using it, and every token "
                + "delegated from it, stops working at once.", "Delete", "/tokens")) {
            return;
        }
        tokens.delete(c, null, ctx.pathParam("key"));
        ctx.redirect("/tokens?done=Token+deleted.");
    }

    private void change(Context ctx, ApiTokenService.UpdateRequest r, String done) {
        Caller c = auth.requireForForm(ctx).requireReady();
        String key = ctx.pathParam("key");
        try {
            tokens.update(c, null, key, r);
            ctx.redirect("/tokens/" + key + "?done=" + done);
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            renderToken(ctx, c, key, null, e.getMessage());
        }
    }

    private void renderList(Context ctx, Caller c, ApiTokenService.Created created, String message, String error) {
        PageSupport.noStore(ctx);
        ctx.html(renderer.render("tokens.jte", new TokensView(PageSupport.nav(c), tokens.list(c, null), tokens.scopesOf(c.user()),
                created, message, error, support.now())));
    }

    private void renderToken(Context ctx, Caller c, String key, String message, String error) {
        PageSupport.noStore(ctx);
        ctx.html(renderer.render("api_token.jte", new TokenView(PageSupport.nav(c), tokens.get(c, null, key), tokens.scopesOf(c.user()),
                tokens.history(c, null, key), message, error, support.now())));
    }

    private Instant expiry(String days) {
        if (days == null || days.isBlank()) {
            return null;
        }
        try {
            int d = Integer.parseInt(days.strip());
            if (d < 1 || d > 3650) {
                throw new NumberFormatException();
            }
            return support.now().plus(Duration.ofDays(d));
        } catch (NumberFormatException e) {
            throw ImsmException.Invalid.inField("expires_at", "Expiry: a number of days from 1 to 3650, or empty for none.");
        }
    }
}
