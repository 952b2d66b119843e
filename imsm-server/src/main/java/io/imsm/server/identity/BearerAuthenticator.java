package io.imsm.server.identity;

import io.imsm.protocol.ConstantTime;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.audit.FailureSampler;
import io.imsm.server.store.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Bearer credentials on the API: the bootstrap token from {@code IMSM_BOOTSTRAP_TOKEN} (compared in
 * constant time; every use is audited) and people's API tokens ({@link ApiTokenCallers}).
 * Failures come from strangers, so they are sampled: at most one audit row per address and minute
 * (with the count of the others), every failure counted in {@code imsm_bearer_auth_failures_total}.
 */
public final class BearerAuthenticator {
    private final Optional<String> bootstrapToken;
    private final ApiTokenCallers apiTokens;
    private final Database db;
    private final AuditLog audit;
    private final FailureSampler failures;
    private final Counter failureCount;

    public BearerAuthenticator(Optional<String> bootstrapToken, ApiTokenCallers apiTokens, Database db, AuditLog audit,
                               FailureSampler failures, MeterRegistry metrics) {
        this.bootstrapToken = Objects.requireNonNull(bootstrapToken);
        this.apiTokens = Objects.requireNonNull(apiTokens);
        this.db = Objects.requireNonNull(db);
        this.audit = Objects.requireNonNull(audit);
        this.failures = Objects.requireNonNull(failures);
        this.failureCount = Counter.builder("imsm.bearer.auth.failures").description("Refused bearer tokens").register(metrics);
    }

    public Caller authenticate(String token, String ip, String method, String path) {
        if (token != null && bootstrapToken.isPresent() && ConstantTime.equals(token, bootstrapToken.get())) {
            audit.recordAlone(db, "bootstrap-token", "bootstrap_token_used", null, ip, "ok", method + " " + truncate(path));
            return Caller.bootstrapToken(ip);
        }
        if (token != null) {
            try {
                Optional<Caller> person = apiTokens.callerFor(token, ip);
                if (person.isPresent()) {
                    return person.get();
                }
            } catch (ImsmException.Unauthenticated e) {
                // counted and sampled below like any other refused bearer token
            }
        }
        failureCount.increment();
        OptionalLong earlier = failures.admit("bearer:" + ip);
        if (earlier.isPresent()) {
            String detail = method + " " + truncate(path)
                    + (earlier.getAsLong() > 0 ? " (+" + earlier.getAsLong() + " earlier failures from this address not recorded one by one)" : "");
            audit.recordAlone(db, "unknown", "bearer_auth", null, ip, "failed", detail);
        }
        throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The bearer token is not valid.");
    }

    private static String truncate(String s) {
        return s == null ? null : s.length() > 200 ? s.substring(0, 200) : s;
    }
}
