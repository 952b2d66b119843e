package io.imsm.server.web.api;

import io.imsm.protocol.BearerHeader;
import io.imsm.protocol.ConstantTime;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Secrets;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code GET /metrics} (Prometheus text). The numbers tell an outsider how busy IMSM is and which
 * code paths run, so the main port serves them only to a caller with {@code IMSM_METRICS_TOKEN}
 * (404 while no token is set); the optional management port ({@code metrics.port}) is meant for the
 * monitoring network and serves them without one unless a token is set.
 */
public final class MetricsEndpoint {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private final PrometheusMeterRegistry registry;
    private final Optional<String> token;

    public MetricsEndpoint(PrometheusMeterRegistry registry, Optional<String> token) {
        this.registry = Objects.requireNonNull(registry);
        this.token = Objects.requireNonNull(token);
    }

    /** On the main port: off without a token, else the token is required. */
    public void mainPort(Context ctx) {
        if (token.isEmpty()) {
            throw new ImsmException.NotFound("There is nothing at /metrics.");
        }
        serve(ctx);
    }

    /** On the management port: open unless a token is set. */
    public void managementPort(Context ctx) {
        serve(ctx);
    }

    private void serve(Context ctx) {
        if (token.isPresent() && !ConstantTime.equals(bearer(ctx), token.get())) {
            // RFC 6750 §3: a protected resource answers a missing or wrong bearer token with 401 and a challenge.
            ctx.status(401).header("WWW-Authenticate", "Bearer realm=\"imsm-metrics\"")
                    .contentType("text/plain; charset=utf-8").result("Authorization: Bearer <IMSM_METRICS_TOKEN> required\n");
            return;
        }
        ctx.header("Cache-Control", "no-store").contentType(PROMETHEUS_TEXT).result(registry.scrape());
    }

    private static String bearer(Context ctx) {
        return BearerHeader.token(ctx.header("Authorization"));
    }
}
