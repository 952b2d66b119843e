package io.imsm.server.web.api;

import io.imsm.server.ImsmException;
import io.imsm.server.access.ScopeMappings;
import io.imsm.server.identity.AccountService;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.QrCodes;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Objects;

/** Login, logout, and the caller's own account under /api/v1. Thin: parse, authenticate, one call, render. */
public final class AccountApi {
    private final IdentityService identity;
    private final AccountService account;
    private final WebAuth auth;
    private final ScopeMappings scopes;
    private final int absoluteTimeoutSeconds;

    public AccountApi(IdentityService identity, AccountService account, WebAuth auth, ScopeMappings scopes, int absoluteTimeoutSeconds) {
        this.identity = Objects.requireNonNull(identity);
        this.account = Objects.requireNonNull(account);
        this.auth = Objects.requireNonNull(auth);
        this.scopes = Objects.requireNonNull(scopes);
        this.absoluteTimeoutSeconds = absoluteTimeoutSeconds;
    }


    public void login(Context ctx) {
        ApiBodies.LoginRequest req = WebSupport.body(ctx, ApiBodies.LoginRequest.class);
        IdentityService.LoginResult res = identity.login(req.username(), req.password(), req.otp(),
                WebSupport.clientIp(ctx), ctx.userAgent());
        auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
        ctx.json(new ApiBodies.CsrfResponse(res.csrf(), res.stage()));
    }

    public void logout(Context ctx) {
        auth.requireForApi(ctx);
        identity.logout(auth.sessionCookieValue(ctx), WebSupport.clientIp(ctx));
        auth.clearSession(ctx);
        ctx.status(204);
    }

    public void me(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        if (c.bootstrap()) {
            ctx.json(new ApiBodies.Me(null, java.util.List.of("admin"), java.util.List.of(), null, false, true));
            return;
        }
        ApiBodies.UserView user = ApiBodies.UserView.of(c.user());
        ctx.json(new ApiBodies.Me(user, user.roles(), java.util.List.copyOf(scopes.scopesFor(user.roles())), c.session() == null ? null : c.session().csrfToken(),
                c.mfaRequired(), false));
    }

    public void changePassword(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.PasswordChange req = WebSupport.body(ctx, ApiBodies.PasswordChange.class);
        account.changePassword(c, req.currentPassword(), req.newPassword());
        ctx.status(204);
    }

    public void changePhone(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.updatePhone(c, WebSupport.body(ctx, ApiBodies.PhoneChange.class).phone());
        ctx.status(204);
    }

    public void startTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AccountService.TotpEnrollment e = account.startTotpEnrollment(c);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.TotpStart(e.secret(), e.otpauthUri(), QrCodes.svgDataUrl(e.otpauthUri())));
    }

    public void confirmTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.Code req = WebSupport.body(ctx, ApiBodies.Code.class);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.RecoveryCodesResponse(account.confirmTotpEnrollment(c, req.code())));
    }

    public void removeTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.removeTotp(c, WebSupport.body(ctx, ApiBodies.PasswordOnly.class).password());
        ctx.status(204);
    }

    public void recoveryCodes(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.PasswordOnly req = WebSupport.body(ctx, ApiBodies.PasswordOnly.class);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.RecoveryCodesResponse(account.regenerateRecoveryCodes(c, req.password())));
    }

    public void sessions(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new ApiBodies.SessionList(account.listSessions(c)));
    }

    public void endSession(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.endSession(c, ctx.pathParam("id"));
        ctx.status(204);
    }

    public void acceptInvite(Context ctx) {
        ApiBodies.PasswordOnly req = WebSupport.body(ctx, ApiBodies.PasswordOnly.class);
        if (req.password() == null) {
            throw new ImsmException.Invalid("password is required");
        }
        account.acceptInvite(ctx.pathParam("token"), req.password(), WebSupport.clientIp(ctx));
        ctx.status(204);
    }
}
