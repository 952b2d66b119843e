package io.imsm.server.web.http;

import io.imsm.protocol.BearerHeader;
import io.imsm.protocol.ConstantTime;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.apitoken.LoginRedirects;
import io.imsm.server.identity.BearerAuthenticator;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.Secrets;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HandlerType;
import io.javalin.http.SameSite;

import java.util.Objects;
import java.util.Optional;

/**
 * Resolves the caller of a request (session cookie or bearer token) and checks CSRF tokens on
 * cookie-authenticated state changes. Only HTTP plumbing; the rules live in the services.
 */
public final class WebAuth {
    public static final String CSRF_HEADER = "X-CSRF-Token";
    public static final String CSRF_FIELD = "_csrf";
    private static final String CALLER_ATTR = "imsm.caller";

    private final IdentityService identity;
    private final BearerAuthenticator bearer;
    private final boolean secureCookies;
    private final LoginRedirects loginRedirects;
    private final String sessionCookie;
    private final String loginCsrfCookie;
    private final String returnCookie;

    public WebAuth(IdentityService identity, BearerAuthenticator bearer, boolean secureCookies, LoginRedirects loginRedirects) {
        this.identity = Objects.requireNonNull(identity);
        this.bearer = Objects.requireNonNull(bearer);
        this.secureCookies = secureCookies;
        this.loginRedirects = Objects.requireNonNull(loginRedirects);
        // The __Host- prefix makes browsers refuse the cookie unless Secure, Path=/ and host-only.
        this.sessionCookie = secureCookies ? "__Host-imsm_session" : "imsm_session";
        this.loginCsrfCookie = secureCookies ? "__Host-imsm_login_csrf" : "imsm_login_csrf";
        this.returnCookie = secureCookies ? "__Host-imsm_return" : "imsm_return";
    }

    public String sessionCookieName() { return sessionCookie; }

    /** The caller of an API request, or 401. Cookie callers send the CSRF token in the {@value #CSRF_HEADER} header. */
    public Caller requireForApi(Context ctx) {
        return require(ctx, false);
    }

    /** The caller of a page or form post, or 401. Cookie callers send the CSRF token as the {@value #CSRF_FIELD} form field. */
    public Caller requireForForm(Context ctx) {
        return require(ctx, true);
    }

    /** The caller, or 401. Cookie callers must present the CSRF token on state-changing methods. */
    private Caller require(Context ctx, boolean formPost) {
        Caller cached = ctx.attribute(CALLER_ATTR);
        if (cached != null) {
            return cached;
        }
        String authz = ctx.header("Authorization");
        Caller caller;
        if (authz != null) {
            if (formPost) {
                // Form routes render pages for a person (header, CSRF token, own settings); a bearer
                // caller has neither, so refuse before any change rather than fail while rendering.
                throw new ImsmException.Forbidden(ErrorCode.FORBIDDEN,
                        "Pages need a browser login. Scripts use the JSON API under /api/v1 with the bearer token.");
            }
            String token = BearerHeader.token(authz);
            if (token == null) {
                throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "Use 'Authorization: Bearer <token>'.");
            }
            caller = bearer.authenticate(token, WebSupport.clientIp(ctx), ctx.method().name(), ctx.path());
            if (caller.viaApiToken() && ctx.path().startsWith("/api/v1/me/")) {
                // passwords, second factors and login sessions need the person at a login, not a token
                throw new ImsmException.Forbidden(ErrorCode.FORBIDDEN, "This needs a login session, not an API token.");
            }
        } else {
            caller = identity.authenticate(ctx.cookie(sessionCookie), WebSupport.clientIp(ctx))
                    .orElseThrow(() -> new ImsmException.Unauthenticated(ErrorCode.UNAUTHENTICATED, "Log in first."));
            if (isStateChanging(ctx.method())) {
                String presented = formPost ? ctx.formParam(CSRF_FIELD) : ctx.header(CSRF_HEADER);
                if (!ConstantTime.equals(presented, caller.session().csrfToken())) {
                    throw new ImsmException.Forbidden(ErrorCode.CSRF_FAILED,
                            formPost ? "The form expired or came from elsewhere. Reload the page and try again."
                                     : "Missing or wrong " + CSRF_HEADER + " header.");
                }
            }
        }
        ctx.attribute(CALLER_ATTR, caller);
        return caller;
    }

    /** The caller if logged in (no CSRF check; for GET pages). */
    public Optional<Caller> optional(Context ctx) {
        return identity.authenticate(ctx.cookie(sessionCookie), WebSupport.clientIp(ctx));
    }

    public void setSession(Context ctx, String value, int maxAgeSeconds) {
        ctx.cookie(new Cookie(sessionCookie, value, "/", maxAgeSeconds, secureCookies, true, null, SameSite.LAX));
    }

    public void clearSession(Context ctx) {
        ctx.cookie(new Cookie(sessionCookie, "", "/", 0, secureCookies, true, null, SameSite.LAX));
    }

    public String sessionCookieValue(Context ctx) {
        return ctx.cookie(sessionCookie);
    }

    /** Double-submit token for the login form (there is no session yet to hold one). */
    public String issueLoginCsrf(Context ctx, Secrets secrets) {
        String token = secrets.token(24);
        ctx.cookie(new Cookie(loginCsrfCookie, token, "/", 1800, secureCookies, true, null, SameSite.STRICT));
        return token;
    }

    public void checkLoginCsrf(Context ctx) {
        String cookie = ctx.cookie(loginCsrfCookie);
        if (cookie == null || !ConstantTime.equals(cookie, ctx.formParam(CSRF_FIELD))) {
            throw new ImsmException.Forbidden(ErrorCode.CSRF_FAILED, "The login form expired. Reload the page and try again.");
        }
    }

    /**
     * Where to go after the login that a protocol page (an OAuth authorization request, the device
     * page) sent the person to: a short-lived cookie holding a local path under {@code /oauth2/} or
     * {@code /device}, never a full URL, so it cannot send anyone elsewhere.
     */
    public void rememberReturn(Context ctx, String localPath) {
        if (isReturnPath(localPath)) {
            setReturn(ctx, localPath);
        }
    }

    /**
     * The login page's {@code rd} (where an ingress sent the person from), when {@link LoginRedirects}
     * allows it; anything else is ignored and the login ends on the home page.
     */
    public void rememberLoginTarget(Context ctx, String rd) {
        loginRedirects.target(rd).ifPresent(target -> setReturn(ctx, target));
    }

    private void setReturn(Context ctx, String target) {
        ctx.cookie(new Cookie(returnCookie, java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(target.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "/", 600, secureCookies, true, null, SameSite.LAX));
    }

    /** The remembered path (once: the cookie is cleared), if any. */
    public Optional<String> takeReturn(Context ctx) {
        String v = ctx.cookie(returnCookie);
        if (v == null) {
            return Optional.empty();
        }
        ctx.cookie(new Cookie(returnCookie, "", "/", 0, secureCookies, true, null, SameSite.LAX));
        try {
            String path = new String(java.util.Base64.getUrlDecoder().decode(v), java.nio.charset.StandardCharsets.UTF_8);
            return isReturnPath(path) ? Optional.of(path) : loginRedirects.target(path);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean isReturnPath(String p) {
        return p != null && p.length() <= 3000 && (p.startsWith("/oauth2/authorize?") || p.equals("/device") || p.startsWith("/device?"))
                && p.chars().noneMatch(ch -> ch < 0x21 || ch == '\\');
    }

    private static boolean isStateChanging(HandlerType m) {
        return m == HandlerType.POST || m == HandlerType.PUT || m == HandlerType.PATCH || m == HandlerType.DELETE;
    }
}
