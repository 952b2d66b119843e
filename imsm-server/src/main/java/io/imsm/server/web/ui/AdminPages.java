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
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.List;
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
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;
    private final String publicUrl;

    public AdminPages(AdminService admin, CatalogService catalog, TokenService tokens, WebAuth auth, PageSupport support, PageRenderer renderer,
                      String publicUrl) {
        this.admin = Objects.requireNonNull(admin);
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
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
                search == null ? "" : search, message, error)));
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
        renderUser(ctx, c, done(ctx), null);
    }

    private void renderUser(Context ctx, Caller c, String message, String error) {
        String id = ctx.pathParam("id");
        noStore(ctx);
        ctx.html(renderer.render("admin_user.jte", new Views.AdminUser(nav(c), admin.getUser(c, id), tokens.liveOf(c, id),
                message, error)));
    }

    public void adminRevokeToken(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        tokens.revokeOf(c, ctx.pathParam("id"), ctx.pathParam("sid"));
        ctx.redirect("/admin/users/" + ctx.pathParam("id") + "?done=Token+revoked.#tokens");
    }

    public void adminRevokeAllTokens(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        int n = tokens.revokeAllOf(c, ctx.pathParam("id"));
        ctx.redirect("/admin/users/" + ctx.pathParam("id") + "?done=" + n + (n == 1 ? "+token" : "+tokens") + "+revoked.#tokens");
    }

    public void adminRoles(Context ctx) {
        adminAction(ctx, c -> admin.setRoles(c, ctx.pathParam("id"), splitRoles(ctx.formParam("roles"))), "Roles+saved.");
    }

    public void adminStatus(Context ctx) {
        adminAction(ctx, c -> admin.setStatus(c, ctx.pathParam("id"), ctx.formParam("status")), "Status+changed.");
    }

    public void adminMfaReset(Context ctx) {
        adminAction(ctx, c -> admin.resetSecondFactor(c, ctx.pathParam("id")), "Second+factor+reset.");
    }

    private void adminAction(Context ctx, java.util.function.Function<Caller, User> action, String done) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        try {
            User u = action.apply(c);
            ctx.redirect("/admin/users/" + u.id() + "?done=" + done);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            renderUser(ctx, c, null, e.getMessage());
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

    /** Registers or replaces the service the pasted JSON defines (same rules as PUT /api/v1/admin/services/{id}). */
    public void adminServicePut(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
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

    public void adminService(Context ctx) {
        Caller c = support.ready(ctx);
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

    public void adminServiceDelete(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
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

    private static List<String> splitRoles(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }
}
