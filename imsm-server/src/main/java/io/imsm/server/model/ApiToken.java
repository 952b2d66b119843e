package io.imsm.server.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A user API token or a token delegated from one, as stored: never the secret, only its SHA-256.
 *
 * @param kind       {@code user} (made by a person) or {@code delegated} (made from a user token for one service)
 * @param parentKey  the user token a delegated token came from, else null
 * @param audience   the service a delegated token is for, else null
 */
public record ApiToken(String key, String secretHash, String userId, String kind, String name, List<String> scopes,
                       String parentKey, String audience, Instant createdAt, Instant expiresAt, Instant lastUsedAt,
                       String lastUsedIp, Instant revokedAt, String revokedBy) {
    public static final String USER = "user";
    public static final String DELEGATED = "delegated";

    public ApiToken {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(userId, "userId");
        scopes = List.copyOf(scopes);
    }

    public boolean delegated() { return DELEGATED.equals(kind); }

    public boolean liveAt(Instant now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
}
