package io.imsm.protocol;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import static io.imsm.protocol.ProtocolException.Reason.*;

/**
 * Verifies session tokens for one service (KX1 section 4): {@code kid} names the session, the MAC is
 * HS256 under that session's {@code mac_key} (alg pinned, constant-time comparison in Nimbus'
 * {@link MACVerifier}), {@code aud} is this service, {@code iss} the IMS, {@code exp}/{@code nbf}/
 * {@code iat} within the allowed skew, {@code sid} equal to {@code kid}; then the {@code enc} claim is
 * decrypted and its claims merged. Every refusal is a {@link TokenException}. The request itself is
 * checked afterwards with {@link SessionToken#check}.
 *
 * <p>Immutable and thread-safe.
 */
public final class SessionTokenVerifier {
    private final String expectedIssuer;
    private final String expectedAudience;
    private final Clock clock;
    private final Duration maxSkew;

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
        Objects.requireNonNull(keysBySid, "keysBySid");
        SignedJWT jwt = Jws.parse(token, JWSAlgorithm.HS256, Kx1.TOKEN_TYPE, Jws.TOKEN);
        String kid = jwt.getHeader().getKeyID();
        if (!Kx1.isValidId(kid)) {
            throw new TokenException(UNKNOWN_KEY, "the header kid does not name a session");
        }
        SessionKeys keys = keysBySid.apply(kid)
                .orElseThrow(() -> new TokenException(UNKNOWN_KEY, "no live session " + kid));
        final MACVerifier verifier;
        try {
            verifier = new MACVerifier(keys.macKey());
        } catch (JOSEException e) {
            throw new TokenException(UNKNOWN_KEY, "the session key cannot verify HS256", e);
        }
        Jws.verify(jwt, verifier, Jws.TOKEN);
        JWTClaimsSet c = Jws.claims(jwt, Jws.TOKEN);
        CheckedClaims p = checkClaims(c, true);
        if (p.sid == null || !ConstantTime.equals(p.sid, kid)) {
            throw new TokenException(SID_MISMATCH, "the sid claim is not the header kid");
        }
        Map<String, Object> confidential = c.getClaim("enc") == null ? Map.of() : decrypt(c.getClaim("enc"), kid, keys);
        return build(c, p, confidential);
    }

    /**
     * Verifies an ES256 token of the {@code jwks} binding against the IMS key set ({@code kid} = IMS
     * key id). Such tokens have no session secret, so an {@code enc} claim is refused.
     */
    public SessionToken verifyEs256(String token, JWKSet imsKeys) {
        Objects.requireNonNull(imsKeys, "imsKeys");
        SignedJWT jwt = Jws.parse(token, JWSAlgorithm.ES256, java.util.List.of(Kx1.TOKEN_TYPE, Kx1.ACCESS_TOKEN_TYPE), Jws.TOKEN,
                Jws.MAX_COMPACT_LENGTH);
        ECKey key = Jws.es256Key(imsKeys, jwt.getHeader().getKeyID(), Jws.TOKEN);
        final ECDSAVerifier verifier;
        try {
            verifier = new ECDSAVerifier(key);
        } catch (JOSEException e) {
            throw new TokenException(UNKNOWN_KEY, "the key cannot verify ES256", e);
        }
        Jws.verify(jwt, verifier, Jws.TOKEN);
        JWTClaimsSet c = Jws.claims(jwt, Jws.TOKEN);
        CheckedClaims p = checkClaims(c, false);
        if (c.getClaim("enc") != null) {
            throw new TokenException(BAD_ENC, "a jwks-binding token cannot carry an enc claim");
        }
        return build(c, p, Map.of());
    }

    private record CheckedClaims(Jws.Times times, String subject, String jti, String sid, String scope,
                         List<HttpAuthorizationDetail> details) {}

    /**
     * {@code scope} is required in session tokens; IMS-signed access tokens (RFC 9068 section 2.2.3)
     * may leave it out (the certificate exchange's carry roles instead): absent means no scopes.
     */
    private CheckedClaims checkClaims(JWTClaimsSet c, boolean scopeRequired) {
        Jws.checkIssuer(c, expectedIssuer, Jws.TOKEN);
        Jws.checkAudience(c, expectedAudience, Jws.TOKEN);
        Jws.Times times = Jws.checkTimes(c, clock.instant(), maxSkew, Jws.TOKEN);
        String sub = Jws.requireString(c, "sub", Jws.TOKEN);
        String jti = Jws.requireId(c, "jti", Jws.TOKEN);
        String sid = c.getClaim("sid") == null ? null : Jws.requireId(c, "sid", Jws.TOKEN);
        String scope = !scopeRequired && c.getClaim("scope") == null ? "" : Jws.requireString(c, "scope", Jws.TOKEN);
        return new CheckedClaims(times, sub, jti, sid, scope, details(c.getClaim("authorization_details")));
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

    private SessionToken build(JWTClaimsSet c, CheckedClaims p, Map<String, Object> confidential) {
        try {
            return new SessionToken(c.getIssuer(), p.subject, expectedAudience, p.times.issuedAt(), p.times.expiresAt(),
                    p.jti, p.sid, p.scope, p.details, confidential);
        } catch (IllegalArgumentException e) {
            throw new TokenException(MALFORMED, e.getMessage(), e);
        }
    }
}
