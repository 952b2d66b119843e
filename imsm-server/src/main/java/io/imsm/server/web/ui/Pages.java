package io.imsm.server.web.ui;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.token.TokenService;
import io.imsm.server.identity.AdminService;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.QrCodes;
import io.imsm.server.identity.Secrets;
import io.imsm.server.identity.User;
import io.imsm.server.web.WebAuth;
import io.imsm.server.web.WebSupport;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/** The HTML pages. Same services as the API; forms carry the session's CSRF token. */
public final class Pages {
    /** The API's JSON rules (snake_case, unknown fields refused) for pasted service definitions. */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = io.imsm.server.web.HttpServer.jsonMapper();
    private static final com.fasterxml.jackson.databind.ObjectWriter PRETTY = io.imsm.server.web.HttpServer.jsonMapper()
            .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            .writerWithDefaultPrettyPrinter();
    private final IdentityService identity;
    private final AdminService admin;
    private final CatalogService catalog;
    private final TokenService tokens;
    private final WebAuth auth;
    private final Secrets secrets;
    private final PageRenderer renderer;
    private final int absoluteTimeoutSeconds;
    private final java.util.function.Supplier<String> publicUrl;

    public Pages(IdentityService identity, AdminService admin, CatalogService catalog, TokenService tokens, WebAuth auth, Secrets secrets, PageRenderer renderer,
                 int absoluteTimeoutSeconds, java.util.function.Supplier<String> publicUrl) {
        this.identity = Objects.requireNonNull(identity);
        this.admin = Objects.requireNonNull(admin);
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
        this.secrets = Objects.requireNonNull(secrets);
        this.renderer = Objects.requireNonNull(renderer);
        this.absoluteTimeoutSeconds = absoluteTimeoutSeconds;
        this.publicUrl = Objects.requireNonNull(publicUrl);
    }

    public void register(RoutesConfig r) {
        r.get("/", this::home);
        r.get("/login", this::loginPage);
        r.post("/login", this::loginSubmit);
        r.get("/login/otp", this::otpPage);
        r.post("/login/otp", this::otpSubmit);
        r.post("/logout", this::logout);
        r.get("/settings", this::settings);
        r.post("/settings/phone", this::phone);
        r.post("/settings/sessions/{id}/end", this::endSession);
        r.post("/settings/recovery-codes", this::recoveryCodes);
        r.post("/settings/totp/remove", this::removeTotp);
        r.get("/settings/password", this::passwordPage);
        r.post("/settings/password", this::passwordSubmit);
        r.get("/settings/totp", this::totpPage);
        r.post("/settings/totp", this::totpSubmit);
        r.get("/admin/users", this::adminUsers);
        r.post("/admin/users", this::adminCreate);
        r.get("/admin/users/{id}", this::adminUser);
        r.post("/admin/users/{id}/roles", this::adminRoles);
        r.post("/admin/users/{id}/status", this::adminStatus);
        r.post("/admin/users/{id}/mfa-reset", this::adminMfaReset);
        r.get("/admin/services", this::adminServices);
        r.post("/admin/services", this::adminServicePut);
        r.get("/admin/services/{id}", this::adminService);
        r.post("/admin/services/{id}/delete", this::adminServiceDelete);
        r.get("/services/{id}", this::serviceForm);
        r.post("/services/{id}", this::serviceSubmit);
        r.post("/sessions/{sid}/revoke", this::revokeToken);
        r.get("/invite/{token}", this::invitePage);
        r.post("/invite/{token}", this::inviteSubmit);
    }

    // ------------------------------------------------------------ login

    private void loginPage(Context ctx) {
        noStore(ctx);
        ctx.html(renderer.render("login.jte", new Views.Login(auth.issueLoginCsrf(ctx, secrets), null, "")));
    }

    private void loginSubmit(Context ctx) {
        noStore(ctx);
        auth.checkLoginCsrf(ctx);
        String username = ctx.formParam("username");
        try {
            IdentityService.LoginResult res = identity.passwordStep(username, ctx.formParam("password"),
                    WebSupport.clientIp(ctx), ctx.userAgent());
            auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
            ctx.redirect(res.stage().equals("full") ? "/" : "/login/otp");
        } catch (ImsmException.Unauthenticated | ImsmException.Throttled e) {
            ctx.status(e.code().status());
            ctx.html(renderer.render("login.jte", new Views.Login(auth.issueLoginCsrf(ctx, secrets), e.getMessage(),
                    username == null ? "" : username)));
        }
    }

    private void otpPage(Context ctx) {
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
    private void otpSubmit(Context ctx) {
        noStore(ctx);
        try {
            IdentityService.LoginResult res = identity.completeSecondFactor(auth.sessionCookieValue(ctx),
                    ctx.formParam("otp"), WebSupport.clientIp(ctx), ctx.userAgent());
            auth.setSession(ctx, res.cookie(), absoluteTimeoutSeconds);
            ctx.redirect("/");
        } catch (ImsmException.Unauthenticated | ImsmException.Throttled e) {
            if (e.code() == ErrorCode.UNAUTHENTICATED) {
                ctx.redirect("/login");
                return;
            }
            ctx.status(e.code().status());
            ctx.html(renderer.render("login_otp.jte", new Views.LoginOtp(e.getMessage())));
        }
    }

    private void logout(Context ctx) {
        auth.require(ctx, true);
        identity.logout(auth.sessionCookieValue(ctx), WebSupport.clientIp(ctx));
        auth.clearSession(ctx);
        ctx.redirect("/login");
    }

    // ------------------------------------------------------------ home and settings

    private void home(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        User u = c.user();
        ctx.html(renderer.render("home.jte", new Views.Home(nav(c), u.displayName(), sorted(u.roles()), catalog.menu(c),
                u.hasTotp(), identity.unusedRecoveryCodes(c), tokens.live(c))));
    }

    private void settings(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        renderSettings(ctx, c, done(ctx), null);
    }

    private void renderSettings(Context ctx, Caller c, String message, String error) {
        noStore(ctx);
        ctx.html(renderer.render("settings.jte", new Views.Settings(nav(c), c.user(), identity.listSessions(c),
                identity.unusedRecoveryCodes(c), c.mfaRequired(), message, error)));
    }

    private void phone(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        try {
            identity.updatePhone(c, ctx.formParam("phone"));
            ctx.redirect("/settings?done=Phone+saved.");
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            renderSettings(ctx, c, null, e.getMessage());
        }
    }

    private void endSession(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        identity.endSession(c, ctx.pathParam("id"));
        ctx.redirect("/settings?done=Session+ended.#sessions");
    }

    private void recoveryCodes(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        try {
            List<String> codes = identity.regenerateRecoveryCodes(c, ctx.formParam("password"));
            noStore(ctx);
            ctx.html(renderer.render("recovery_codes.jte", new Views.RecoveryCodes(nav(c), codes)));
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderSettings(ctx, c, null, e.getMessage());
        }
    }

    private void removeTotp(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        try {
            identity.removeTotp(c, ctx.formParam("password"));
            ctx.redirect(c.mfaRequired() ? "/settings/totp" : "/settings?done=Authenticator+removed.");
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            renderSettings(ctx, c, null, e.getMessage());
        }
    }

    private void passwordPage(Context ctx) {
        Caller c = loggedIn(ctx);
        if (c == null) {
            return;
        }
        noStore(ctx);
        ctx.html(renderer.render("password.jte", new Views.PasswordChange(nav(c), c.user().mustChangePassword(),
                identity.minPasswordLength(), null)));
    }

    private void passwordSubmit(Context ctx) {
        Caller c = auth.require(ctx, true);
        String next = ctx.formParam("new_password");
        try {
            if (next == null || !next.equals(ctx.formParam("new_password2"))) {
                throw new ImsmException.Invalid("The two new passwords differ.");
            }
            identity.changePassword(c, ctx.formParam("current_password"), next);
            ctx.redirect(c.mfaRequired() && !c.user().hasTotp() ? "/settings/totp" : "/settings?done=Password+changed.");
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            noStore(ctx);
            ctx.html(renderer.render("password.jte", new Views.PasswordChange(nav(c), c.user().mustChangePassword(),
                    identity.minPasswordLength(), e.getMessage())));
        }
    }

    private void totpPage(Context ctx) {
        Caller c = loggedIn(ctx);
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
        IdentityService.TotpEnrollment e = identity.pendingEnrollment(c).orElseGet(() -> identity.startTotpEnrollment(c));
        renderEnroll(ctx, c, e, null);
    }

    private void renderEnroll(Context ctx, Caller c, IdentityService.TotpEnrollment e, String error) {
        noStore(ctx);
        ctx.html(renderer.render("totp_enroll.jte", new Views.TotpEnroll(nav(c), e.secret(), QrCodes.svgDataUrl(e.otpauthUri()),
                error, c.mfaRequired())));
    }

    private void totpSubmit(Context ctx) {
        Caller c = auth.require(ctx, true);
        try {
            if (c.user().hasTotp()) {
                ctx.redirect("/settings#mfa");
                return;
            }
            List<String> codes = identity.confirmTotpEnrollment(c, ctx.formParam("code"));
            noStore(ctx);
            ctx.html(renderer.render("recovery_codes.jte", new Views.RecoveryCodes(nav(c), codes)));
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            IdentityService.TotpEnrollment pending = identity.pendingEnrollment(c).orElseGet(() -> identity.startTotpEnrollment(c));
            renderEnroll(ctx, c, pending, e.getMessage());
        }
    }

    // ------------------------------------------------------------ admin

    private void adminUsers(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        renderUsers(ctx, c, done(ctx), null);
    }

    private void renderUsers(Context ctx, Caller c, String message, String error) {
        String search = ctx.queryParam("search");
        AdminService.Page p = admin.listUsers(c, search, WebSupport.intParam(ctx, "offset", 0), WebSupport.intParam(ctx, "limit", 50));
        noStore(ctx);
        ctx.html(renderer.render("admin_users.jte", new Views.AdminUsers(nav(c), p.users(), p.total(), p.offset(), p.limit(),
                search == null ? "" : search, message, error)));
    }

    private void adminCreate(Context ctx) {
        Caller c = auth.require(ctx, true).requireAdmin();
        String password = ctx.formParam("password");
        boolean invite = password == null || password.isEmpty();
        try {
            AdminService.Created created = admin.createUser(c, new AdminService.NewUser(ctx.formParam("username"),
                    ctx.formParam("display_name"), ctx.formParam("email"), null, splitRoles(ctx.formParam("roles")),
                    invite ? null : password, invite, null));
            String msg = "Created " + created.user().username() + "."
                    + (invite ? " Send this one-time invite link (valid 72 hours): " + publicUrl.get() + "/invite/" + created.inviteToken()
                              : " The user must change the password at first login.");
            renderUsers(ctx, c, msg, null);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUsers(ctx, c, null, e.getMessage());
        }
    }

    private void adminUser(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        ctx.html(renderer.render("admin_user.jte", new Views.AdminUser(nav(c), admin.getUser(c, ctx.pathParam("id")),
                done(ctx), null)));
    }

    private void adminRoles(Context ctx) {
        adminAction(ctx, c -> admin.setRoles(c, ctx.pathParam("id"), splitRoles(ctx.formParam("roles"))), "Roles+saved.");
    }

    private void adminStatus(Context ctx) {
        adminAction(ctx, c -> admin.setStatus(c, ctx.pathParam("id"), ctx.formParam("status")), "Status+changed.");
    }

    private void adminMfaReset(Context ctx) {
        adminAction(ctx, c -> admin.resetSecondFactor(c, ctx.pathParam("id")), "Second+factor+reset.");
    }

    private void adminAction(Context ctx, java.util.function.Function<Caller, User> action, String done) {
        Caller c = auth.require(ctx, true).requireAdmin();
        try {
            User u = action.apply(c);
            ctx.redirect("/admin/users/" + u.id() + "?done=" + done);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            ctx.html(renderer.render("admin_user.jte", new Views.AdminUser(nav(c), admin.getUser(c, ctx.pathParam("id")),
                    null, e.getMessage())));
        }
    }

    // ------------------------------------------------------------ admin: service catalog

    private void adminServices(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        renderServices(ctx, c, "", done(ctx), null);
    }

    private void renderServices(Context ctx, Caller c, String json, String message, String error) {
        noStore(ctx);
        ctx.html(renderer.render("admin_services.jte", new Views.AdminServices(nav(c), catalog.list(c), json, message, error)));
    }

    /** Registers or replaces the service the pasted JSON defines (same rules as PUT /api/v1/admin/services/{id}). */
    private void adminServicePut(Context ctx) {
        Caller c = auth.require(ctx, true).requireAdmin();
        String json = ctx.formParam("definition");
        try {
            ServiceDefinition def = parseDefinition(json);
            if (def.id() == null || def.id().isBlank()) {
                throw new ImsmException.Invalid("The definition needs an id.");
            }
            CatalogService.Applied a = catalog.put(c, def.id(), def);
            String outcome = switch (a.outcome()) {
                case CREATED -> "Created";
                case UPDATED -> "Updated";
                case UNCHANGED -> "Unchanged";
            };
            renderServices(ctx, c, "", outcome + ": " + a.service().id() + ".", null);
        } catch (ImsmException.Invalid e) {
            ctx.status(e.code().status());
            renderServices(ctx, c, json == null ? "" : json, null, e.getMessage());
        }
    }

    private void adminService(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        ServiceDefinition svc = catalog.get(c, ctx.pathParam("id"));
        String json;
        try {
            json = PRETTY.writeValueAsString(svc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        noStore(ctx);
        ctx.html(renderer.render("admin_service.jte", new Views.AdminService(nav(c), svc, json)));
    }

    private void adminServiceDelete(Context ctx) {
        Caller c = auth.require(ctx, true).requireAdmin();
        catalog.delete(c, ctx.pathParam("id"));
        ctx.redirect("/admin/services?done=Service+deleted.");
    }

    private static ServiceDefinition parseDefinition(String json) {
        if (json == null || json.isBlank()) {
            throw new ImsmException.Invalid("Paste the service definition as a JSON object.");
        }
        ServiceDefinition def;
        try {
            def = JSON.readValue(json, ServiceDefinition.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new ImsmException.Invalid("The definition is not valid JSON: " + io.imsm.server.web.JsonErrors.describe(e) + where + ".");
        }
        if (def == null) {
            throw new ImsmException.Invalid("Paste the service definition as a JSON object.");
        }
        return def;
    }

    // ------------------------------------------------------------ tokens

    private void serviceForm(Context ctx) {
        Caller c = ready(ctx);
        if (c == null) {
            return;
        }
        ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), catalog.requestable(c, ctx.pathParam("id")), null)));
    }

    private void serviceSubmit(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        ServiceDefinition svc = catalog.requestable(c, ctx.pathParam("id"));
        try {
            java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
            for (String f : List.of("justification", "ticket_id", "manager")) {
                String v = ctx.formParam(f);
                if (v != null && !v.isBlank()) {
                    fields.put(f, v);
                }
            }
            TokenService.RequestLimit limit = null;
            String method = ctx.formParam("req_method");
            String path = ctx.formParam("req_path");
            if ((method != null && !method.isBlank()) || (path != null && !path.isBlank())) {
                limit = new TokenService.RequestLimit(method, path, queryLines(ctx.formParam("req_query")));
            }
            Integer ttl = null;
            String minutes = ctx.formParam("ttl_minutes");
            if (minutes != null && !minutes.isBlank()) {
                try {
                    ttl = Math.multiplyExact(Integer.parseInt(minutes.trim()), 60);
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new ImsmException.Invalid("The lifetime must be a whole number of minutes.");
                }
            }
            TokenService.Issued issued = tokens.issue(c, svc.id(), new TokenService.TokenRequest(ctx.formParams("scope"), ttl, fields, limit));
            noStore(ctx);
            ctx.html(renderer.render("token_issued.jte", new Views.TokenIssued(nav(c), svc.name(), issued, describe(limit),
                    curl(svc, limit, issued.token()))));
        } catch (ImsmException.Invalid | ImsmException.Unavailable e) {
            ctx.status(e.code().status());
            ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), svc, e.getMessage())));
        }
    }

    private void revokeToken(Context ctx) {
        Caller c = auth.require(ctx, true).requireReady();
        tokens.revoke(c, ctx.pathParam("sid"));
        ctx.redirect("/#tokens");
    }

    private static java.util.Map<String, String> queryLines(String text) {
        java.util.Map<String, String> q = new java.util.LinkedHashMap<>();
        if (text == null) {
            return q;
        }
        for (String line : text.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ImsmException.Invalid("Write query parameters as name=value, one per line ('" + line.strip() + "' is not).");
            }
            q.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return q;
    }

    private static String describe(TokenService.RequestLimit limit) {
        if (limit == null) {
            return null;
        }
        return limit.method().toUpperCase() + " " + limit.path() + query(limit);
    }

    private static String query(TokenService.RequestLimit limit) {
        if (limit == null || limit.query() == null || limit.query().isEmpty()) {
            return "";
        }
        return "?" + limit.query().entrySet().stream()
                .map(e -> java.net.URLEncoder.encode(e.getKey(), java.nio.charset.StandardCharsets.UTF_8) + "="
                        + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8))
                .collect(java.util.stream.Collectors.joining("&"));
    }

    private static String curl(ServiceDefinition svc, TokenService.RequestLimit limit, String token) {
        String base = svc.baseUrl() != null ? svc.baseUrl() : "https://" + svc.id() + ".example";
        String method = limit == null ? "GET" : limit.method().toUpperCase();
        String path = limit == null ? "/" : limit.path() + query(limit);
        return "curl -X " + method + " -H 'Authorization: Bearer " + token + "' '" + base + path + "'";
    }

    // ------------------------------------------------------------ invites

    private void invitePage(Context ctx) {
        noStore(ctx);
        String token = ctx.pathParam("token");
        String username = identity.inviteUsername(token)
                .orElseThrow(() -> new ImsmException.NotFound("This invite link is not valid or has expired."));
        ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, identity.minPasswordLength(), null, false)));
    }

    private void inviteSubmit(Context ctx) {
        noStore(ctx);
        String token = ctx.pathParam("token");
        String username = identity.inviteUsername(token)
                .orElseThrow(() -> new ImsmException.NotFound("This invite link is not valid or has expired."));
        try {
            identity.acceptInvite(token, ctx.formParam("password"), WebSupport.clientIp(ctx));
            ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, identity.minPasswordLength(), null, true)));
        } catch (ImsmException.Invalid e) {
            ctx.status(400);
            ctx.html(renderer.render("invite.jte", new Views.Invite(token, username, identity.minPasswordLength(), e.getMessage(), false)));
        }
    }

    // ------------------------------------------------------------ helpers

    /** Confirmation messages after a redirect. Only our own texts are shown, so a crafted link cannot put words on our pages. */
    private static final java.util.Set<String> DONE_MESSAGES = java.util.Set.of("Phone saved.", "Session ended.",
            "Authenticator removed.", "Password changed.", "Roles saved.", "Status changed.", "Second factor reset.", "Service deleted.");

    private static String done(Context ctx) {
        String d = ctx.queryParam("done");
        return d != null && DONE_MESSAGES.contains(d) ? d : null;
    }

    /** Logged-in caller for a GET page, or a redirect to /login (returns null then). */
    private Caller loggedIn(Context ctx) {
        return auth.optional(ctx).orElseGet(() -> {
            ctx.redirect("/login");
            return null;
        });
    }

    /** Like loggedIn, but first sends people to a pending password change or second-factor enrollment. */
    private Caller ready(Context ctx) {
        Caller c = loggedIn(ctx);
        if (c == null) {
            return null;
        }
        c.requireReady();
        return c;
    }

    private static Views.Nav nav(Caller c) {
        return new Views.Nav(c.user().username(), c.isAdmin(), c.session().csrfToken());
    }

    private static List<String> splitRoles(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static List<String> sorted(java.util.Set<String> s) {
        return List.copyOf(new TreeSet<>(s));
    }

    private static void noStore(Context ctx) {
        ctx.header("Cache-Control", "no-store");
    }
}
