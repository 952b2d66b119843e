package io.imsm.server.web.ui;

import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.approval.AccessRequests;
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
    private final AccessRequests accessRequests;

    public TokenPages(CatalogService catalog, TokenService tokens, WebAuth auth, PageSupport support, PageRenderer renderer,
                      AccessRequests accessRequests) {
        this.accessRequests = Objects.requireNonNull(accessRequests);
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
        ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), catalog.requestable(c, ctx.pathParam("id")),
                Form.EMPTY)));
    }

    public void serviceSubmit(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        ServiceDefinition svc = catalog.requestable(c, ctx.pathParam("id"));
        Form.Builder typed = new Form.Builder().list("scope", ctx.formParams("scope"));
        for (String f : List.of("ttl_minutes", "justification", "ticket_id", "manager", "req_method", "req_path", "req_query")) {
            typed.value(f, ctx.formParam(f));
        }
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
                    throw ImsmException.Invalid.inField("ttl_seconds", "not a whole number");
                }
            }
            AccessRequests.Outcome outcome = accessRequests.requestToken(c, svc.id(),
                    new TokenService.TokenRequest(ctx.formParams("scope"), ttl, fields, limit));
            if (outcome instanceof AccessRequests.Pending p) {
                ctx.redirect("/requests/" + p.request().requestId() + "?done=Access+requested.");
                return;
            }
            TokenService.Issued issued = ((AccessRequests.Minted) outcome).issued();
            noStore(ctx);
            ctx.html(renderer.render("token_issued.jte", new Views.TokenIssued(nav(c), svc.name(), issued, describe(limit),
                    curl(svc, limit, issued.token()), support.now())));
        } catch (ImsmException.Invalid e) {
            ctx.status(e.code().status());
            ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), svc, typed.error(formField(e.field()),
                    formMessage(svc, e)).build())));
        } catch (ImsmException.Unavailable | ImsmException.Throttled e) {
            ctx.status(e.code().status());
            if (e.retryAfterSeconds() > 0) {
                ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            }
            ctx.html(renderer.render("service_request.jte", new Views.ServiceRequest(nav(c), svc, typed.error(null, e.getMessage()).build())));
        }
    }

    /** The form field a service error is about (the service names its own fields: ttl_seconds, request.path...). */
    static String formField(String serviceField) {
        if (serviceField == null) {
            return null;
        }
        return switch (serviceField) {
            case "ttl_seconds" -> "ttl_minutes";
            case "scopes" -> "scope";
            case "request", "request.method" -> "req_method";
            case "request.path" -> "req_path";
            case "request.query" -> "req_query";
            case "justification", "ticket_id", "manager" -> serviceField;
            default -> null;
        };
    }

    /** The lifetime field asks for minutes, so its error speaks of minutes (the service counts seconds). */
    private static String formMessage(ServiceDefinition svc, ImsmException.Invalid e) {
        if ("ttl_seconds".equals(e.field())) {
            return "Give a whole number of minutes from " + Math.max(1, CatalogService.MIN_TTL / 60) + " to "
                    + svc.maxTtlSeconds() / 60 + ".";
        }
        return e.getMessage();
    }

    public void revokeToken(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireReady();
        if (PageSupport.askFirst(ctx, renderer, c, "Revoke token", "Revoke this token? Anything still using it stops working at once.",
                "Revoke", "/#tokens")) {
            return;
        }
        tokens.revoke(c, ctx.pathParam("sid"));
        ctx.redirect("/?done=Token+revoked.#tokens");
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
                throw ImsmException.Invalid.inField("request.query", "Write query parameters as name=value, one per line ('" + line.strip() + "' is not).");
            }
            q.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return q;
    }

    /** A stored limit (authorization_details entries) as one line; null when there is none. */
    @SuppressWarnings("unchecked")
    static String describe(List<Object> details) {
        if (details == null || details.isEmpty()) {
            return null;
        }
        return details.stream().map(d -> {
            Map<String, Object> m = (Map<String, Object>) d;
            Object q = m.get("query");
            Map<String, String> query = new LinkedHashMap<>();
            if (q instanceof Map<?, ?> qm) {
                qm.forEach((k, v) -> query.put(String.valueOf(k), String.valueOf(v)));
            }
            return describe(new TokenService.RequestLimit(String.valueOf(m.get("method")), String.valueOf(m.get("path")), query));
        }).collect(Collectors.joining(", "));
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
