package io.imsm.protocol;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.bouncycastle.math.ec.ECPoint;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static io.imsm.protocol.ProtocolException.Reason.*;

/**
 * Verifies session tokens for one service (KX1 section 4): {@code kid} names the session, the MAC is
 * HS256 under that session's {@code mac_key} (alg pinned, constant-time comparison), {@code aud} is this service, {@code iss} the IMS, {@code exp}/{@code nbf}/
 * {@code iat} within the allowed skew, {@code sid} equal to {@code kid}; then the {@code enc} claim is
 * decrypted and its claims merged. Every refusal is a {@link TokenException}. The request itself is
 * checked afterwards with {@link SessionToken#check}.
 *
 * <p>Tokens are split and parsed by {@link CompactJws} (bounded, strict JSON, duplicate members
 * refused), the MAC or signature is checked before the claims are read; the {@code enc} JWE is
 * decrypted by Nimbus.
 *
 * <p>Immutable and thread-safe.
 */
public final class SessionTokenVerifier {
    private final String expectedIssuer;
    private final String expectedAudience;
    private final Clock clock;
    private final Duration maxSkew;
    /** Validated points of the IMS keys seen, by key. */
    private final Map<ECKey, ECPoint> points = new ConcurrentHashMap<>();
    private static final int MAX_POINTS = 64;
    /** The claims the verifier reads; other members of the payload are skipped. */
    private static final Set<String> CLAIMS = Set.of(
            "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "scope", "authorization_details", "enc");
    private static final List<String> SESSION_TOKEN_TYPES = List.of(Kx1.TOKEN_TYPE);
    private static final List<String> ES256_TOKEN_TYPES = List.of(Kx1.TOKEN_TYPE, Kx1.ACCESS_TOKEN_TYPE);
    /** RFC 7518 section 3.2: an HS256 key has at least 256 bits. */
    private static final int MIN_MAC_KEY_BYTES = 32;
    /** 9999-12-31T23:59:59Z: later NumericDates are refused rather than overflow. */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    public SessionTokenVerifier(String expectedIssuer, String expectedAudience, Clock clock, Duration maxSkew) {
        MessageChecks.requireText(expectedIssuer, "expectedIssuer");
        MessageChecks.requireText(expectedAudience, "expectedAudience");
        this.expectedIssuer = expectedIssuer;
        this.expectedAudience = expectedAudience;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxSkew = Kx1.checkSkew(maxSkew);
    }

    /**
     * Verifies an HS256 session token.
     *
     * @param keysBySid the live session keys for a {@code sid} (the header {@code kid}); empty when
     *                  the session is unknown. A store that knows the session was revoked may throw
     *                  {@link TokenException} with {@link ProtocolException.Reason#REVOKED} itself.
     */
    public SessionToken verify(String token, Function<String, Optional<SessionKeys>> keysBySid) {
        return verify(CompactJws.parse(token), keysBySid);
    }

    /**
     * {@link #verify(String, Function)} of a token whose header was already parsed (the SDK reads
     * {@code alg} to choose the verifier and parses the header once).
     */
    public SessionToken verify(CompactJws jws, Function<String, Optional<SessionKeys>> keysBySid) {
        Objects.requireNonNull(jws, "jws");
        Objects.requireNonNull(keysBySid, "keysBySid");
        jws.requireHeader(JWSAlgorithm.HS256.getName(), SESSION_TOKEN_TYPES);
        String kid = jws.keyId();
        if (!Kx1.isValidId(kid)) {
            throw new TokenException(UNKNOWN_KEY, "the header kid does not name a session");
        }
        SessionKeys keys = keysBySid.apply(kid)
                .orElseThrow(() -> new TokenException(UNKNOWN_KEY, "no live session " + kid));
        if (keys.macKey().length < MIN_MAC_KEY_BYTES) {
            throw new TokenException(UNKNOWN_KEY, "the session key cannot verify HS256");
        }
        jws.verifyHs256(keys.macKey()); // before the payload is parsed: only authenticated claims are read
        Map<String, Object> c = jws.claims(CLAIMS);
        CheckedClaims p = checkClaims(c, true);
        if (p.sid == null || !ConstantTime.equals(p.sid, kid)) {
            throw new TokenException(SID_MISMATCH, "the sid claim is not the header kid");
        }
        Map<String, Object> confidential = c.get("enc") == null ? Map.of() : decrypt(c.get("enc"), kid, keys);
        return build(p, confidential);
    }

    /**
     * Verifies an ES256 token of the {@code jwks} binding against the IMS key set ({@code kid} = IMS
     * key id). Such tokens have no session secret, so an {@code enc} claim is refused.
     */
    public SessionToken verifyEs256(String token, JWKSet imsKeys) {
        return verifyEs256(CompactJws.parse(token), imsKeys);
    }

    /**
     * {@link #verifyEs256(String, JWKSet)} of a token whose header was already parsed. The signature
     * is checked by {@link P256} (BouncyCastle's P-256): exactly 64 bytes of P1363 {@code r || s}
     * with r and s in [1, n-1]; the key's point is validated (canonical coordinates, on the curve)
     * once per key and kept.
     */
    public SessionToken verifyEs256(CompactJws jws, JWKSet imsKeys) {
        Objects.requireNonNull(jws, "jws");
        Objects.requireNonNull(imsKeys, "imsKeys");
        jws.requireHeader(JWSAlgorithm.ES256.getName(), ES256_TOKEN_TYPES);
        ECKey key = Jws.es256Key(imsKeys, jws.keyId(), Jws.TOKEN);
        if (!P256.verify(point(key), jws.signingInput(), jws.signature())) {
            throw new TokenException(BAD_SIGNATURE, "the signature does not verify");
        }
        Map<String, Object> c = jws.claims(CLAIMS);
        CheckedClaims p = checkClaims(c, false);
        if (c.get("enc") != null) {
            throw new TokenException(BAD_ENC, "a jwks-binding token cannot carry an enc claim");
        }
        return build(p, Map.of());
    }

    /** The validated point of an IMS key, kept per key (a key set holds a few keys; more are dropped all at once). */
    private ECPoint point(ECKey key) {
        ECPoint q = points.get(key);
        if (q != null) {
            return q;
        }
        try {
            q = P256.publicPoint(key);
        } catch (IllegalArgumentException e) {
            throw new TokenException(UNKNOWN_KEY, "the key cannot verify ES256", e);
        }
        if (points.size() >= MAX_POINTS) {
            points.clear();
        }
        points.put(key, q);
        return q;
    }

    private record CheckedClaims(String issuer, Instant issuedAt, Instant expiresAt, String subject, String jti, String sid,
                                 String scope, List<HttpAuthorizationDetail> details) {}

    /**
     * The checks of {@code Jws.checkIssuer}, {@code checkAudience}, {@code checkTimes} and the claim
     * types, in their order, on the parsed claims. {@code scope} is required in session tokens;
     * IMS-signed access tokens (RFC 9068 section 2.2.3) may leave it out (the certificate exchange's
     * carry roles instead): absent means no scopes.
     */
    private CheckedClaims checkClaims(Map<String, Object> c, boolean scopeRequired) {
        // RFC 7519 section 4.1: registered claims of the wrong JSON type make the claims set invalid.
        Object iss = c.get("iss");
        Object sub = c.get("sub");
        List<String> aud = audience(c.get("aud"));
        Long exp = numericDate(c.get("exp"), "exp");
        Long iat = numericDate(c.get("iat"), "iat");
        Long nbf = numericDate(c.get("nbf"), "nbf");
        if ((iss != null && !(iss instanceof String)) || (sub != null && !(sub instanceof String))) {
            throw new TokenException(MALFORMED, "the payload is not a JWT claims set (iss and sub must be strings)");
        }
        if (iss == null) {
            throw new TokenException(MALFORMED, "iss is missing");
        }
        if (!expectedIssuer.equals(iss)) {
            throw new TokenException(WRONG_ISSUER, "iss is not " + expectedIssuer);
        }
        if (aud == null || aud.isEmpty()) {
            throw new TokenException(MALFORMED, "aud is missing");
        }
        if (!aud.contains(expectedAudience)) {
            throw new TokenException(WRONG_AUDIENCE, "aud does not contain " + expectedAudience);
        }
        // RFC 7519 sections 4.1.4-4.1.6: exp and iat required, nbf honoured, each with at most maxSkew of tolerance.
        if (exp == null || iat == null) {
            throw new TokenException(MALFORMED, "exp and iat are required");
        }
        Instant expires = instant(exp);
        Instant issued = instant(iat);
        if (!expires.isAfter(issued)) {
            throw new TokenException(MALFORMED, "exp is not after iat");
        }
        Instant now = clock.instant();
        if (now.isAfter(expires.plus(maxSkew))) {
            throw new TokenException(EXPIRED, "expired at " + expires);
        }
        Instant latestStart = now.plus(maxSkew);
        if (issued.isAfter(latestStart)) {
            throw new TokenException(NOT_YET_VALID, "issued in the future (" + issued + ")");
        }
        if (nbf != null && instant(nbf).isAfter(latestStart)) {
            throw new TokenException(NOT_YET_VALID, "not valid before " + instant(nbf));
        }
        String subject = requireString(c, "sub");
        String jti = requireId(c, "jti");
        String sid = c.get("sid") == null ? null : requireId(c, "sid");
        String scope = !scopeRequired && c.get("scope") == null ? "" : requireString(c, "scope");
        return new CheckedClaims((String) iss, issued, expires, subject, jti, sid, scope, details(c.get("authorization_details")));
    }

    /** {@code aud}: a string or an array of strings (RFC 7519 section 4.1.3); {@code null} when absent. */
    private static List<String> audience(Object aud) {
        if (aud == null) {
            return null;
        }
        if (aud instanceof String s) {
            return List.of(s);
        }
        if (aud instanceof List<?> list) {
            List<String> out = new ArrayList<>(list.size());
            for (Object a : list) {
                if (!(a instanceof String s)) {
                    throw new TokenException(MALFORMED, "aud must hold strings");
                }
                out.add(s);
            }
            return out;
        }
        throw new TokenException(MALFORMED, "aud must be a string or an array of strings");
    }

    /** A NumericDate (RFC 7519 section 2) in whole seconds, as Nimbus read it: a fraction is cut off. */
    private static Long numericDate(Object value, String name) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Number n)) {
            throw new TokenException(MALFORMED, name + " must be a NumericDate");
        }
        return n.longValue();
    }

    private static Instant instant(long epochSecond) {
        if (epochSecond < -MAX_EPOCH_SECOND || epochSecond > MAX_EPOCH_SECOND) {
            throw new TokenException(MALFORMED, "a NumericDate is out of range");
        }
        return Instant.ofEpochSecond(epochSecond);
    }

    private static String requireString(Map<String, Object> c, String name) {
        Object value = c.get(name);
        if (value == null) {
            throw new TokenException(MALFORMED, name + " is missing");
        }
        if (!(value instanceof String s)) {
            throw new TokenException(MALFORMED, name + " must be a string");
        }
        return s;
    }

    private static String requireId(Map<String, Object> c, String name) {
        String value = requireString(c, name);
        if (!Kx1.isValidId(value)) {
            throw new TokenException(MALFORMED, name + " must be 1..128 base64url characters");
        }
        return value;
    }

    /** RFC 9396 section 2: a JSON array of objects; every entry must be one we can enforce. */
    private static List<HttpAuthorizationDetail> details(Object claim) {
        if (claim == null) {
            return List.of();
        }
        if (!(claim instanceof List<?> entries) || entries.isEmpty()) {
            throw new TokenException(MALFORMED, "authorization_details must be a non-empty JSON array");
        }
        List<HttpAuthorizationDetail> details = new ArrayList<>(entries.size());
        for (Object entry : entries) {
            try {
                details.add(HttpAuthorizationDetail.fromJson(entry));
            } catch (IllegalArgumentException e) {
                throw new TokenException(MALFORMED, "authorization_details: " + e.getMessage(), e);
            }
        }
        return details;
    }

    /**
     * The {@code enc} claim: a compact JWE (RFC 7516 section 7.1) whose header must be exactly
     * {@code alg=dir}, {@code enc=A256GCM} (RFC 7518 sections 4.5 and 5.3), {@code kid=sid}, without
     * compression or critical extensions; its plaintext a JSON object of further claims.
     */
    private static Map<String, Object> decrypt(Object enc, String sid, SessionKeys keys) {
        if (!(enc instanceof String compact)) {
            throw new TokenException(BAD_ENC, "enc must be a compact JWE string");
        }
        final JWEObject jwe;
        try {
            jwe = JWEObject.parse(compact);
        } catch (ParseException | RuntimeException e) {
            throw new TokenException(BAD_ENC, "enc is not a compact JWE", e);
        }
        JWEHeader h = jwe.getHeader();
        if (!JWEAlgorithm.DIR.equals(h.getAlgorithm()) || !EncryptionMethod.A256GCM.equals(h.getEncryptionMethod())) {
            throw new TokenException(BAD_ENC, "enc must be alg dir with enc A256GCM");
        }
        if (!sid.equals(h.getKeyID())) {
            throw new TokenException(BAD_ENC, "the enc kid is not the session id");
        }
        if (h.getCompressionAlgorithm() != null || (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty())) {
            throw new TokenException(BAD_ENC, "enc must not use compression or critical extensions");
        }
        try {
            jwe.decrypt(new DirectDecrypter(keys.encKey()));
        } catch (JOSEException | RuntimeException e) {
            throw new TokenException(BAD_ENC, "enc does not decrypt under the session key", e);
        }
        final Map<String, Object> claims;
        try {
            claims = JSONObjectUtils.parse(jwe.getPayload().toString());
        } catch (ParseException | RuntimeException e) {
            throw new TokenException(BAD_ENC, "the enc plaintext is not a JSON object", e);
        }
        for (String name : claims.keySet()) {
            if (SessionToken.REGISTERED_CLAIMS.contains(name)) {
                throw new TokenException(BAD_ENC, "the encrypted claim " + name + " collides with an outer claim");
            }
        }
        return claims;
    }

    private SessionToken build(CheckedClaims p, Map<String, Object> confidential) {
        try {
            return new SessionToken(p.issuer, p.subject, expectedAudience, p.issuedAt, p.expiresAt,
                    p.jti, p.sid, p.scope, p.details, confidential);
        } catch (IllegalArgumentException e) {
            throw new TokenException(MALFORMED, e.getMessage(), e);
        }
    }
}
