package io.imsm.server.web;

import io.imsm.server.Health;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.RequestOrigin;
import io.imsm.server.store.ConfigVersion;
import io.imsm.server.config.Config;
import io.imsm.server.json.Json;
import io.imsm.server.web.api.MetricsEndpoint;
import io.imsm.server.web.http.ClientAddress;
import io.imsm.server.web.http.ClientCertificates;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import javax.net.ssl.SSLContext;
import io.imsm.server.web.http.WebSupport;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Objects;

/** The Javalin app: the {@link Routes} table, JSON mapping, security headers, error mapping. */
public final class HttpServer {
    /** No inline script or style anywhere; images may be data: URLs (server-rendered QR codes). */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final Javalin app;
    /** The plain HTTP port: with an HTTPS connector added, Javalin's own port() may name that one. */
    private final int port;

    /**
     * Javalin copies each response's result into Jetty's output through a buffer of this size, allocated
     * per response; it defaults to Jetty's output buffer size (32 KiB), about 30 KiB of garbage per
     * answer of one or two KiB (docs/benchmarks.md, issuance, third pass). Jetty still aggregates the
     * writes in its own pooled buffer.
     */
    static final int RESPONSE_COPY_BUFFER_BYTES = 4096;

    private HttpServer(Javalin app, int port) {
        this.app = app;
        this.port = port;
    }

    /** Listens on {@code server.host}:{@code port} (the caller resolves port 0 to a free port first). */
    public static HttpServer start(Config cfg, int port, Routes routes, ErrorMapper errors, MeterRegistry metrics, Health health) {
        return start(cfg, port, null, routes, errors, metrics, health);
    }

    /** HTTPS on {@code port} of server.host with this context, asking for (not requiring) a client certificate. */
    public record Tls(int port, SSLContext context) {}

    /** The same, plus an HTTPS listener serving the same routes when {@code tls} is not null. */
    public static HttpServer start(Config cfg, int port, Tls tls, Routes routes, ErrorMapper errors, MeterRegistry metrics, Health health) {
        Objects.requireNonNull(routes);
        Objects.requireNonNull(errors);
        Objects.requireNonNull(health);
        Counter requests = Counter.builder("imsm_http_requests").description("HTTP requests served").register(metrics);
        ClientAddress clientAddress = new ClientAddress(cfg.server().trustedProxies());
        Javalin app = Javalin.create(c -> {
            c.jetty.host = cfg.server().host();
            c.jetty.port = port;
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = cfg.server().maxBodyBytes();
            c.http.responseBufferSize = RESPONSE_COPY_BUFFER_BYTES;
            c.http.prefer405over404 = true;
            c.jsonMapper(new JavalinJackson(Json.mapper(), true));
            c.startup.showJavalinBanner = false;
            if (tls != null) {
                // Javalin adds its own plain connector only when none was added, so both are added here.
                c.jetty.addConnector((server, httpConfig) -> {
                    ServerConnector plain = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
                    plain.setHost(cfg.server().host());
                    plain.setPort(port);
                    return plain;
                });
                c.jetty.addConnector((server, httpConfig) -> httpsConnector(server, httpConfig, cfg.server().host(), tls));
            }
            // An Error in a handler (out of memory, stack overflow) leaves the JVM in doubt: the probes
            // report it from now on, so the supervisor replaces this instance.
            c.router.javaLangErrorHandler((res, error) -> {
                health.fatal(error);
                res.setStatus(500);
            });
            c.staticFiles.add(s -> {
                s.hostedPath = "/static";
                s.directory = "/public";
                s.location = Location.CLASSPATH;
            });
            c.routes.before(x -> {
                requests.increment();
                WebSupport.resolveClientIp(x, clientAddress);
                RequestOrigin.set(x.header("User-Agent"));
                ConfigVersion.beginRequest();
                ClientCertificates.resolve(x, clientAddress);
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
            c.routes.after(x -> {
                RequestOrigin.clear();
                ConfigVersion.endRequest();
                drainUnreadBody(x, cfg.server().maxBodyBytes());
            });
            routes.addTo(c.routes);
            c.routes.exception(ImsmException.class, errors::handle);
            c.routes.exception(HttpResponseException.class, errors::handleHttp);
            c.routes.exception(Exception.class, errors::handleUnexpected);
            c.routes.error(404, errors::notFound);
        });
        app.start();
        return new HttpServer(app, port);
    }

    /**
     * Reads a body the handler left unread (a POST of "{}" to a route that needs none, or one refused
     * before its body was read), up to the body limit. Clients send headers and body in separate
     * writes; when the answer was ready before the body arrived, Jetty closed the connection instead
     * of waiting for it, and a client that reused the connection for its next request got no answer.
     */
    private static void drainUnreadBody(io.javalin.http.Context x, long maxBodyBytes) {
        long length = x.req().getContentLengthLong();
        if (length > 0 && length <= maxBodyBytes) {
            try {
                jakarta.servlet.ServletInputStream in = x.req().getInputStream();
                if (!in.isFinished()) { // a body the handler read is not read again (transferTo's buffer is 16 KiB)
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the client went away or sent less: Jetty closes this connection, as before
            }
        }
    }

    private static ServerConnector httpsConnector(Server server, HttpConfiguration plain, String host, Tls tls) {
        HttpConfiguration https = new HttpConfiguration(plain);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // Services call by address as often as by name; the certificate's names are the client's check.
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setSslContext(tls.context());
        ssl.setWantClientAuth(true);
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
                new HttpConnectionFactory(https));
        connector.setHost(host);
        connector.setPort(tls.port());
        return connector;
    }

    /**
     * The management listener ({@code metrics.port}) on {@code server.host}: only {@code /metrics}, so
     * it can be exposed to the monitoring network alone.
     */
    public static HttpServer startManagement(Config cfg, MetricsEndpoint metrics) {
        Objects.requireNonNull(metrics);
        Javalin app = Javalin.create(c -> {
            c.jetty.host = cfg.server().host();
            c.jetty.port = cfg.metrics().port();
            c.concurrency.useVirtualThreads = true;
            c.startup.showJavalinBanner = false;
            c.routes.get("/metrics", metrics::managementPort);
        });
        app.start();
        return new HttpServer(app, app.port());
    }

    public int port() {
        return port;
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
        app.stop();
    }
}
