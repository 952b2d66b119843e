package io.imsm.server.web.ui;

import io.imsm.server.ErrorCode;
import io.imsm.server.access.CatalogService;
import io.imsm.server.approval.AccessRequests;
import io.imsm.server.identity.AccountService;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.QrCodes;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.User;
import io.imsm.server.token.TokenService;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import static io.imsm.server.web.ui.PageSupport.done;
import static io.imsm.server.web.ui.PageSupport.nav;
import static io.imsm.server.web.ui.PageSupport.noStore;

/**
 * The HTML pages: login, home, own settings and invites here; the admin area in {@link AdminPages},
 * token requests in {@link TokenPages}. Same services as the API; forms carry the session's CSRF token.
 */
public final class Pages {
    private final IdentityService identity;
    private final AccountService account;
    private final CatalogService catalog;
    private final TokenService tokens;
    private final WebAuth auth;
    private final Secrets secrets;
    private final PageRenderer renderer;
    private final PageSupport support;
    private final int absoluteTimeoutSeconds;

    private final io.imsm.server.access.ScopeMappings scopeMappings;
    private final AccessRequests accessRequests;

    public Pages(IdentityService identity, AccountService account, CatalogService catalog, TokenService tokens, WebAuth auth,
                 PageSupport support, Secrets secrets, PageRenderer renderer, int absoluteTimeoutSeconds,
                 io.imsm.server.access.ScopeMappings scopeMappings, AccessRequests accessRequests) {
        this.scopeMappings = Objects.requireNonNull(scopeMappings);
        this.accessRequests = Objects.requireNonNull(accessRequests);
        this.identity = Objects.requireNonNull(identity);
        this.account = Objects.requireNonNull(account);
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
        this.secrets = Objects.requireNonNull(secrets);
        this.renderer = Objects.requireNonNull(renderer);
        this.support = Objects.requireNonNull(support);
        this.absoluteTimeoutSeconds = absoluteTimeoutSeconds;
    }


    // ------------------------------------------------------------ login

    public void loginPage(Context ctx) {
        noStore(ctx);
        if (ctx.queryParam("rd") != null) {
            auth.rememberLoginTarget(ctx, ctx.queryParam("rd"));
        }
        ctx.html(renderer.render("login.jte", new Views.Login(auth.issueLoginCsrf(ctx, secrets), null, "")));
    }

    public void loginSubmit(Context ctx) {
        noStore(ctx);
        auth.checkLoginCsrf(ctx);
        String username = ctx.formParam("username");
        try {
            IdentityService.LoginResult res = identity.passwordStep(username, ctx.formParam("password"),
                    WebSupport.clientIp(ctx), ctx.userAgent());
            auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
            if (res.stage().equals("full")) {
                afterLogin(ctx);
            } else {
                ctx.redirect("/login/otp");
            }
        } catch (ImsmException.Unauthenticated | ImsmException.Throttled e) {
            ctx.status(e.code().status());
            retryAfter(ctx, e);
            ctx.html(renderer.render("login.jte", new Views.Login(auth.issueLoginCsrf(ctx, secrets), e.getMessage(),
                    username == null ? "" : username)));
        }
    }

    public void otpPage(Context ctx) {
        noStore(ctx);
        if (identity.pendingSession(auth.sessionCookieValue(ctx)).isEmpty()) {
            ctx.redirect("/login");
            return;
        }
        ctx.html(renderer.render("login_otp.jte", new Views.LoginOtp(null)));
    }

    /**
     * The pending session cookie is bound to this browser (SameSite=Lax, HttpOnly) and useless beyond
     * the second factor, so this form needs no separate CSRF token; the session id rotates on success.
     */
    public void otpSubmit(Context ctx) {
        noStore(ctx);
        try {
            IdentityService.LoginResult res = identity.completeSecondFactor(auth.sessionCookieValue(ctx),
                    ctx.formParam("otp"), WebSupport.clientIp(ctx), ctx.userAgent());
            auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
            afterLogin(ctx);
        } catch (ImsmException.Unauthenticated | ImsmException.Throttled e) {
            if (e.code() == ErrorCode.UNAUTHENTICATED) {
                ctx.redirect("/login");
                return;
            }
            ctx.status(e.code().status());
            retryAfter(ctx, e);
            // The password was accepted on the step before, so a failure here is about the code.
            String message = e.code() == ErrorCode.LOGIN_FAILED
                    ? "Wrong code. Enter the current code from your authenticator app, or a recovery code." : e.getMessage();
            ctx.html(renderer.render("login_otp.jte", new Views.LoginOtp(message)));
        }
    }

    /**
     * Home, or back to the protocol page that sent the person here (an OAuth authorization request), or
     * to the allowed {@code rd} an ingress sent them with.
     * That way goes through a page rather than a redirect: browsers hold the redirects after a form
     * post to the login page's CSP form-action, which would stop the final redirect to the client.
     */
    private void afterLogin(Context ctx) {
        var back = auth.takeReturn(ctx);
        if (back.isPresent()) {
            ctx.html(renderer.render("continue.jte", new Views.Continue(back.get())));
        } else {
            ctx.redirect("/");
        }
    }

    private static void retryAfter(Context ctx, ImsmException e) {
        if (e.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        }
    }

    public void logout(Context ctx) {
        auth.requireForForm(ctx);
        identity.logout(auth.sessionCookieValue(ctx), WebSupport.clientIp(ctx));
        auth.clearSession(ctx);
        ctx.redirect("/login");
    }

    // ------------------------------------------------------------ home and settings

    public void home(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        User u = c.user();
        noStore(ctx);
        ctx.html(renderer.render("home.jte", new Views.Home(nav(c), u.displayName(), sorted(u.roles()), catalog.menu(c),
                u.hasTotp(), account.unusedRecoveryCodes(c), tokens.live(c), support.now(), done(ctx),
                accessRequests.list(c, "requester").stream().filter(r -> !r.status().equals("cancelled") && r.pickedUpAt() == null)
                        .limit(20).toList())));
    }

    public void settings(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        renderSettings(ctx, c, done(ctx), Form.EMPTY);
    }

    private void renderSettings(Context ctx, Caller c, String message, Form form) {
        noStore(ctx);
        ctx.html(renderer.render("settings.jte", new Views.Settings(nav(c), c.user(), account.listSessions(c),
                account.unusedRecoveryCodes(c), c.mfaRequired(), message, form, support.now(),
                scopeMappings.scopesFor(c.user().roles()))));
    }

    /**
     * A settings form came back wrong: its message goes next to the field it is about. The page
     * has several forms with a password field, so field names carry the form's name.
     */
    private void rejectSettings(Context ctx, Caller c, String formName, ImsmException e, Form.Builder typed) {
        ctx.status(e.code().status());
        String field = e instanceof ImsmException.Invalid invalid && invalid.field() != null ? formName + "." + invalid.field() : null;
        renderSettings(ctx, c, null, typed.error(field, e.getMessage()).build());
    }

    public void phone(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        try {
            account.updatePhone(c, ctx.formParam("phone"));
            ctx.redirect("/settings?done=Phone+saved.");
        } catch (ImsmException.Invalid e) {
            rejectSettings(ctx, c, "phone", e, new Form.Builder().value("phone.phone", ctx.formParam("phone")));
        }
    }

    public void endSession(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (!PageSupport.confirmed(ctx)) {
            confirm(ctx, c, "End session", "End this session? That browser will have to log in again.", "End session", false);
            return;
        }
        account.endSession(c, ctx.pathParam("id"));
        ctx.redirect("/settings?done=Session+ended.#sessions");
    }

    public void endOtherSessions(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (!PageSupport.confirmed(ctx)) {
            confirm(ctx, c, "End all other sessions", "End every session except this one? Those browsers will have to log in again.",
                    "End other sessions", false);
            return;
        }
        account.endOtherSessions(c);
        ctx.redirect("/settings?done=Other+sessions+ended.#sessions");
    }

    private void confirm(Context ctx, Caller c, String title, String question, String button, boolean askPassword) {
        noStore(ctx);
        ctx.html(renderer.render("confirm.jte", new Views.Confirm(nav(c), title, question, ctx.path(), button, askPassword, "/settings", Map.of())));
    }

    public void recoveryCodes(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        try {
            List<String> codes = account.regenerateRecoveryCodes(c, ctx.formParam("password"));
            noStore(ctx);
            ctx.html(renderer.render("recovery_codes.jte", new Views.RecoveryCodes(nav(c), codes)));
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            rejectSettings(ctx, c, "recovery", e, new Form.Builder());
        }
    }

    public void removeTotp(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (!PageSupport.confirmed(ctx)) {
            confirm(ctx, c, "Remove authenticator", "Remove your authenticator app? Your recovery codes stop working too, and "
                    + "your other sessions end.", "Remove authenticator", true);
            return;
        }
        try {
            account.removeTotp(c, ctx.formParam("password"));
            ctx.redirect(c.mfaRequired() ? "/settings/totp" : "/settings?done=Authenticator+removed.");
        } catch (ImsmException.Invalid e) {
            rejectSettings(ctx, c, "totp_remove", e, new Form.Builder());
        }
    }

    public void passwordPage(Context ctx) {
        Caller c = support.loggedIn(ctx);
        if (c == null) {
            return;
        }
        noStore(ctx);
        ctx.html(renderer.render("password.jte", new Views.PasswordChange(nav(c), c.user().mustChangePassword(),
                account.minPasswordLength(), Form.EMPTY)));
    }

    public void passwordSubmit(Context ctx) {
        Caller c = auth.requireForForm(ctx);
        String next = ctx.formParam("new_password");
        try {
            if (next == null || !next.equals(ctx.formParam("new_password2"))) {
                throw ImsmException.Invalid.inField("new_password2", "The two new passwords differ.");
            }
            account.changePassword(c, ctx.formParam("current_password"), next);
            ctx.redirect(c.mfaRequired() && !c.user().hasTotp() ? "/settings/totp" : "/settings?done=Password+changed.");
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            noStore(ctx);
            // The policy does not know which form field held the new password; a weak one is always that one.
            String field = e.field() != null ? e.field() : e.code() == ErrorCode.WEAK_PASSWORD ? "new_password" : null;
            ctx.html(renderer.render("password.jte", new Views.PasswordChange(nav(c), c.user().mustChangePassword(),
                    account.minPasswordLength(), new Form.Builder().error(field, e.getMessage()).build())));
        }
    }

    public void totpPage(Context ctx) {
        Caller c = support.loggedIn(ctx);
        if (c == null) {
            return;
        }
        if (c.user().mustChangePassword()) {
            ctx.redirect("/settings/password");
            return;
        }
        if (c.user().hasTotp()) {
            ctx.redirect("/settings#mfa");
            return;
        }
        // GET only shows: a pending secret, or the button that starts the setup (a POST with CSRF).
        renderEnroll(ctx, c, account.pendingEnrollment(c).orElse(null), null);
    }

    /** Makes (or remakes) the pending secret, then shows it through GET (post/redirect/get). */
    public void totpStart(Context ctx) {
        Caller c = auth.requireForForm(ctx);
        if (c.user().hasTotp()) {
            ctx.redirect("/settings#mfa");
            return;
        }
        account.startTotpEnrollment(c);
        ctx.redirect("/settings/totp");
    }

    /** @param e the pending enrollment, or null for the page that offers to start one */
    private void renderEnroll(Context ctx, Caller c, AccountService.TotpEnrollment e, String error) {
        noStore(ctx);
        ctx.html(renderer.render("totp_enroll.jte", new Views.TotpEnroll(nav(c), e == null ? null : e.secret(),
                e == null ? null : QrCodes.svgDataUrl(e.otpauthUri()), error, c.mfaRequired())));
    }

    public void totpSubmit(Context ctx) {
        Caller c = auth.requireForForm(ctx);
        try {
            if (c.user().hasTotp()) {
                ctx.redirect("/settings#mfa");
                return;
            }
            List<String> codes = account.confirmTotpEnrollment(c, ctx.formParam("code"));
            noStore(ctx);
            ctx.html(renderer.render("recovery_codes.jte", new Views.RecoveryCodes(nav(c), codes)));
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            renderEnroll(ctx, c, account.pendingEnrollment(c).orElse(null), e.getMessage());
        }
    }

    // ------------------------------------------------------------ invites

    public void invitePage(Context ctx) {
        noStore(ctx);
        String token = ctx.pathParam("token");
        String username = account.inviteUsername(token)
                .orElseThrow(() -> new ImsmException.NotFound("This invite link is not valid or has expired."));
        ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, account.minPasswordLength(), null, false)));
    }

    public void inviteSubmit(Context ctx) {
        noStore(ctx);
        String token = ctx.pathParam("token");
        String username = account.inviteUsername(token)
                .orElseThrow(() -> new ImsmException.NotFound("This invite link is not valid or has expired."));
        try {
            account.acceptInvite(token, ctx.formParam("password"), WebSupport.clientIp(ctx));
            ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, account.minPasswordLength(), null, true)));
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, account.minPasswordLength(), e.getMessage(), false)));
        }
    }

    private static List<String> sorted(java.util.Set<String> s) {
        return List.copyOf(new TreeSet<>(s));
    }
}
