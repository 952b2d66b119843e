package io.imsm.server.identity;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.store.Database;

import java.util.Objects;
import java.util.Optional;

/**
 * Bearer credentials on the API. For now the bootstrap token from {@code IMSM_BOOTSTRAP_TOKEN}
 * (compared in constant time; every use is audited); API tokens come with the token issue.
 */
public final class BearerAuthenticator {
    private final Optional<String> bootstrapToken;
    private final Database db;
    private final AuditLog audit;

    public BearerAuthenticator(Optional<String> bootstrapToken, Database db, AuditLog audit) {
        this.bootstrapToken = Objects.requireNonNull(bootstrapToken);
        this.db = Objects.requireNonNull(db);
        this.audit = Objects.requireNonNull(audit);
    }

    public Caller authenticate(String token, String ip, String method, String path) {
        if (token != null && bootstrapToken.isPresent() && Secrets.constantTimeEquals(token, bootstrapToken.get())) {
            db.inTransaction(h -> {
                audit.record(h, "bootstrap-token", "bootstrap_token_used", null, ip, "ok", method + " " + truncate(path));
                return null;
            });
            return Caller.bootstrapToken(ip);
        }
        db.inTransaction(h -> {
            audit.record(h, "unknown", "bearer_auth", null, ip, "failed", method + " " + truncate(path));
            return null;
        });
        throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The bearer token is not valid.");
    }

    private static String truncate(String s) {
        return s == null ? null : s.length() > 200 ? s.substring(0, 200) : s;
    }
}
