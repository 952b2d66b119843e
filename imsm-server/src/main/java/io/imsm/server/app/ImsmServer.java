package io.imsm.server.app;

import io.imsm.server.config.Config;
import io.imsm.server.identity.Bootstrap;
import io.imsm.server.pki.ServerTls;
import io.imsm.server.web.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** One running IMSM: context, wiring, HTTP. Used by {@code imsm serve} and by the tests. */
public final class ImsmServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ImsmServer.class);
    private final ProcessContext ctx;
    private final Wiring wiring;
    private final HttpServer http;
    private final Optional<HttpServer> management;
    private final HttpServer.Tls tls;
    private final Optional<Bootstrap.BootstrapAdmin> bootstrapAdmin;
    /** Purges only: deliveries run on the outbox worker's own thread, so neither waits for the other. */
    private final ScheduledExecutorService housekeeping;

    private ImsmServer(ProcessContext ctx, Wiring wiring, HttpServer http, HttpServer.Tls tls, Optional<HttpServer> management,
                       Optional<Bootstrap.BootstrapAdmin> admin) {
        this.ctx = ctx;
        this.tls = tls;
        this.wiring = wiring;
        this.http = http;
        this.management = management;
        this.bootstrapAdmin = admin;
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imsm-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.MINUTES);
        housekeeping.scheduleWithFixedDelay(this::expireAccessRequests, 1, 1, TimeUnit.MINUTES);
        housekeeping.scheduleWithFixedDelay(this::keys, 1, 1, TimeUnit.MINUTES);
        wiring.outboxWorker().start();
        wiring.eventDelivery().start();
    }

    /** Scheduled signing-key rotation, retired keys dropped, and keys another instance rotated picked up. */
    private void keys() {
        try {
            wiring.signingKeys().rotateIfDue().ifPresent(r -> LOG.atInfo().addKeyValue("active_kid", r.activeKid())
                    .addKeyValue("next_kid", r.nextKid()).log("signing keys rotated on schedule"));
        } catch (Throwable e) {
            ctx.health().observe(e);
            LOG.atWarn().setCause(e).log("signing-key rotation check failed; will retry");
        }
    }

    private void purge() {
        try {
            var retained = wiring.retention().purge();
            int n = retained.total() + wiring.tokens().purgeExpired()
                    + ctx.database().inTransaction(h -> wiring.oauthTokenStore().purge(h, ctx.clock().instant()));
            if (n > 0) {
                LOG.atInfo().addKeyValue("count", n).addKeyValue("audit_rows", retained.auditRows())
                        .addKeyValue("sessions", retained.sessions()).addKeyValue("invites", retained.invites())
                        .addKeyValue("rate_limit_buckets", retained.rateLimitBuckets())
                        .addKeyValue("event_deliveries", retained.eventDeliveries()).addKeyValue("events", retained.events())
                        .log("purged expired rows");
            }
        } catch (Throwable e) {
            // a periodic task that throws is never run again, so catch everything; an Error is fatal
            ctx.health().observe(e);
            LOG.atWarn().setCause(e).log("session purge failed; will retry");
        }
    }

    /** Records the expiry of pending access requests past their time (docs/approvals.md). */
    private void expireAccessRequests() {
        try {
            wiring.accessRequests().expireDue();
        } catch (Throwable e) {
            ctx.health().observe(e);
            LOG.atWarn().setCause(e).log("access request expiry failed; will retry");
        }
    }

    public static ImsmServer start(Config config, Clock clock, Map<String, String> env, PrintStream console) {
        ProcessContext ctx = new ProcessContext(config, clock, new SecureRandom(), env);
        try {
            int port = ListenPort.resolve(config.server().host(), config.server().port());
            Wiring wiring = new Wiring(ctx, baseUrl(config, port));
            wiring.prepare();
            new JvmMemoryMetrics().bindTo(ctx.metrics());
            new JvmThreadMetrics().bindTo(ctx.metrics());
            new ProcessorMetrics().bindTo(ctx.metrics());
            HttpServer.Tls tls = config.tls().enabled()
                    ? new HttpServer.Tls(ListenPort.resolve(config.server().host(), config.tls().port()),
                            ServerTls.context(config, wiring.ca(), ctx.random()))
                    : null;
            HttpServer http = HttpServer.start(config, port, tls, wiring.routes(), wiring.errors(), ctx.metrics(), ctx.health());
            Optional<HttpServer> management;
            try {
                management = config.metrics().port() > 0
                        ? Optional.of(HttpServer.startManagement(config, wiring.metricsEndpoint())) : Optional.empty();
            } catch (RuntimeException e) {
                http.stop();
                throw e;
            }
            // Only once the server listens: a start that fails (port in use) must not create an admin
            // whose one-time password nobody ever sees. If printing fails after this, the operator
            // still has `imsm admin reset-password`.
            Optional<Bootstrap.BootstrapAdmin> admin;
            try {
                admin = wiring.bootstrap().createAdminOnce(config.bootstrap().adminUsername());
            } catch (RuntimeException e) {
                management.ifPresent(HttpServer::stop);
                http.stop();
                throw e;
            }
            ImsmServer server = new ImsmServer(ctx, wiring, http, tls, management, admin);
            admin.ifPresent(a -> {
                // Printed to the console on purpose (never to the log): the operator needs it exactly once.
                console.println();
                console.println("==================================================================");
                console.println(" IMSM bootstrap admin created (shown only this once)");
                console.println("   username: " + a.username());
                console.println("   password: " + a.oneTimePassword());
                console.println(" Log in at " + server.baseUrl() + "/login; you must change it at first login.");
                console.println("==================================================================");
                console.println();
            });
            return server;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** Base URL for links we hand out and the token issuer: server.public_url, else this listener's address. */
    private static String baseUrl(Config cfg, int port) {
        if (cfg.server().publicUrl() != null && !cfg.server().publicUrl().isBlank()) {
            return cfg.publicUri().toString();
        }
        return "http://" + cfg.server().host() + ":" + port;
    }

    /**
     * Makes this server the process's: an {@link Error} no handler caught, on any thread, marks it
     * unhealthy. For {@code imsm serve} (one server per JVM), not for tests that run several.
     */
    public ImsmServer ownProcess() {
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            ctx.health().observe(e);
            LOG.atError().setCause(e).addKeyValue("thread", thread.getName()).log("uncaught error");
        });
        return this;
    }

    public String baseUrl() {
        return wiring.baseUrl();
    }

    public int port() { return http.port(); }

    /** The HTTPS port ({@code tls.port}), or -1 when there is no HTTPS listener. */
    public int tlsPort() { return tls == null ? -1 : tls.port(); }

    /** The registered HTTP routes, {@code "METHOD /path"} (see {@link HttpServer#routes()}). */
    public List<String> routes() { return http.routes(); }

    public Wiring wiring() { return wiring; }

    public Optional<Bootstrap.BootstrapAdmin> bootstrapAdmin() { return bootstrapAdmin; }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        wiring.apiTokens().close();
        wiring.outboxWorker().close();
        wiring.outbox().close();
        wiring.eventDelivery().close();
        wiring.hookHttp().close();
        management.ifPresent(HttpServer::stop);
        http.stop();
        wiring.kx().close();
        ctx.close();
    }
}
