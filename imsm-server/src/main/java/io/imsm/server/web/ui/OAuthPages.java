package io.imsm.server.web.ui;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.oauth.Authorization;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The OAuth pages a person's browser visits: the authorization endpoint (login on IMSM's own pages,
 * an existing session reused, consent only for clients registered with require_consent), the device
 * page (RFC 8628) and RP-initiated logout.
 */
public final class OAuthPages {
    /** The authorization request parameters the consent form carries back. */
    private static final List<String> AUTHORIZE_PARAMS = List.of("response_type", "client_id", "redirect_uri", "scope", "state",
            "code_challenge", "code_challenge_method", "nonce");

    private final Authorization authorization;
    private final IdentityService identity;
    private final WebAuth auth;
    private final PageRenderer renderer;
    private final String issuer;

    public OAuthPages(Authorization authorization, IdentityService identity, WebAuth auth, PageRenderer renderer, String issuer) {
        this.authorization = Objects.requireNonNull(authorization);
        this.identity = Objects.requireNonNull(identity);
        this.auth = Objects.requireNonNull(auth);
        this.renderer = Objects.requireNonNull(renderer);
        this.issuer = Objects.requireNonNull(issuer);
    }

    /** RFC 6749 §4.1.1, OIDC Core §3.1.2.1. */
    public void authorize(Context ctx) {
        PageSupport.noStore(ctx);
        Authorization.AuthorizeRequest r;
        try {
            r = authorization.check(ctx::queryParam);
            Optional<Caller> caller = auth.optional(ctx);
            boolean forceLogin = r.prompt() != null && Arrays.asList(r.prompt().split(" ")).contains("login");
            if (caller.isEmpty() || forceLogin) {
                if ("none".equals(r.prompt())) {
                    throw authorization.loginRequired(r);
                }
                auth.rememberReturn(ctx, ctx.path() + "?" + withoutPromptLogin(ctx.queryString()));
                ctx.redirect("/login");
                return;
            }
            if (authorization.needsConsent(r)) {
                Map<String, String> keep = new LinkedHashMap<>();
                for (String p : AUTHORIZE_PARAMS) {
                    if (ctx.queryParam(p) != null) {
                        keep.put(p, ctx.queryParam(p));
                    }
                }
                ctx.html(renderer.render("oauth_consent.jte", new Views.OAuthConsent(PageSupport.nav(caller.get()), r.client().name(),
                        r.scope() == null ? r.client().scopes() : List.of(r.scope().split(" ")), keep)));
                return;
            }
            ctx.redirect(authorization.approve(caller.get(), r));
        } catch (Authorization.AuthorizeError e) {
            sendError(ctx, e);
        }
    }

    /** The consent form's decision. */
    public void consent(Context ctx) {
        PageSupport.noStore(ctx);
        Caller c = auth.requireForForm(ctx);
        try {
            Authorization.AuthorizeRequest r = authorization.check(ctx::formParam);
            String location = "allow".equals(ctx.formParam("decision")) ? authorization.approve(c, r) : authorization.denied(r).location(issuer);
            // a page, not a redirect: the form post's CSP form-action would stop a redirect to the client
            ctx.html(renderer.render("continue.jte", new Views.Continue(location)));
        } catch (Authorization.AuthorizeError e) {
            sendError(ctx, e);
        }
    }

    /** RFC 8628 §3.3: the person enters (or confirms) the user code after logging in. */
    public void devicePage(Context ctx) {
        PageSupport.noStore(ctx);
        Optional<Caller> caller = auth.optional(ctx);
        String userCode = ctx.queryParam("user_code");
        if (caller.isEmpty()) {
            auth.rememberReturn(ctx, userCode == null ? "/device" : "/device?" + ctx.queryString());
            ctx.redirect("/login");
            return;
        }
        Caller c = caller.get().requireReady();
        if (userCode == null) {
            ctx.html(renderer.render("device.jte", new Views.Device(PageSupport.nav(c), null, null, null, null)));
            return;
        }
        var client = authorization.pendingDevice(userCode);
        if (client.isEmpty()) {
            ctx.status(400).html(renderer.render("device.jte", new Views.Device(PageSupport.nav(c), null, null, null,
                    "This code is unknown, used or expired. Check the code on your device.")));
            return;
        }
        ctx.html(renderer.render("device.jte", new Views.Device(PageSupport.nav(c), userCode.trim().toUpperCase(java.util.Locale.ROOT),
                client.get().name(), null, null)));
    }

    public void deviceDecision(Context ctx) {
        PageSupport.noStore(ctx);
        Caller c = auth.requireForForm(ctx);
        boolean allow = "allow".equals(ctx.formParam("decision"));
        if (!authorization.decideDevice(c, ctx.formParam("user_code"), allow)) {
            ctx.status(400).html(renderer.render("device.jte", new Views.Device(PageSupport.nav(c), null, null, null,
                    "This code is unknown, used or expired. Check the code on your device.")));
            return;
        }
        ctx.html(renderer.render("device.jte", new Views.Device(PageSupport.nav(c), null, null,
                allow ? "Done: your device is connected. You can close this page." : "Denied: the device gets no access.", null)));
    }

    /**
     * OIDC RP-Initiated Logout §2: ends the IMSM browser session (and with it the refresh-token
     * families from it), then goes back to the client's registered post_logout_redirect_uri.
     */
    public void endSession(Context ctx) {
        PageSupport.noStore(ctx);
        String cookie = auth.sessionCookieValue(ctx);
        if (cookie != null) {
            identity.logout(cookie, WebSupport.clientIp(ctx));
            auth.clearSession(ctx);
        }
        Optional<String> back = authorization.postLogoutRedirect(ctx.queryParam("id_token_hint"), ctx.queryParam("client_id"),
                ctx.queryParam("post_logout_redirect_uri"), ctx.queryParam("state"));
        if (ctx.queryParam("post_logout_redirect_uri") != null && back.isEmpty()) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "post_logout_redirect_uri is not one registered for this client.");
        }
        ctx.redirect(back.orElse("/login"));
    }

    private void sendError(Context ctx, Authorization.AuthorizeError e) {
        String location = e.location(issuer);
        if (location == null) {
            // RFC 6749 §4.1.2.1: never redirect to an unchecked URI; tell the person instead
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        ctx.redirect(location);
    }

    /** After the login that prompt=login asked for, the request must not send the person to log in again. */
    private static String withoutPromptLogin(String query) {
        return query == null ? "" : query.replaceAll("(^|&)prompt=login(?=&|$)", "");
    }
}
