package io.imsm.server.app;

import io.imsm.server.identity.Bootstrap;
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

/** One running IMSM: context, services, HTTP. Used by {@code imsm serve} and by the tests. */
public final class ImsmServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ImsmServer.class);
    private final ProcessContext ctx;
    private final Services services;
    private final HttpServer http;
    private final Optional<Bootstrap.BootstrapAdmin> bootstrapAdmin;
    private final ScheduledExecutorService housekeeping;

    private ImsmServer(ProcessContext ctx, Services services, HttpServer http, Optional<Bootstrap.BootstrapAdmin> admin) {
        this.ctx = ctx;
        this.services = services;
        this.http = http;
        this.bootstrapAdmin = admin;
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imsm-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.MINUTES);
        housekeeping.scheduleWithFixedDelay(this::deliverOutbox, 5, 5, TimeUnit.SECONDS);
        services.outboxKick.set(() -> housekeeping.execute(this::deliverOutbox));
    }

    private void deliverOutbox() {
        try {
            services.outbox.deliverDue();
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("outbox delivery failed; will retry");
        }
    }

    private void purge() {
        try {
            int n = services.identity.purgeExpiredSessions() + services.tokens.purgeExpired();
            if (n > 0) {
                LOG.atInfo().addKeyValue("count", n).log("purged expired browser sessions");
            }
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("session purge failed; will retry");
        }
    }

    public static ImsmServer start(Config config, Clock clock, Map<String, String> env, PrintStream console) {
        ProcessContext ctx = new ProcessContext(config, clock, new SecureRandom(), env);
        try {
            Services services = new Services(ctx);
            services.prepare();
            new JvmMemoryMetrics().bindTo(ctx.metrics());
            new JvmThreadMetrics().bindTo(ctx.metrics());
            new ProcessorMetrics().bindTo(ctx.metrics());
            HttpServer http = new HttpServer(services).start(config.server().host(), config.server().port());
            services.baseUrl.set(http.baseUrl());
            // Only once the server listens: a start that fails (port in use) must not create an admin
            // whose one-time password nobody ever sees. If printing fails after this, the operator
            // still has `imsm admin reset-password`.
            Optional<Bootstrap.BootstrapAdmin> admin;
            try {
                admin = services.bootstrap.createAdminOnce(config.bootstrap().adminUsername());
            } catch (RuntimeException e) {
                http.stop();
                throw e;
            }
            ImsmServer server = new ImsmServer(ctx, services, http, admin);
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

    public String baseUrl() {
        return http.baseUrl();
    }

    public int port() { return http.port(); }

    /** The registered HTTP routes, {@code "METHOD /path"} (see {@link HttpServer#routes()}). */
    public List<String> routes() { return http.routes(); }

    public Services services() { return services; }

    public Optional<Bootstrap.BootstrapAdmin> bootstrapAdmin() { return bootstrapAdmin; }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        http.stop();
        ctx.close();
    }
}
