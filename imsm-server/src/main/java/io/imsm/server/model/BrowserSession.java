package io.imsm.server.model;

import java.time.Instant;

/**
 * A browser session as stored (the cookie value itself is never stored, only its hash).
 * {@code stage} is {@code second_factor} between a correct password and the second factor, else {@code full}.
 */
public record BrowserSession(String idHash, String publicId, String userId, String stage, String csrfToken,
                             Instant createdAt, Instant lastSeenAt, Instant expiresAt, Instant endedAt,
                             String ip, String userAgent) {
    public static final String STAGE_SECOND_FACTOR = "second_factor";
    public static final String STAGE_FULL = "full";

    public boolean isFull() { return STAGE_FULL.equals(stage); }
}
