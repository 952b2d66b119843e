package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.imsm.protocol.ProtocolException.Reason.*;

/**
 * The signed per-service revocation list (docs/protocol.md section 8.1): the sessions of one service
 * the IMS revoked that have not expired yet. Services of the {@code jwks} binding learn revocations
 * only this way; a KX1 service may use it as a second path besides {@code DELETE {kx_url}/{sid}}.
 *
 * <p>A compact JWS, header {@code {"alg":"ES256","kid":..,"typ":"imsm-revocations+jwt"}}, signed by an
 * IMS key, claims {@code iss}, {@code aud} (the service id), {@code iat}, {@code exp}
 * ({@code <= iat + 60}) and {@code revoked}: an array of {@code {"sid":..,"jti":..,"exp":..}} (the
 * session, its token id, and when it would have expired).
 */
public record RevocationList(String issuer, String audience, Instant issuedAt, Instant expiresAt, List<Entry> revoked) {
    /** {@code typ} of a revocation list (explicit typing, RFC 8725 section 3.11). */
    public static final String TYPE = "imsm-revocations+jwt";
    /** The longest list a verifier reads, in characters of the compact JWS. */
    public static final int MAX_COMPACT_LENGTH = 4 * 1024 * 1024;

    /** One revoked session. */
    public record Entry(String sid, String jti, Instant expiresAt) {
        public Entry {
            MessageChecks.requireId(sid, "sid");
            MessageChecks.requireId(jti, "jti");
            expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        }
    }

    public RevocationList {
        MessageChecks.requireText(issuer, "issuer");
        MessageChecks.requireText(audience, "audience");
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.SECONDS);
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        MessageChecks.requireLifetime(issuedAt, expiresAt);
        revoked = List.copyOf(revoked);
    }

    /** A list issued now, valid for the longest lifetime KX1 allows (60 s). */
    public static RevocationList create(String issuer, String serviceId, List<Entry> revoked, Clock clock) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return new RevocationList(issuer, serviceId, now, now.plus(Kx1.MAX_MESSAGE_LIFETIME), revoked);
    }

    /** Signs the list with an IMS ES256 key (its {@code kid} goes into the header). */
    public String sign(ECKey imsKey) {
        Objects.requireNonNull(imsKey, "imsKey");
        List<Map<String, Object>> entries = new ArrayList<>(revoked.size());
        for (Entry e : revoked) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sid", e.sid());
            m.put("jti", e.jti());
            m.put("exp", e.expiresAt().getEpochSecond());
            entries.add(m);
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(audience)
                .issueTime(Date.from(issuedAt)).expirationTime(Date.from(expiresAt)).claim("revoked", entries).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(imsKey.getKeyID())
                .type(new JOSEObjectType(TYPE)).build(), claims);
        try {
            jwt.sign(new ECDSASigner(imsKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("ES256 signing failed", e);
        }
        return jwt.serialize();
    }

    /**
     * Verifies a list as section 2 says for KX1 messages: {@code alg} pinned to ES256, {@code typ}
     * {@value #TYPE}, no {@code crit}, the key chosen by {@code kid} among the IMS keys, the
     * signature, {@code iss}, {@code aud}, {@code iat}/{@code exp} with at most {@code maxSkew}, and a
     * lifetime of at most 60 s. No replay memory: a list is idempotent, and a receiver keeps the newest.
     *
     * @throws KxException with the reason of the first failed check
     */
    public static RevocationList verify(String compact, JWKSet imsKeys, String expectedIssuer, String serviceId, Clock clock,
                                        Duration maxSkew) {
        Objects.requireNonNull(imsKeys, "imsKeys");
        Kx1.checkSkew(maxSkew);
        SignedJWT jwt = Jws.parse(compact, JWSAlgorithm.ES256, TYPE, Jws.KX, MAX_COMPACT_LENGTH);
        ECKey key = Jws.es256Key(imsKeys, jwt.getHeader().getKeyID(), Jws.KX);
        try {
            Jws.verify(jwt, new ECDSAVerifier(key), Jws.KX);
        } catch (JOSEException e) {
            throw new KxException(UNKNOWN_KEY, "the key cannot verify ES256", e);
        }
        JWTClaimsSet c = Jws.claims(jwt, Jws.KX);
        Jws.checkIssuer(c, expectedIssuer, Jws.KX);
        Jws.checkAudience(c, serviceId, Jws.KX);
        Jws.Times times = Jws.checkTimes(c, clock.instant(), maxSkew, Jws.KX);
        if (times.expiresAt().isAfter(times.issuedAt().plus(Kx1.MAX_MESSAGE_LIFETIME))) {
            throw new KxException(LIFETIME_TOO_LONG, "a revocation list lives at most " + Kx1.MAX_MESSAGE_LIFETIME.toSeconds() + " s");
        }
        if (!(c.getClaim("revoked") instanceof List<?> list)) {
            throw new KxException(MALFORMED, "revoked must be a JSON array");
        }
        List<Entry> entries = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("sid") instanceof String sid) || !(m.get("jti") instanceof String jti)
                    || !(m.get("exp") instanceof Number exp)) {
                throw new KxException(MALFORMED, "each revoked entry needs string sid and jti and a numeric exp");
            }
            try {
                entries.add(new Entry(sid, jti, Instant.ofEpochSecond(exp.longValue())));
            } catch (IllegalArgumentException e) {
                throw new KxException(MALFORMED, "revoked entry: " + e.getMessage(), e);
            }
        }
        return new RevocationList(c.getIssuer(), serviceId, times.issuedAt(), times.expiresAt(), entries);
    }
}
