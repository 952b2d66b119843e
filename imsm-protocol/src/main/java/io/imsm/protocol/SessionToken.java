package io.imsm.protocol;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The claims of a session token (KX1 section 4). Minted by {@link SessionTokens}, returned by
 * {@link SessionTokenVerifier} after every check has passed.
 *
 * @param audience             {@code aud}: the service id
 * @param sid                  the session id, also the token's {@code kid}; {@code null} only for
 *                             ES256 tokens of the {@code jwks} binding
 * @param scope                space-separated scopes
 * @param authorizationDetails RFC 9396 entries limiting the token to particular requests; empty: no limit
 * @param confidentialClaims   claims carried encrypted in the {@code enc} claim (JWE under
 *                             {@code enc_key}); after verification these are the decrypted ones
 */
public record SessionToken(String issuer, String subject, String audience, Instant issuedAt, Instant expiresAt,
                           String jti, String sid, String scope, List<HttpAuthorizationDetail> authorizationDetails,
                           Map<String, Object> confidentialClaims) {

    /** Claim names of the outer token; an encrypted claim may not reuse one of them. */
    public static final Set<String> REGISTERED_CLAIMS = Set.of(
            "iss", "sub", "aud", "iat", "exp", "nbf", "jti", "sid", "scope", "authorization_details", "enc", "tkt");

    public SessionToken {
        MessageChecks.requireText(issuer, "issuer");
        MessageChecks.requireText(subject, "subject");
        MessageChecks.requireText(audience, "audience");
        MessageChecks.requireId(jti, "jti");
        if (sid != null) {
            MessageChecks.requireId(sid, "sid");
        }
        Objects.requireNonNull(scope, "scope");
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.SECONDS);
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.SECONDS);
        if (!expiresAt.isAfter(issuedAt)) {
            throw new IllegalArgumentException("exp must be after iat");
        }
        authorizationDetails = authorizationDetails == null ? List.of() : List.copyOf(authorizationDetails);
        if (confidentialClaims == null || confidentialClaims.isEmpty()) {
            confidentialClaims = Map.of();
        } else {
            Map<String, Object> confidential = new LinkedHashMap<>();
            confidentialClaims.forEach((name, value) -> {
                if (REGISTERED_CLAIMS.contains(Objects.requireNonNull(name, "claim name"))) {
                    throw new IllegalArgumentException("the claim " + name + " cannot be encrypted");
                }
                confidential.put(name, value);
            });
            confidentialClaims = Collections.unmodifiableMap(confidential);
        }
    }

    /** A token without per-request limits or encrypted claims. */
    public SessionToken(String issuer, String subject, String audience, Instant issuedAt, Instant expiresAt, String jti,
                        String sid, String scope) {
        this(issuer, subject, audience, issuedAt, expiresAt, jti, sid, scope, List.of(), Map.of());
    }

    /** The scopes as a set (the {@code scope} claim split at spaces, RFC 6749 section 3.3). */
    public Set<String> scopes() {
        return Scopes.parse(scope);
    }

    /** Whether a request is within {@link #authorizationDetails()}. */
    public RequestDecision check(RequestTarget request) {
        return RequestDecision.check(authorizationDetails, request);
    }

    /** All claims, the decrypted confidential ones merged in place of {@code enc}. */
    public Map<String, Object> claims() {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", issuer);
        claims.put("sub", subject);
        claims.put("aud", audience);
        claims.put("iat", issuedAt.getEpochSecond());
        claims.put("exp", expiresAt.getEpochSecond());
        claims.put("jti", jti);
        if (sid != null) {
            claims.put("sid", sid);
        }
        claims.put("scope", scope);
        if (!authorizationDetails.isEmpty()) {
            claims.put("authorization_details", authorizationDetails.stream().map(HttpAuthorizationDetail::toJson).toList());
        }
        claims.putAll(confidentialClaims);
        return Collections.unmodifiableMap(claims);
    }
}
