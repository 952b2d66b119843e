package io.imsm.protocol;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * KX1 section 5: the claims of the revocation JWS the IMS sends as the bearer of
 * {@code DELETE {kx_url}/{sid}}; it carries {@code "revoked": true}.
 */
public record Revocation(String issuer, String audience, Instant issuedAt, Instant expiresAt, String jti, String sid) {

    public Revocation {
        MessageChecks.requireText(issuer, "issuer");
        MessageChecks.requireText(audience, "audience");
        MessageChecks.requireId(jti, "jti");
        MessageChecks.requireId(sid, "sid");
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.SECONDS);
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        MessageChecks.requireLifetime(issuedAt, expiresAt);
    }

    /** A revocation of {@code sid} with a fresh {@code jti}, issued now. */
    public static Revocation create(String issuer, String serviceId, String sid, Clock clock, SecureRandom random) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return new Revocation(issuer, serviceId, now, now.plus(Kx1.MAX_MESSAGE_LIFETIME), Kx1.newId(random), sid);
    }
}
