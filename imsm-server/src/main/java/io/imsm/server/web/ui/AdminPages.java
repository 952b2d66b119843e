package io.imsm.server.web.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.identity.AdminService;
import io.imsm.server.model.User;
import io.imsm.server.token.TokenService;
import io.imsm.server.json.Json;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.token.KeyExchangeCheck;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.imsm.server.web.ui.PageSupport.done;
import static io.imsm.server.web.ui.PageSupport.nav;
import static io.imsm.server.web.ui.PageSupport.noStore;

/** The admin area's pages: users and the service catalog. */
public final class AdminPages {
    /** The API's JSON rules (snake_case, unknown fields refused) for pasted service definitions. */
    private static final ObjectMapper JSON = Json.mapper();
    private static final ObjectWriter PRETTY = Json.prettyWithoutNulls();
    private final AdminService admin;
    private final CatalogService catalog;
    private final TokenService tokens;
    private final KeyExchangeCheck kxCheck;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;
    private final String publicUrl;

    public AdminPages(AdminService admin, CatalogService catalog, TokenService tokens, KeyExchangeCheck kxCheck, WebAuth auth,
                      PageSupport support, PageRenderer renderer, String publicUrl) {
        this.admin = Objects.requireNonNull(admin);
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
        this.kxCheck = Objects.requireNonNull(kxCheck);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
        this.publicUrl = Objects.requireNonNull(publicUrl);
    }



    public void adminUsers(Context ctx) {
        Caller c = support.ready(ctx);
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
                search == null ? "" : search, message, error, support.now())));
    }

    public void adminCreate(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String password = ctx.formParam("password");
        boolean invite = password == null || password.isEmpty();
        try {
            AdminService.Created created = admin.createUser(c, new AdminService.NewUser(ctx.formParam("username"),
                    ctx.formParam("display_name"), ctx.formParam("email"), null, splitRoles(ctx.formParam("roles")),
                    invite ? null : password, invite, null));
            String msg = "Created " + created.user().username() + "."
                    + (invite ? " Send this one-time invite link (valid 72 hours): " + publicUrl + "/invite/" + created.inviteToken()
                              : " The user must change the password at first login.");
            renderUsers(ctx, c, msg, null);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUsers(ctx, c, null, e.getMessage());
        }
    }

    public void adminUser(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        renderUser(ctx, c, done(ctx), null, null, null);
    }

    /** @param secretLabel, secret a one-time password or invite link, shown once on this response only */
    private void renderUser(Context ctx, Caller c, String message, String error, String secretLabel, String secret) {
        String id = ctx.pathParam("id");
        noStore(ctx);
        ctx.html(renderer.render("admin_user.jte", new Views.AdminUser(nav(c), admin.getAccount(c, id), tokens.liveOf(c, id),
                admin.knownRoles(c), message, error, secretLabel, secret, support.now())));
    }

    public void adminRevokeToken(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "Revoke token", "Revoke this token? Anything still using it stops working at once.",
                "Revoke", userPage(ctx))) {
            return;
        }
        tokens.revokeOf(c, ctx.pathParam("id"), ctx.pathParam("sid"));
        ctx.redirect("/admin/users/" + ctx.pathParam("id") + "?done=Token+revoked.#tokens");
    }

    public void adminRevokeAllTokens(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "Revoke all tokens", "Revoke every live token of this person?", "Revoke all",
                userPage(ctx))) {
            return;
        }
        int n = tokens.revokeAllOf(c, ctx.pathParam("id"));
        ctx.redirect("/admin/users/" + ctx.pathParam("id") + "?done=" + n + (n == 1 ? "+token" : "+tokens") + "+revoked.#tokens");
    }

    public void adminRoles(Context ctx) {
        adminAction(ctx, c -> admin.setRoles(c, ctx.pathParam("id"), splitRoles(ctx.formParam("roles"))), "Roles+saved.");
    }

    public void adminStatus(Context ctx) {
        if ("deleted".equals(ctx.formParam("status")) && PageSupport.askFirst(ctx, renderer, auth.requireForForm(ctx).requireAdmin(),
                "Delete person", "Delete this person? Their sessions and tokens end, and this cannot be undone.", "Delete",
                userPage(ctx), "status")) {
            return;
        }
        adminAction(ctx, c -> admin.setStatus(c, ctx.pathParam("id"), ctx.formParam("status")), "Status+changed.");
    }

    public void adminMfaReset(Context ctx) {
        if (PageSupport.askFirst(ctx, renderer, auth.requireForForm(ctx).requireAdmin(), "Reset second factor",
                "Remove this person's authenticator, end their sessions and revoke their tokens?", "Reset", userPage(ctx))) {
            return;
        }
        adminAction(ctx, c -> admin.resetSecondFactor(c, ctx.pathParam("id")), "Second+factor+reset.");
    }

    /** Name, email, phone and roles (checked known roles plus a comma-separated field for others). */
    public void adminProfile(Context ctx) {
        adminAction(ctx, c -> {
            List<String> roles = new java.util.ArrayList<>(ctx.formParams("roles"));
            roles.addAll(splitRoles(ctx.formParam("other_roles")));
            return admin.updateProfile(c, ctx.pathParam("id"), new AdminService.ProfileChange(ctx.formParam("display_name"),
                    blankToNull(ctx.formParam("email")), blankToNull(ctx.formParam("phone")), roles));
        }, "Profile+saved.");
    }

    public void adminUnlock(Context ctx) {
        adminAction(ctx, c -> admin.unlock(c, ctx.pathParam("id")), "Account+unlocked.");
    }

    public void adminPasswordReset(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "Reset password", "Reset this person's password? Their sessions end and they "
                + "must change the new one-time password at the next login.", "Reset password", userPage(ctx))) {
            return;
        }
        try {
            AdminService.PasswordReset r = admin.resetPassword(c, ctx.pathParam("id"));
            renderUser(ctx, c, "Password reset. Give " + r.user().username()
                    + " this one-time password; it must be changed at the next login. It is shown only now.", null,
                    "One-time password", r.oneTimePassword());
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUser(ctx, c, null, e.getMessage(), null, null);
        }
    }

    public void adminInvite(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "New invite link", "Make a new invite link? Earlier links stop working.",
                "Make new link", userPage(ctx))) {
            return;
        }
        try {
            AdminService.Created created = admin.resendInvite(c, ctx.pathParam("id"));
            renderUser(ctx, c, "New invite made; earlier links no longer work. Send this link (valid 72 hours); it is shown only now.",
                    null, "Invite link", publicUrl + "/invite/" + created.inviteToken());
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUser(ctx, c, null, e.getMessage(), null, null);
        }
    }

    /** Where "Cancel" on a confirmation page goes back to: the person's admin page. */
    private static String userPage(Context ctx) {
        return "/admin/users/" + ctx.pathParam("id");
    }

    private void adminAction(Context ctx, java.util.function.Function<Caller, User> action, String done) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        try {
            User u = action.apply(c);
            ctx.redirect("/admin/users/" + u.id() + "?done=" + done);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUser(ctx, c, null, e.getMessage(), null, null);
        }
    }

    // ------------------------------------------------------------ admin: service catalog

    public void adminServices(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        renderServices(ctx, c, "", done(ctx), null);
    }

    private void renderServices(Context ctx, Caller c, String json, String message, String error) {
        noStore(ctx);
        ctx.html(renderer.render("admin_services.jte", new Views.AdminServices(nav(c), catalog.list(c), json, message, error)));
    }

    /** "Import JSON": registers or replaces the service the pasted JSON defines (same rules as PUT /api/v1/admin/services/{id}). */
    public void adminServiceImport(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String json = ctx.formParam("definition");
        try {
            ServiceDefinition def = parseDefinition(json);
            if (def.id() == null || def.id().isBlank()) {
                throw new ImsmException.Invalid("The definition needs an id.");
            }
            CatalogService.Applied a = catalog.put(c, def.id(), def);
            renderServices(ctx, c, "", outcome(a.outcome()) + ": " + a.service().id() + ".", null);
        } catch (ImsmException.Invalid e) {
            ctx.status(e.code().status());
            renderServices(ctx, c, json == null ? "" : json, null, e.getMessage());
        }
    }

    public void adminServiceNew(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        renderServiceForm(ctx, c, null, ServiceForm.blank(), Map.of(), null, null);
    }

    public void adminService(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        ServiceDefinition svc = catalog.get(c, ctx.pathParam("id"));
        renderServiceForm(ctx, c, svc.id(), ServiceForm.of(svc), Map.of(), done(ctx), null);
    }

    /**
     * The register form: creates a service (the id must be new) or, with {@code original_id}, replaces
     * that one. A kx service then gets a test exchange; a failing one is a warning, the service is saved.
     */
    public void adminServiceSave(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String original = blankToNull(ctx.formParam("original_id"));
        ServiceForm form = ServiceForm.from(ctx);
        try {
            ServiceDefinition def = form.toDefinition();
            ServiceDefinition saved;
            String outcome;
            if (original == null) {
                saved = catalog.create(c, def);
                outcome = "Created";
            } else {
                CatalogService.Applied a = catalog.put(c, original, def);
                saved = a.service();
                outcome = outcome(a.outcome());
            }
            KeyExchangeCheck.Result test = saved.binding() == io.imsm.server.model.Binding.KX ? kxCheck.run(c, saved) : null;
            renderServiceForm(ctx, c, saved.id(), ServiceForm.of(saved), Map.of(), outcome + ": " + saved.id() + ".", test);
        } catch (ServiceForm.FieldError e) {
            ctx.status(400);
            renderServiceForm(ctx, c, original, form, Map.of(e.field(), e.getMessage()), null, null);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            Map.Entry<String, String> at = e instanceof ImsmException.Conflict ? Map.entry("id", e.getMessage()) : ServiceForm.place(e.getMessage());
            renderServiceForm(ctx, c, original, form, Map.of(at.getKey(), at.getValue()), null, null);
        }
    }

    /** "Test key exchange" on the form: runs it with what the form holds, saves nothing, shows the form again. */
    public void adminServiceTest(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String original = blankToNull(ctx.formParam("original_id"));
        ServiceForm form = ServiceForm.from(ctx);
        try {
            KeyExchangeCheck.Result test = kxCheck.run(c, form.toDefinition());
            renderServiceForm(ctx, c, original, form, Map.of(), null, test);
        } catch (ServiceForm.FieldError e) {
            ctx.status(400);
            renderServiceForm(ctx, c, original, form, Map.of(e.field(), e.getMessage()), null, null);
        } catch (ImsmException.Invalid e) {
            ctx.status(e.code().status());
            Map.Entry<String, String> at = ServiceForm.place(e.getMessage());
            renderServiceForm(ctx, c, original, form, Map.of(at.getKey(), at.getValue()), null, null);
        }
    }

    /** "Export JSON": the definition as the API and "Import JSON" take it, as a download. */
    public void adminServiceExport(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        ServiceDefinition svc = catalog.get(c, ctx.pathParam("id"));
        noStore(ctx);
        ctx.header("Content-Disposition", "attachment; filename=\"" + svc.id() + ".json\"");
        ctx.contentType("application/json").result(pretty(svc));
    }

    /** @param originalId the id of the service being edited; null on the form for a new one */
    private void renderServiceForm(Context ctx, Caller c, String originalId, ServiceForm form, Map<String, String> errors,
                                   String message, KeyExchangeCheck.Result test) {
        noStore(ctx);
        ctx.html(renderer.render("admin_service.jte", new Views.AdminService(nav(c), originalId, form, form.roleChoices(admin.knownRoles(c)),
                errors, message, test)));
    }

    private static String outcome(CatalogService.Outcome o) {
        return switch (o) {
            case CREATED -> "Created";
            case UPDATED -> "Updated";
            case UNCHANGED -> "Unchanged";
        };
    }

    private static String pretty(ServiceDefinition svc) {
        try {
            return PRETTY.writeValueAsString(svc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void adminServiceDelete(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "Delete service", "Delete this service? People can no longer ask for its tokens.",
                "Delete", "/admin/services")) {
            return;
        }
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
            throw new ImsmException.Invalid("The definition is not valid JSON: " + io.imsm.server.web.http.JsonErrors.describe(e) + where + ".");
        }
        if (def == null) {
            throw new ImsmException.Invalid("Paste the service definition as a JSON object.");
        }
        return def;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static List<String> splitRoles(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }
}
