package io.imsm.server.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.server.identity.Secrets;
import io.imsm.server.keys.SigningKeys;

import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Signs and checks the provider's JWTs with the active ES256 key: access tokens in the RFC 9068 profile
 * ({@code typ: at+jwt}) and OpenID Connect ID tokens (OIDC Core §2).
 */
public final class AccessTokens {
    public static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

    /** What goes into an access token. {@code familyId} (claim {@code sid}) ties it to a refresh-token family, null for none. */
    public record Grant(String subject, String clientId, List<String> audiences, String scope, String userId, String familyId,
                        Instant authTime, long ttlSeconds, Map<String, Object> extraClaims) {}

    /**
     * Verified tokens by their exact text: a signature check is ~0.6 ms of ECDSA, and a resource server
     * introspects the same token many times. Only what a full check accepted is here; expiry is checked
     * again on every use against the clock, and a key leaves the JWKS only after its tokens expired.
     * Revocation is not cached: callers check it each time.
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, JWTClaimsSet> verified =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(50_000).expireAfterWrite(java.time.Duration.ofMinutes(10)).build();
    private final SigningKeys keys;
    private final Supplier<String> issuer;
    private final Secrets secrets;
    private final Clock clock;

    public AccessTokens(SigningKeys keys, Supplier<String> issuer, Secrets secrets, Clock clock) {
        this.keys = Objects.requireNonNull(keys);
        this.issuer = Objects.requireNonNull(issuer);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
    }

    public String issuer() {
        return issuer.get();
    }

    /** RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope, auth_time when there are. */
    public String accessToken(Grant g) {
        Instant now = clock.instant();
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(issuer.get()).subject(g.subject())
                .audience(g.audiences().isEmpty() ? List.of(g.clientId()) : g.audiences())
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(g.ttlSeconds())))
                .jwtID(secrets.token(16)).claim("client_id", g.clientId());
        if (g.scope() != null && !g.scope().isEmpty()) {
            b.claim("scope", g.scope());
        }
        if (g.authTime() != null) {
            b.claim("auth_time", g.authTime().getEpochSecond());
        }
        if (g.familyId() != null) {
            b.claim("sid", g.familyId());
        }
        g.extraClaims().forEach(b::claim);
        return sign(AT_JWT, b.build());
    }

    /** OIDC Core §2 and §3.1.3.6: the person, the client as audience, nonce, auth_time, at_hash. */
    public String idToken(String userId, String clientId, String nonce, Instant authTime, String familyId, long ttlSeconds,
                          Map<String, Object> claims, String accessToken) {
        Instant now = clock.instant();
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(issuer.get()).subject(userId).audience(clientId)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(ttlSeconds)))
                .claim("auth_time", authTime.getEpochSecond()).claim("azp", clientId);
        if (nonce != null) {
            b.claim("nonce", nonce);
        }
        if (familyId != null) {
            b.claim("sid", familyId);
        }
        if (accessToken != null) {
            b.claim("at_hash", atHash(accessToken));
        }
        claims.forEach(b::claim);
        return sign(JOSEObjectType.JWT, b.build());
    }

    /** The claims of a token this provider signed and that has not expired, with the expected {@code typ}; empty otherwise. */
    public Optional<JWTClaimsSet> verify(String token, JOSEObjectType type) {
        if (token == null || token.length() > 8192) {
            return Optional.empty();
        }
        if (AT_JWT.equals(type)) {
            JWTClaimsSet known = verified.getIfPresent(token);
            if (known != null) {
                return clock.instant().isBefore(known.getExpirationTime().toInstant()) ? Optional.of(known) : Optional.empty();
            }
            Optional<JWTClaimsSet> checked = verifyFully(token, type);
            checked.ifPresent(c -> verified.put(token, c));
            return checked;
        }
        return verifyFully(token, type);
    }

    private Optional<JWTClaimsSet> verifyFully(String token, JOSEObjectType type) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm()) || !type.equals(jwt.getHeader().getType())) {
                return Optional.empty();
            }
            JWK key = keys.jwks().getKeyByKeyId(jwt.getHeader().getKeyID());
            if (!(key instanceof ECKey ec) || !jwt.verify(new ECDSAVerifier(ec))) {
                return Optional.empty();
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Date exp = claims.getExpirationTime();
            Date nbf = claims.getNotBeforeTime();
            Instant now = clock.instant();
            if (exp == null || !now.isBefore(exp.toInstant()) || (nbf != null && now.isBefore(nbf.toInstant()))
                    || !issuer.get().equals(claims.getIssuer())) {
                return Optional.empty();
            }
            return Optional.of(claims);
        } catch (ParseException | JOSEException e) {
            return Optional.empty();
        }
    }

    /**
     * The client an ID token this provider signed was issued to, even when it has expired (an
     * id_token_hint at logout is usually old, OIDC RP-Initiated Logout §2).
     */
    public Optional<String> audienceOfOwnIdToken(String idToken) {
        if (idToken == null || idToken.length() > 8192) {
            return Optional.empty();
        }
        try {
            SignedJWT jwt = SignedJWT.parse(idToken);
            JWK key = keys.jwks().getKeyByKeyId(jwt.getHeader().getKeyID());
            if (!(key instanceof ECKey ec) || !jwt.verify(new ECDSAVerifier(ec)) || !issuer.get().equals(jwt.getJWTClaimsSet().getIssuer())
                    || jwt.getJWTClaimsSet().getAudience().size() != 1) {
                return Optional.empty();
            }
            return Optional.of(jwt.getJWTClaimsSet().getAudience().get(0));
        } catch (ParseException | JOSEException e) {
            return Optional.empty();
        }
    }

    private String sign(JOSEObjectType type, JWTClaimsSet claims) {
        ECKey key = keys.activeKey();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(type).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    /** OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token. */
    private static String atHash(String accessToken) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(accessToken.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return com.nimbusds.jose.util.Base64URL.encode(java.util.Arrays.copyOf(d, 16)).toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
