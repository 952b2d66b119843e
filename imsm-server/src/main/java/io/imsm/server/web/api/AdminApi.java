package io.imsm.server.web.api;

import io.imsm.server.ImsmException;
import io.imsm.server.identity.AdminService;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.MfaPolicy;
import io.imsm.server.token.TokenService;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Objects;

/** The admin JSON API under /api/v1/admin (session with CSRF, or bearer). */
public final class AdminApi {
    private final AdminService admin;
    private final TokenService tokens;
    private final WebAuth auth;
    private final String baseUrl;

    public AdminApi(AdminService admin, TokenService tokens, WebAuth auth, String baseUrl) {
        this.admin = Objects.requireNonNull(admin);
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
        this.baseUrl = Objects.requireNonNull(baseUrl);
    }


    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AdminService.Page p = admin.listUsers(c, ctx.queryParam("search"), WebSupport.intParam(ctx, "offset", 0),
                WebSupport.intParam(ctx, "limit", 50));
        ctx.json(new ApiBodies.UserPage(p.users().stream().map(ApiBodies.UserView::of).toList(), p.total(), p.offset(), p.limit()));
    }

    public void create(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AdminService.Created created = admin.createUser(c, WebSupport.body(ctx, ApiBodies.NewUserRequest.class).toCommand());
        String inviteUrl = created.inviteToken() == null ? null : baseUrl + "/invite/" + created.inviteToken();
        ctx.status(201).header("Location", "/api/v1/admin/users/" + created.user().id()).header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.CreatedUser(ApiBodies.UserView.of(created.user()), inviteUrl, created.inviteExpiresAt()));
    }

    public void get(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(ApiBodies.UserView.of(admin.getUser(c, ctx.pathParam("id"))));
    }

    public void roles(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.RolesChange req = WebSupport.body(ctx, ApiBodies.RolesChange.class);
        if (req.roles() == null) {
            throw new ImsmException.Invalid("roles is required (a list, possibly empty)");
        }
        ctx.json(ApiBodies.UserView.of(admin.setRoles(c, ctx.pathParam("id"), req.roles())));
    }

    public void status(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(ApiBodies.UserView.of(admin.setStatus(c, ctx.pathParam("id"), WebSupport.body(ctx, ApiBodies.StatusChange.class).status())));
    }

    public void mfaReset(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(ApiBodies.UserView.of(admin.resetSecondFactor(c, ctx.pathParam("id"))));
    }

    public void profile(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.ProfileChange req = WebSupport.body(ctx, ApiBodies.ProfileChange.class);
        ctx.json(ApiBodies.UserView.of(admin.updateProfile(c, ctx.pathParam("id"), req.toCommand())));
    }

    public void unlock(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(ApiBodies.UserView.of(admin.unlock(c, ctx.pathParam("id"))));
    }

    public void passwordReset(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AdminService.PasswordReset r = admin.resetPassword(c, ctx.pathParam("id"));
        ctx.header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.PasswordResetResult(ApiBodies.UserView.of(r.user()), r.oneTimePassword()));
    }

    public void invite(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        AdminService.Created created = admin.resendInvite(c, ctx.pathParam("id"));
        ctx.header("Cache-Control", "no-store");
        ctx.json(new ApiBodies.CreatedUser(ApiBodies.UserView.of(created.user()), baseUrl + "/invite/" + created.inviteToken(),
                created.inviteExpiresAt()));
    }

    public void listTokens(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new TokenApi.SessionList(tokens.liveOf(c, ctx.pathParam("id"))));
    }

    public void revokeAllTokens(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new ApiBodies.Revoked(tokens.revokeAllOf(c, ctx.pathParam("id"))));
    }

    public void revokeToken(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        tokens.revokeOf(c, ctx.pathParam("id"), ctx.pathParam("sid"));
        ctx.status(204);
    }

    public void getPolicy(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        MfaPolicy p = admin.mfaPolicy(c);
        ctx.json(new ApiBodies.MfaPolicyBody(p.requiredForAll(), p.requiredRoles()));
    }

    public void putPolicy(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ApiBodies.MfaPolicyBody body = WebSupport.body(ctx, ApiBodies.MfaPolicyBody.class);
        if (body.requiredForAll() == null) {
            throw new ImsmException.Invalid("required_for_all is required (true or false)");
        }
        MfaPolicy p = admin.setMfaPolicy(c, new MfaPolicy(body.requiredForAll(),
                body.requiredRoles() == null ? List.of() : body.requiredRoles()));
        ctx.json(new ApiBodies.MfaPolicyBody(p.requiredForAll(), p.requiredRoles()));
    }
}
