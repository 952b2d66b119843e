package io.imsm.server.web.api;

import io.imsm.server.identity.Caller;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.oauth.ClientRegistry;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** The admin API for OAuth clients and signing keys (session with CSRF, or bearer). */
public final class OAuthAdminApi {
    private final ClientRegistry clients;
    private final SigningKeys keys;
    private final WebAuth auth;

    public OAuthAdminApi(ClientRegistry clients, SigningKeys keys, WebAuth auth) {
        this.clients = Objects.requireNonNull(clients);
        this.keys = Objects.requireNonNull(keys);
        this.auth = Objects.requireNonNull(auth);
    }

    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(Map.of("clients", clients.list(c)));
    }

    public void create(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ClientRegistry.Registered r = clients.create(c, WebSupport.body(ctx, OAuthClient.class));
        ctx.status(201).header("Location", "/api/v1/admin/clients/" + r.client().clientId()).header("Cache-Control", "no-store");
        ctx.json(registered(r));
    }

    /** Body of {@code POST /api/v1/admin/clients/apply}. */
    public record ClientsFile(java.util.List<OAuthClient> clients) {}

    public void apply(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        var results = clients.apply(c, WebSupport.body(ctx, ClientsFile.class).clients()).stream().map(a -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("client_id", a.clientId());
            m.put("outcome", a.outcome());
            if (a.clientSecret() != null) {
                m.put("client_secret", a.clientSecret());
            }
            return m;
        }).toList();
        ctx.header("Cache-Control", "no-store").json(Map.of("results", results));
    }

    public void get(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(clients.get(c, ctx.pathParam("id")));
    }

    public void put(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(clients.update(c, ctx.pathParam("id"), WebSupport.body(ctx, OAuthClient.class)));
    }

    public void delete(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        clients.delete(c, ctx.pathParam("id"));
        ctx.status(204);
    }

    public void rotateSecret(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.header("Cache-Control", "no-store").json(registered(clients.rotateSecret(c, ctx.pathParam("id"))));
    }

    public void rotateKeys(Context ctx) {
        Caller c = auth.requireForApi(ctx).requireAdmin();
        SigningKeys.Rotated r = keys.rotate(c.actor(), c.ip());
        ctx.json(Map.of("retired_kid", r.retiredKid(), "active_kid", r.activeKid(), "next_kid", r.nextKid(),
                "retired_published_until", r.retiredPublishedUntil().toString()));
    }

    private static Map<String, Object> registered(ClientRegistry.Registered r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("client_id", r.client().clientId());
        if (r.clientSecret() != null) {
            m.put("client_secret", r.clientSecret());
        }
        m.put("client", r.client());
        return m;
    }
}
