package io.imsm.server.web.ui;

import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.oauth.ClientRegistry;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** The admin page of registered OAuth clients: list, register, rotate a secret, delete (rules in {@link ClientRegistry}). */
public final class ClientPages {
    /** Bounds what one form field may split into; the registry checks the real limits. */
    private static final int MAX_FIELD = 8_000;
    private final ClientRegistry clients;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;

    public ClientPages(ClientRegistry clients, WebAuth auth, PageSupport support, PageRenderer renderer) {
        this.clients = Objects.requireNonNull(clients);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** What the register form holds (kept when the registry refuses it, so the admin can correct it). */
    public record Draft(String clientId, String name, String type, List<String> grantTypes, String redirectUris, String scopes,
                        String audiences, String authMethod) {
        static final Draft EMPTY = new Draft("", "", OAuthClient.CONFIDENTIAL, List.of(), "", "", "", "");
    }

    /** {@code secretClientId}, {@code secret}: a client secret, shown this once. */
    public record AdminClients(Views.Nav nav, List<OAuthClient> clients, Draft draft, List<String> grantChoices,
                               List<String> authMethods, String message, String secretClientId, String secret, String error) {
        public static String list(List<String> items) {
            return items == null || items.isEmpty() ? "" : String.join(" ", items);
        }
    }

    public void adminClients(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        render(ctx, c, Draft.EMPTY, null, null, null);
    }

    public void adminClientCreate(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        Draft d = new Draft(field(ctx, "client_id"), field(ctx, "name"), field(ctx, "type"), ctx.formParams("grant_types"),
                field(ctx, "redirect_uris"), field(ctx, "scopes"), field(ctx, "audiences"), field(ctx, "token_endpoint_auth_method"));
        try {
            ClientRegistry.Registered r = clients.create(c, new OAuthClient(blankToNull(d.clientId()), d.name(), blankToNull(d.type()),
                    d.grantTypes(), split(d.redirectUris()), null, split(d.scopes()), split(d.audiences()), blankToNull(d.authMethod()),
                    null, null, null, null));
            render(ctx, c, Draft.EMPTY, "Registered " + r.client().clientId() + ".", r, null);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            render(ctx, c, d, null, null, e.getMessage());
        }
    }

    public void adminClientRotate(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String id = ctx.pathParam("id");
        if (PageSupport.askFirst(ctx, renderer, c, "New client secret", "Make a new secret for " + id
                + "? The current one keeps working for 24 hours.", "Make new secret", "/admin/clients")) {
            return;
        }
        try {
            ClientRegistry.Registered r = clients.rotateSecret(c, id);
            render(ctx, c, Draft.EMPTY, "New secret for " + id + "; the previous one works for 24 more hours.", r, null);
        } catch (ImsmException.Invalid e) {
            ctx.status(e.code().status());
            render(ctx, c, Draft.EMPTY, null, null, e.getMessage());
        }
    }

    public void adminClientDelete(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String id = ctx.pathParam("id");
        if (PageSupport.askFirst(ctx, renderer, c, "Delete client", "Delete the client " + id
                + "? It can no longer get tokens.", "Delete", "/admin/clients")) {
            return;
        }
        clients.delete(c, id);
        render(ctx, c, Draft.EMPTY, "Client " + id + " deleted.", null, null);
    }

    private void render(Context ctx, Caller c, Draft draft, String message, ClientRegistry.Registered secret, String error) {
        PageSupport.noStore(ctx);
        List<String> grants = ClientRegistry.GRANT_TYPES.stream().sorted().toList();
        ctx.html(renderer.render("admin_clients.jte", new AdminClients(PageSupport.nav(c), clients.list(c), draft, grants,
                ClientRegistry.AUTH_METHODS, message, secret == null || secret.clientSecret() == null ? null : secret.client().clientId(),
                secret == null ? null : secret.clientSecret(), error)));
    }

    private static String field(Context ctx, String name) {
        String v = ctx.formParam(name);
        if (v != null && v.length() > MAX_FIELD) {
            throw ImsmException.Invalid.inField(name, name + " is too long (at most " + MAX_FIELD + " characters).");
        }
        return v == null ? "" : v.strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Words separated by spaces, commas or new lines; none gives an empty list. */
    private static List<String> split(String s) {
        return Arrays.stream(s.split("[\\s,]+")).filter(w -> !w.isEmpty()).toList();
    }
}
