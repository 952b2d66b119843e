package io.imsm.server.web.api;

import io.imsm.server.ImsmException;
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
    private final int absoluteTimeoutSeconds;

    public AccountApi(IdentityService identity, AccountService account, WebAuth auth, int absoluteTimeoutSeconds) {
        this.identity = Objects.requireNonNull(identity);
        this.account = Objects.requireNonNull(account);
        this.auth = Objects.requireNonNull(auth);
        this.absoluteTimeoutSeconds = absoluteTimeoutSeconds;
    }


    public void login(Context ctx) {
        Dto.LoginRequest req = WebSupport.body(ctx, Dto.LoginRequest.class);
        IdentityService.LoginResult res = identity.login(req.username(), req.password(), req.otp(),
                WebSupport.clientIp(ctx), ctx.userAgent());
        auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
        ctx.json(new Dto.CsrfResponse(res.csrf(), res.stage()));
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
            ctx.json(new Dto.Me(null, java.util.List.of("admin"), null, false, true));
            return;
        }
        ctx.json(new Dto.Me(Dto.UserView.of(c.user()), Dto.UserView.of(c.user()).roles(), c.session().csrfToken(),
                c.mfaRequired(), false));
    }

    public void changePassword(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        Dto.PasswordChange req = WebSupport.body(ctx, Dto.PasswordChange.class);
        account.changePassword(c, req.currentPassword(), req.newPassword());
        ctx.status(204);
    }

    public void changePhone(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.updatePhone(c, WebSupport.body(ctx, Dto.PhoneChange.class).phone());
        ctx.status(204);
    }

    public void startTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AccountService.TotpEnrollment e = account.startTotpEnrollment(c);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new Dto.TotpStart(e.secret(), e.otpauthUri(), QrCodes.svgDataUrl(e.otpauthUri())));
    }

    public void confirmTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        Dto.Code req = WebSupport.body(ctx, Dto.Code.class);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new Dto.RecoveryCodesResponse(account.confirmTotpEnrollment(c, req.code())));
    }

    public void removeTotp(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.removeTotp(c, WebSupport.body(ctx, Dto.PasswordOnly.class).password());
        ctx.status(204);
    }

    public void recoveryCodes(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        Dto.PasswordOnly req = WebSupport.body(ctx, Dto.PasswordOnly.class);
        ctx.header("Cache-Control", "no-store");
        ctx.json(new Dto.RecoveryCodesResponse(account.regenerateRecoveryCodes(c, req.password())));
    }

    public void sessions(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new Dto.SessionList(account.listSessions(c)));
    }

    public void endSession(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        account.endSession(c, ctx.pathParam("id"));
        ctx.status(204);
    }

    public void acceptInvite(Context ctx) {
        Dto.PasswordOnly req = WebSupport.body(ctx, Dto.PasswordOnly.class);
        if (req.password() == null) {
            throw new ImsmException.Invalid("password is required");
        }
        account.acceptInvite(ctx.pathParam("token"), req.password(), WebSupport.clientIp(ctx));
        ctx.status(204);
    }
}
