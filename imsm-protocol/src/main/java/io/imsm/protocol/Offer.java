package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * KX1 step 1, IMS to service: the claims of the offer JWS. Times are whole seconds (RFC 7519
 * NumericDate); {@code epk} is the IMS ephemeral public key.
 *
 * @param issuer           {@code iss}: the IMS issuer URL
 * @param audience         {@code aud}: the service id
 * @param jti              fresh 128-bit nonce; the answer echoes it as {@code nonce}
 * @param sid              fresh 128-bit session id; the {@code kid} of every token of the session
 * @param subject          {@code sub}: the user or service the session is for
 * @param scope            space-separated scopes granted
 * @param sessionExpiresAt {@code session_exp}: no token of the session lives longer
 */
public record Offer(String issuer, String audience, Instant issuedAt, Instant expiresAt, String jti, String sid,
                    String subject, String scope, Instant sessionExpiresAt, ECKey epk) {

    public Offer {
        MessageChecks.requireText(issuer, "issuer");
        MessageChecks.requireText(audience, "audience");
        MessageChecks.requireText(subject, "subject");
        Objects.requireNonNull(scope, "scope");
        MessageChecks.requireId(jti, "jti");
        MessageChecks.requireId(sid, "sid");
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.SECONDS);
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        sessionExpiresAt = Objects.requireNonNull(sessionExpiresAt, "sessionExpiresAt").truncatedTo(ChronoUnit.SECONDS);
        MessageChecks.requireLifetime(issuedAt, expiresAt);
        if (!sessionExpiresAt.isAfter(issuedAt)) {
            throw new IllegalArgumentException("session_exp must be after iat");
        }
        epk = MessageChecks.publicEpk(epk);
    }

    /**
     * A new offer with a fresh {@code jti} and {@code sid}, issued now and expiring after
     * {@link Kx1#MAX_MESSAGE_LIFETIME}.
     *
     * @param imsEphemeral the IMS ephemeral key (only its public part goes into the offer)
     */
    public static Offer create(String issuer, String serviceId, String subject, String scope, Instant sessionExpiresAt,
                               ECKey imsEphemeral, Clock clock, SecureRandom random) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return new Offer(issuer, serviceId, now, now.plus(Kx1.MAX_MESSAGE_LIFETIME), Kx1.newId(random), Kx1.newId(random),
                subject, scope, sessionExpiresAt, imsEphemeral);
    }
}
