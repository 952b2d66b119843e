package io.imsm.server.web.api;

import io.imsm.server.Health;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.store.Database;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/** What operators and relying parties read without logging in: health, readiness, metrics, the JWKS, the OpenAPI description. */
public final class SystemApi {
    private final Database database;
    private final SigningKeys signingKeys;
    private final MetricsEndpoint metrics;
    private final String openApi;

    private final Health health;

    public SystemApi(Database database, SigningKeys signingKeys, MetricsEndpoint metrics, Health health) {
        this.health = Objects.requireNonNull(health);
        this.database = Objects.requireNonNull(database);
        this.signingKeys = Objects.requireNonNull(signingKeys);
        this.metrics = Objects.requireNonNull(metrics);
        this.openApi = resource("/openapi.json");
    }

    // After an Error (out of memory ...) the process is not to be trusted: both probes fail, so the
    // supervisor restarts it (liveness) and sends it no traffic meanwhile (readiness).
    public void health(Context ctx) {
        boolean ok = health.healthy();
        ctx.status(ok ? 200 : 503).json(ok ? Map.of("status", "ok") : Map.of("status", "failed", "error", health.fatalError()));
    }

    public void ready(Context ctx) {
        boolean healthy = health.healthy();
        boolean db = database.isReachable();
        boolean keys = signingKeys.isLoaded();
        boolean ready = healthy && db && keys;
        ctx.status(ready ? 200 : 503).json(Map.of("status", ready ? "ready" : "not ready", "process", healthy ? "ok" : "failed",
                "database", db ? "ok" : "unreachable", "keys", keys ? "loaded" : "missing"));
    }

    /** Needs IMSM_METRICS_TOKEN on the main port (see {@link MetricsEndpoint}). */
    public void metrics(Context ctx) {
        metrics.mainPort(ctx);
    }

    public void jwks(Context ctx) {
        ctx.contentType("application/jwk-set+json").result(signingKeys.jwks().toString(true));
    }

    public void openApi(Context ctx) {
        ctx.contentType("application/json").result(openApi);
    }

    private static String resource(String name) {
        try (InputStream in = SystemApi.class.getResourceAsStream(name)) {
            return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
