package io.imsm.server.web;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.imsm.server.ImsmException;
import io.imsm.server.app.Services;
import io.imsm.server.web.api.AccountApi;
import io.imsm.server.web.api.AdminApi;
import io.imsm.server.web.api.CatalogApi;
import io.imsm.server.web.ui.PageRenderer;
import io.imsm.server.web.ui.Pages;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Counter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Builds the Javalin app: routes, JSON mapping, security headers, error mapping. */
public final class HttpServer {
    /** No inline script or style anywhere; images may be data: URLs (server-rendered QR codes). */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final Services services;
    private Javalin app;
    private Javalin management;

    public HttpServer(Services services) {
        this.services = Objects.requireNonNull(services);
    }

    public static ObjectMapper jsonMapper() {
        return new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    public HttpServer start(String host, int port) {
        var ctx = services.ctx;
        var cfg = ctx.config();
        PageRenderer renderer = new PageRenderer();
        ErrorMapper errors = new ErrorMapper(renderer);
        WebAuth auth = new WebAuth(services.identity, services.bearer, cfg.secureCookies());
        int absolute = (int) Math.min(Integer.MAX_VALUE, cfg.sessions().absoluteTimeoutSeconds());
        AccountApi accountApi = new AccountApi(services.identity, services.account, auth, absolute);
        AdminApi adminApi = new AdminApi(services.admin, auth, this::baseUrl);
        Pages pages = new Pages(services.identity, services.account, services.admin, services.catalog, services.tokens, auth, services.secrets, renderer, absolute, this::baseUrl);
        String openApi = resource("/openapi.json");
        ClientAddress clientAddress = new ClientAddress(cfg.server().trustedProxies());
        MetricsEndpoint metrics = new MetricsEndpoint(ctx.metrics(), ctx.metricsToken());
        Counter requests = Counter.builder("imsm_http_requests").description("HTTP requests served").register(ctx.metrics());

        app = Javalin.create(c -> {
            c.jetty.host = host;
            c.jetty.port = port;
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = cfg.server().maxBodyBytes();
            c.http.prefer405over404 = true;
            c.jsonMapper(new JavalinJackson(jsonMapper(), true));
            c.startup.showJavalinBanner = false;
            c.staticFiles.add(s -> {
                s.hostedPath = "/static";
                s.directory = "/public";
                s.location = Location.CLASSPATH;
            });
            c.routes.before(x -> {
                requests.increment();
                WebSupport.resolveClientIp(x, clientAddress);
                x.header("Content-Security-Policy", CSP);
                x.header("X-Content-Type-Options", "nosniff");
                x.header("X-Frame-Options", "DENY");
                x.header("Referrer-Policy", "no-referrer");
                x.header("Cross-Origin-Opener-Policy", "same-origin");
                x.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
                if (cfg.secureCookies()) {
                    x.header("Strict-Transport-Security", "max-age=31536000");
                }
                if (x.path().startsWith("/api/")) {
                    x.header("Cache-Control", "no-store");
                }
            });
            c.routes.get("/healthz", x -> x.json(Map.of("status", "ok")));
            c.routes.get("/readyz", x -> {
                boolean db = ctx.database().isReachable();
                boolean keys = services.signingKeys.isLoaded();
                x.status(db && keys ? 200 : 503).json(Map.of("status", db && keys ? "ready" : "not ready",
                        "database", db ? "ok" : "unreachable", "keys", keys ? "loaded" : "missing"));
            });
            c.routes.get("/metrics", metrics::mainPort);
            c.routes.get("/.well-known/jwks.json", x -> x.contentType("application/jwk-set+json")
                    .result(services.signingKeys.jwks().toString(true)));
            c.routes.get("/api/v1/openapi.json", x -> x.contentType("application/json").result(openApi));
            accountApi.register(c.routes);
            adminApi.register(c.routes);
            new CatalogApi(services.catalog, auth).register(c.routes);
            new io.imsm.server.web.api.TokenApi(services.tokens, auth).register(c.routes);
            pages.register(c.routes);
            c.routes.exception(ImsmException.class, errors::handle);
            c.routes.exception(HttpResponseException.class, errors::handleHttp);
            c.routes.exception(Exception.class, errors::handleUnexpected);
            c.routes.error(404, errors::notFound);
        });
        app.start();
        if (cfg.metrics().port() > 0) {
            management = Javalin.create(c -> {
                c.jetty.host = host;
                c.jetty.port = cfg.metrics().port();
                c.concurrency.useVirtualThreads = true;
                c.startup.showJavalinBanner = false;
                c.routes.get("/metrics", metrics::managementPort);
            });
            try {
                management.start();
            } catch (RuntimeException e) {
                app.stop();
                throw e;
            }
        }
        return this;
    }

    /** The management listener's port, or 0 when there is none. */
    public int managementPort() {
        return management == null ? 0 : management.port();
    }

    public int port() {
        return app.port();
    }

    /** Base URL for links we hand out: server.public_url, else this listener's real address (port 0 resolved). */
    public String baseUrl() {
        var cfg = services.ctx.config();
        if (cfg.server().publicUrl() != null && !cfg.server().publicUrl().isBlank()) {
            return cfg.publicUri().toString();
        }
        return "http://" + cfg.server().host() + ":" + app.port();
    }

    /**
     * The HTTP routes the app registered, as {@code "METHOD /path"} in Javalin's {@code {param}} syntax,
     * sorted (filters like before/after and static files are not routes). Lets tests hold the OpenAPI
     * description to what the server really serves.
     */
    public List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(parsed -> parsed.endpoint)
                .filter(e -> e.method.isHttpMethod())
                .map(e -> e.method.name() + " " + e.path)
                .sorted()
                .toList();
    }

    public void stop() {
        if (management != null) {
            management.stop();
        }
        if (app != null) {
            app.stop();
        }
    }

    private static String resource(String name) {
        try (InputStream in = HttpServer.class.getResourceAsStream(name)) {
            return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
