package io.imsm.protocol;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import org.bouncycastle.math.ec.ECPoint;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import static io.imsm.protocol.ProtocolException.Reason.*;

/**
 * Verifies KX1 messages. A service builds one with the IMS issuer as expected issuer, its own id as
 * expected audience and the IMS JWKS, and calls {@link #verifyOffer} and {@link #verifyRevocation}.
 * The IMS builds one per exchange with the service id as expected issuer, its own issuer as audience
 * and the service's registered key, and calls {@link #verifyAnswer}.
 *
 * <p>Order of checks: header ({@code alg} pinned to ES256, {@code typ} imsm-kx+jwt), key by
 * {@code kid}, signature, then claims; the {@code jti} is recorded only for an otherwise valid
 * message, so forged messages cannot fill the replay guard. Every refusal is a {@link KxException}.
 *
 * <p>Not checked here, because it needs state: whether a {@code sid} is already known (the
 * service's session store must refuse it, KX1 section 1).
 *
 * <p>Thread-safe when its {@link ReplayGuard} is (the in-memory one is).
 */
public final class KxVerifier {
    private static final String ES256 = JWSAlgorithm.ES256.getName();
    private static final List<String> MESSAGE_TYPES = List.of(Kx1.MESSAGE_TYPE);
    /** Every claim a KX1 message is checked for; others are checked as JSON and skipped. */
    private static final Set<String> CLAIMS = Set.of("iss", "aud", "iat", "exp", "nbf", "jti", "sid", "sub", "scope", "session_exp",
            "epk", "revoked", "nonce", "ticket");
    private final String expectedIssuer;
    private final String expectedAudience;
    private final Function<String, ECPoint> keyByKid;
    private final Clock clock;
    private final Duration maxSkew;
    private final ReplayGuard replayGuard;

    /** With a key set: the header {@code kid} selects the key (IMS keys on the service side). */
    public KxVerifier(String expectedIssuer, String expectedAudience, JWKSet keys, Clock clock, Duration maxSkew,
                      ReplayGuard replayGuard) {
        this(expectedIssuer, expectedAudience, kidLookup(Objects.requireNonNull(keys, "keys")), clock, maxSkew, replayGuard);
    }

    /**
     * With one key (the service's registered key on the IMS side). If that key has a {@code kid}, the
     * header must name it. The replay guard is consulted for offers and revocations only: an answer
     * is bound to its offer by {@code nonce}.
     */
    public KxVerifier(String expectedIssuer, String expectedAudience, ECKey key, Clock clock, Duration maxSkew,
                      ReplayGuard replayGuard) {
        this(expectedIssuer, expectedAudience, singleKey(Objects.requireNonNull(key, "key")), clock, maxSkew, replayGuard);
    }

    private KxVerifier(String expectedIssuer, String expectedAudience, Function<String, ECPoint> keyByKid, Clock clock,
                       Duration maxSkew, ReplayGuard replayGuard) {
        MessageChecks.requireText(expectedIssuer, "expectedIssuer");
        MessageChecks.requireText(expectedAudience, "expectedAudience");
        this.expectedIssuer = expectedIssuer;
        this.expectedAudience = expectedAudience;
        this.keyByKid = keyByKid;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxSkew = Kx1.checkSkew(maxSkew);
        this.replayGuard = Objects.requireNonNull(replayGuard, "replayGuard");
    }

    /**
     * Each key of the set becomes a verifier (its point validated) once, at its first use: the set is
     * fixed for this verifier's life, so the cache holds at most one entry per key of the set.
     */
    private static Function<String, ECPoint> kidLookup(JWKSet keys) {
        Map<String, ECPoint> verifiers = new ConcurrentHashMap<>();
        return kid -> {
            ECPoint known = kid == null ? null : verifiers.get(kid);
            if (known != null) {
                return known;
            }
            ECPoint v = verifierOf(Jws.es256Key(keys, kid, Jws.KX));
            verifiers.put(kid, v);
            return v;
        };
    }

    private static Function<String, ECPoint> singleKey(ECKey key) {
        final ECKey pub;
        final ECPoint verifier;
        try {
            pub = Jws.requireEs256Key(key, Jws.KX);
            verifier = verifierOf(pub);
        } catch (KxException e) {
            throw new IllegalArgumentException("the registered key must be an ES256 (EC P-256) key", e);
        }
        return kid -> {
            if (pub.getKeyID() != null && !pub.getKeyID().equals(kid)) {
                throw new KxException(UNKNOWN_KEY, "the header kid does not name the registered key");
            }
            return verifier;
        };
    }

    /** The key's point, validated once (canonical coordinates, on the curve). */
    private static ECPoint verifierOf(ECKey key) {
        try {
            return P256.publicPoint(key);
        } catch (IllegalArgumentException e) {
            throw new KxException(UNKNOWN_KEY, "the key cannot verify ES256: " + e.getMessage(), e);
        }
    }

    /** KX1 section 1: the service verifies an offer from the IMS. */
    public Offer verifyOffer(String compactJws) {
        JWTClaimsSet c = verifiedClaims(compactJws);
        Jws.Times t = checkCommon(c, true);
        String jti = Jws.requireId(c, "jti", Jws.KX);
        String sid = Jws.requireId(c, "sid", Jws.KX);
        String sub = Jws.requireString(c, "sub", Jws.KX);
        String scope = Jws.requireString(c, "scope", Jws.KX);
        Instant sessionExp = Jws.requireDate(c, "session_exp", Jws.KX);
        if (!sessionExp.isAfter(t.issuedAt())) {
            throw new KxException(MALFORMED, "session_exp is not after iat");
        }
        ECKey epk = epk(c);
        Offer offer = build(() -> new Offer(c.getIssuer(), expectedAudience, t.issuedAt(), t.expiresAt(), jti, sid, sub, scope,
                sessionExp, epk));
        requireFirstUse(jti, t.expiresAt());
        return offer;
    }

    /** KX1 section 5: the service verifies a revocation from the IMS like an offer. */
    public Revocation verifyRevocation(String compactJws) {
        JWTClaimsSet c = verifiedClaims(compactJws);
        Jws.Times t = checkCommon(c, true);
        String jti = Jws.requireId(c, "jti", Jws.KX);
        String sid = Jws.requireId(c, "sid", Jws.KX);
        final Boolean revoked;
        try {
            revoked = c.getBooleanClaim("revoked");
        } catch (ParseException e) {
            throw new KxException(MALFORMED, "revoked must be true", e);
        }
        if (!Boolean.TRUE.equals(revoked)) {
            throw new KxException(MALFORMED, "revoked must be true");
        }
        Revocation revocation = build(() -> new Revocation(c.getIssuer(), expectedAudience, t.issuedAt(), t.expiresAt(), jti, sid));
        requireFirstUse(jti, t.expiresAt());
        return revocation;
    }

    /**
     * KX1 section 2: the IMS verifies the service's answer to {@code offer}: signature by the
     * service's key, {@code sid} echoed, {@code nonce} equal to the offer's {@code jti}, {@code exp},
     * and the ephemeral point.
     */
    public Answer verifyAnswer(String compactJws, Offer offer) {
        Objects.requireNonNull(offer, "offer");
        JWTClaimsSet c = verifiedClaims(compactJws);
        Jws.Times t = checkCommon(c, false);
        String sid = Jws.requireString(c, "sid", Jws.KX);
        if (!ConstantTime.equals(sid, offer.sid())) {
            throw new KxException(SID_MISMATCH, "the answer does not echo the offer's sid");
        }
        String nonce = Jws.requireString(c, "nonce", Jws.KX);
        if (!ConstantTime.equals(nonce, offer.jti())) {
            throw new KxException(NONCE_MISMATCH, "the answer's nonce is not the offer's jti");
        }
        ECKey epk = epk(c);
        Object ticket = c.getClaim("ticket");
        if (ticket != null && !(ticket instanceof String s && SessionTicket.isWellFormed(s))) {
            throw new KxException(MALFORMED, "the answer's ticket is not a compact JWE of at most " + SessionTicket.MAX_LENGTH + " characters");
        }
        return build(() -> new Answer(c.getIssuer(), expectedAudience, t.issuedAt(), t.expiresAt(), sid, nonce, epk, (String) ticket));
    }

    /**
     * The checks of {@code Jws.parse} on {@link CompactJws} (bounded, strict JSON without duplicate
     * members): {@code alg} pinned to ES256, {@code typ} imsm-kx+jwt, no {@code crit}; then the key by
     * {@code kid}, the signature over the signing input as received (exactly 64 bytes of P1363), and
     * only then the claims, read into a {@link JWTClaimsSet} for the claim checks.
     */
    private JWTClaimsSet verifiedClaims(String compactJws) {
        final CompactJws jws;
        try {
            jws = CompactJws.parse(compactJws);
            jws.requireHeader(ES256, MESSAGE_TYPES);
        } catch (TokenException e) {
            throw new KxException(e.reason(), e.getMessage(), e);
        }
        ECPoint key = keyByKid.apply(jws.keyId());
        final byte[] signature;
        try {
            signature = jws.signature();
        } catch (TokenException e) {
            throw new KxException(BAD_SIGNATURE, "the signature does not verify", e);
        }
        if (!P256.verify(key, jws.signingInput(), signature)) {
            throw new KxException(BAD_SIGNATURE, "the signature does not verify");
        }
        try {
            return JWTClaimsSet.parse(jws.claims(CLAIMS));
        } catch (ParseException | RuntimeException e) {
            throw new KxException(MALFORMED, "the payload is not a JWT claims set", e);
        }
    }

    private Jws.Times checkCommon(JWTClaimsSet c, boolean capLifetime) {
        Jws.checkIssuer(c, expectedIssuer, Jws.KX);
        Jws.checkAudience(c, expectedAudience, Jws.KX);
        Jws.Times t = Jws.checkTimes(c, clock.instant(), maxSkew, Jws.KX);
        if (capLifetime && t.expiresAt().isAfter(t.issuedAt().plus(Kx1.MAX_MESSAGE_LIFETIME))) {
            throw new KxException(LIFETIME_TOO_LONG, "exp is more than " + Kx1.MAX_MESSAGE_LIFETIME.toSeconds() + " s after iat");
        }
        return t;
    }

    private static ECKey epk(JWTClaimsSet c) {
        Object epk = c.getClaim("epk");
        if (epk == null) {
            throw new KxException(MALFORMED, "epk is missing");
        }
        return EphemeralKeys.requireValidPeerKey(epk);
    }

    /** A seen id is kept until exp plus the skew, the last moment the message would still be accepted. */
    private void requireFirstUse(String jti, Instant expiresAt) {
        if (!replayGuard.firstUse(jti, expiresAt.plus(maxSkew))) {
            throw new KxException(REPLAYED, "jti was seen before");
        }
    }

    private static <T> T build(Supplier<T> record) {
        try {
            return record.get();
        } catch (IllegalArgumentException e) {
            throw new KxException(MALFORMED, e.getMessage(), e);
        }
    }
}
