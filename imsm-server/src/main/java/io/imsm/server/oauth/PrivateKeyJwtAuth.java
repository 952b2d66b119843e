package io.imsm.server.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;

import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code private_key_jwt} (OIDC Core §9, RFC 7523 §2.2 and §3): a JWT the client signs with a key whose
 * public half it registered. iss and sub are the client, aud is this provider (its issuer or an endpoint
 * URL), it expires within {@link #MAX_LIFETIME}, and its {@code jti} is accepted once (replay protection).
 */
public final class PrivateKeyJwtAuth implements ClientAuthMethod {
    public static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static final Duration MAX_LIFETIME = Duration.ofMinutes(10);
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.RS256, JWSAlgorithm.PS256,
            JWSAlgorithm.EdDSA);

    private final ClientRegistry clients;
    private final Database db;
    private final OAuthTokenStore store;
    private final Supplier<String> issuer;
    private final Clock clock;

    public PrivateKeyJwtAuth(ClientRegistry clients, Database db, OAuthTokenStore store, Supplier<String> issuer, Clock clock) {
        this.clients = Objects.requireNonNull(clients);
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override public String name() { return "private_key_jwt"; }

    @Override
    public Optional<OAuthClient> authenticate(TokenRequest r) {
        String assertion = r.param("client_assertion");
        if (assertion == null) {
            return Optional.empty();
        }
        if (!ASSERTION_TYPE.equals(r.param("client_assertion_type"))) {
            throw OAuthError.invalidClient("client_assertion_type must be " + ASSERTION_TYPE + ".");
        }
        if (assertion.length() > 8192) {
            throw OAuthError.invalidClient("The client assertion is too long.");
        }
        try {
            SignedJWT jwt = SignedJWT.parse(assertion);
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            String id = claims.getIssuer();
            if (id == null || !id.equals(claims.getSubject()) || (r.param("client_id") != null && !r.param("client_id").equals(id))) {
                throw OAuthError.invalidClient("The assertion's iss and sub must both be the client_id.");
            }
            OAuthClient client = clients.find(id).orElseThrow(() -> OAuthError.invalidClient("Unknown client."));
            if (!"private_key_jwt".equals(client.tokenEndpointAuthMethod()) || client.jwks() == null) {
                throw OAuthError.invalidClient("This client authenticates with " + client.tokenEndpointAuthMethod() + ", not private_key_jwt.");
            }
            if (!ALGS.contains(jwt.getHeader().getAlgorithm()) || !verified(jwt, JWKSet.parse(client.jwks()))) {
                throw OAuthError.invalidClient("The assertion's signature does not verify with the client's registered keys.");
            }
            List<String> aud = claims.getAudience();
            String iss = issuer.get();
            if (aud == null || aud.stream().noneMatch(a -> a.equals(iss) || a.startsWith(iss + "/oauth2/"))) {
                throw OAuthError.invalidClient("The assertion's aud must be " + iss + " or its token endpoint.");
            }
            Instant now = clock.instant();
            Date exp = claims.getExpirationTime();
            if (exp == null || !now.isBefore(exp.toInstant()) || exp.toInstant().isAfter(now.plus(MAX_LIFETIME))) {
                throw OAuthError.invalidClient("The assertion must expire within " + MAX_LIFETIME.toMinutes() + " minutes and not have expired.");
            }
            String jti = claims.getJWTID();
            if (jti == null || jti.length() > 256) {
                throw OAuthError.invalidClient("The assertion needs a jti (at most 256 characters).");
            }
            boolean fresh = db.inTransaction(h -> store.rememberAssertion(h, Secrets.sha256Hex(id + "\n" + jti), exp.toInstant()));
            if (!fresh) {
                throw OAuthError.invalidClient("This client assertion was used before (jti replay).");
            }
            return Optional.of(client);
        } catch (ParseException e) {
            throw OAuthError.invalidClient("The client assertion is not a signed JWT.");
        }
    }

    private static boolean verified(SignedJWT jwt, JWKSet keys) {
        String kid = jwt.getHeader().getKeyID();
        for (JWK k : keys.getKeys()) {
            if ((kid != null && !kid.equals(k.getKeyID())) || !(k instanceof AsymmetricJWK a)) {
                continue;
            }
            try {
                Key pub = a.toPublicKey();
                JWSVerifier v = new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(), pub);
                if (jwt.verify(v)) {
                    return true;
                }
            } catch (JOSEException e) {
                // a key of another type than the header's algorithm: try the next
            }
        }
        return false;
    }
}
