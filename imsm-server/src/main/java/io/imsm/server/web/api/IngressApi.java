package io.imsm.server.web.api;

import io.imsm.server.apitoken.IngressAuth;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code /ingress/auth}: the forward-auth check for nginx {@code auth_request} / ingress-nginx,
 * Traefik ForwardAuth and Envoy {@code ext_authz} (HTTP service). Reads the original request from
 * {@code X-Original-URL} (nginx), {@code X-Forwarded-Proto/-Host/-Uri} (Traefik) or the path after
 * {@code /ingress/auth} (Envoy, which also may put the query in {@code X-Imsm-Auth-Query}).
 */
public final class IngressApi {
    static final String PREFIX = "/ingress/auth";
    private final IngressAuth ingress;
    private final WebAuth auth;

    public IngressApi(IngressAuth ingress, WebAuth auth) {
        this.ingress = Objects.requireNonNull(ingress);
        this.auth = Objects.requireNonNull(auth);
    }

    public void check(Context ctx) {
        Query q = new Query(ctx);
        IngressAuth.Decision d = ingress.decide(new IngressAuth.Check(ctx.header("Authorization"), auth.sessionCookieValue(ctx),
                q.all("scope"), q.one("satisfy"), q.one("service"), q.one("delegate_to"), q.all("delegate_scope"),
                q.one("minimum_lifetime"), q.one("auth_type"), originalUrl(ctx), WebSupport.clientIp(ctx)));
        ctx.header("Cache-Control", "no-store");
        d.headers().forEach(ctx::header);
        ctx.status(d.status());
        if (!d.body().isEmpty()) {
            ctx.contentType("application/json").result(d.body());
        }
    }

    private static String originalUrl(Context ctx) {
        String nginx = ctx.header("X-Original-URL");
        if (nginx != null) {
            return nginx;
        }
        String host = ctx.header("X-Forwarded-Host");
        String uri = ctx.header("X-Forwarded-Uri");
        if (host != null && uri != null) {
            String proto = ctx.header("X-Forwarded-Proto");
            return (proto == null ? "https" : proto) + "://" + host + uri;
        }
        String path = ctx.path();
        if (path.length() > PREFIX.length() && ctx.header("Host") != null) {
            return "https://" + ctx.header("Host") + path.substring(PREFIX.length());
        }
        return null;
    }

    /** Query parameters from the URL, or for Envoy (which keeps the original query) from X-Imsm-Auth-Query. */
    private static final class Query {
        private final Context ctx;
        private final String envoy;

        Query(Context ctx) {
            this.ctx = ctx;
            String h = ctx.header("X-Imsm-Auth-Query");
            this.envoy = h == null || h.length() > 2000 ? null : h;
        }

        List<String> all(String name) {
            if (envoy == null) {
                return ctx.queryParams(name);
            }
            List<String> out = new ArrayList<>();
            for (String pair : envoy.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(name)) {
                    out.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            return out;
        }

        String one(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? null : all.get(0);
        }
    }
}
