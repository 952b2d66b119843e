package io.imsm.server.web.ui;

import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.token.TokenService;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import static io.imsm.server.web.ui.PageSupport.nav;
import static io.imsm.server.web.ui.PageSupport.noStore;

/** Asking for a token for one service, showing it once, and revoking live tokens. */
public final class TokenPages {
    private final CatalogService catalog;
    private final TokenService tokens;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;

    public TokenPages(CatalogService catalog, TokenService tokens, WebAuth auth, PageSupport support, PageRenderer renderer) {
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }



    public void serviceForm(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), catalog.requestable(c, ctx.pathParam("id")), null)));
    }

    public void serviceSubmit(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        ServiceDefinition svc = catalog.requestable(c, ctx.pathParam("id"));
        try {
            Map<String, String> fields = new LinkedHashMap<>();
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
        } catch (ImsmException.Invalid | ImsmException.Unavailable | ImsmException.Throttled e) {
            ctx.status(e.code().status());
            if (e.retryAfterSeconds() > 0) {
                ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            }
            ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), svc, e.getMessage())));
        }
    }

    public void revokeToken(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        tokens.revoke(c, ctx.pathParam("sid"));
        ctx.redirect("/#tokens");
    }

    private static Map<String, String> queryLines(String text) {
        Map<String, String> q = new LinkedHashMap<>();
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
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** Every value is quoted for the shell: base_url and path come from admins and people, and get pasted into terminals. */
    static String curl(ServiceDefinition svc, TokenService.RequestLimit limit, String token) {
        String base = svc.baseUrl() != null ? svc.baseUrl() : "https://" + svc.id() + ".example";
        String method = limit == null ? "GET" : limit.method().trim().toUpperCase(java.util.Locale.ROOT);
        String path = limit == null ? "/" : limit.path() + query(limit);
        return "curl -X " + Shell.quote(method) + " -H " + Shell.quote("Authorization: Bearer " + token) + " " + Shell.quote(base + path);
    }
}
