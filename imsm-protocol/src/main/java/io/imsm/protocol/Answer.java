package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * KX1 step 2, service to IMS: the claims of the answer JWS, signed by the service's long-term key.
 *
 * @param issuer   {@code iss}: the service id
 * @param audience {@code aud}: the IMS issuer
 * @param sid      the offer's {@code sid}, echoed
 * @param nonce    the offer's {@code jti}
 * @param epk      the service's ephemeral public key
 * @param ticket   optional {@code ticket}: the service's sealed session ({@link SessionTicket}), carried by the
 *                 IMS unread into each token of the session; {@code null} when the service sends none
 */
public record Answer(String issuer, String audience, Instant issuedAt, Instant expiresAt, String sid, String nonce, ECKey epk,
                     String ticket) {

    public Answer {
        MessageChecks.requireText(issuer, "issuer");
        MessageChecks.requireText(audience, "audience");
        MessageChecks.requireId(sid, "sid");
        MessageChecks.requireId(nonce, "nonce");
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.SECONDS);
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        if (!expiresAt.isAfter(issuedAt)) {
            // KX1 caps the lifetime of offers and revocations only; an answer is bound by its nonce.
            throw new IllegalArgumentException("exp must be after iat");
        }
        epk = MessageChecks.publicEpk(epk);
        if (ticket != null && !SessionTicket.isWellFormed(ticket)) {
            throw new IllegalArgumentException("ticket must be a compact JWE of at most " + SessionTicket.MAX_LENGTH + " characters");
        }
    }

    /** An answer without a session ticket (a single-replica service). */
    public Answer(String issuer, String audience, Instant issuedAt, Instant expiresAt, String sid, String nonce, ECKey epk) {
        this(issuer, audience, issuedAt, expiresAt, sid, nonce, epk, null);
    }

    /** This answer carrying {@code ticket}. */
    public Answer withTicket(String ticket) {
        return new Answer(issuer, audience, issuedAt, expiresAt, sid, nonce, epk, ticket);
    }

    /** The answer to a verified offer, issued now, expiring after {@link Kx1#MAX_MESSAGE_LIFETIME}. */
    public static Answer to(Offer offer, ECKey serviceEphemeral, Clock clock) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return new Answer(offer.audience(), offer.issuer(), now, now.plus(Kx1.MAX_MESSAGE_LIFETIME), offer.sid(), offer.jti(),
                serviceEphemeral);
    }
}
