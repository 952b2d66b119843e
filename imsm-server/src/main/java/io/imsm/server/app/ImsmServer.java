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
    /** Purges: on their own thread, so they never wait behind a delivery round (and the reverse). */
    private final ScheduledExecutorService purges;
    /** Outbox rounds: each only starts per-service delivery tasks (see Outbox), so a round is short. */
    private final ScheduledExecutorService deliveries;

    private ImsmServer(ProcessContext ctx, Services services, HttpServer http, Optional<Bootstrap.BootstrapAdmin> admin) {
        this.ctx = ctx;
        this.services = services;
        this.http = http;
        this.bootstrapAdmin = admin;
        this.purges = daemon("imsm-purge");
        this.deliveries = daemon("imsm-outbox");
        purges.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.MINUTES);
        deliveries.scheduleWithFixedDelay(this::deliverOutbox, 5, 5, TimeUnit.SECONDS);
        services.outboxKick.set(() -> {
            try {
                deliveries.execute(this::deliverOutbox);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down; the message stays in the outbox for the next start
            }
        });
    }

    private static ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    // A periodic task that throws stops being scheduled, so both catch everything; an Error also
    // marks the process unhealthy.
    private void deliverOutbox() {
        try {
            services.outbox.deliverDue();
        } catch (Throwable e) {
            ctx.health().observe(e);
            LOG.atWarn().setCause(e).log("outbox delivery failed; will retry");
        }
    }

    private void purge() {
        try {
            int n = services.identity.purgeExpiredSessions() + services.tokens.purgeExpired();
            if (n > 0) {
                LOG.atInfo().addKeyValue("count", n).log("purged expired browser sessions");
            }
        } catch (Throwable e) {
            ctx.health().observe(e);
            LOG.atWarn().setCause(e).log("session purge failed; will retry");
        }
    }

    public static ImsmServer start(Config config, Clock clock, Map<String, String> env, PrintStream console) {
        ProcessContext ctx = new ProcessContext(config, clock, new SecureRandom(), env);
        try {
            Services services = new Services(ctx);
            services.prepare();
            Optional<Bootstrap.BootstrapAdmin> admin = services.bootstrap.createAdminOnce(config.bootstrap().adminUsername());
            new JvmMemoryMetrics().bindTo(ctx.metrics());
            new JvmThreadMetrics().bindTo(ctx.metrics());
            new ProcessorMetrics().bindTo(ctx.metrics());
            HttpServer http = new HttpServer(services).start(config.server().host(), config.server().port());
            services.baseUrl.set(http.baseUrl());
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
        return http.baseUrl();
    }

    public int port() { return http.port(); }

    /** The registered HTTP routes, {@code "METHOD /path"} (see {@link HttpServer#routes()}). */
    public List<String> routes() { return http.routes(); }

    public Services services() { return services; }

    public Optional<Bootstrap.BootstrapAdmin> bootstrapAdmin() { return bootstrapAdmin; }

    @Override
    public void close() {
        purges.shutdownNow();
        deliveries.shutdownNow();
        services.outbox.close();
        http.stop();
        services.kx.close();
        ctx.close();
    }
}
