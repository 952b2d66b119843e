package io.imsm.server.oauth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.imsm.server.app.MainTestAccess;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signing-key rotation as a relying party sees it through the JWKS: a key is published before it signs,
 * tokens of the old key verify until they expire, new tokens carry the new kid, and a retired key leaves
 * the JWKS only after the longest-lived token it signed has expired.
 */
class KeyRotationTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenKeysRotate_thenNoLiveTokenMeetsAnUnknownKid() throws Exception {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("oauth.key_publish_ahead_seconds", "3600",
                "oauth.key_rotation_days", "30", "oauth.access_token_ttl_seconds", "7200", "oauth.max_access_token_ttl_seconds", "7200"))) {
            OIDCProviderMetadata meta = OIDCProviderMetadata.resolve(new Issuer(s.baseUrl()));
            Http.Res reg = s.client().postJson("/api/v1/admin/clients", Map.of("client_id", "svc", "name", "svc",
                    "grant_types", List.of("client_credentials")), "Authorization", BEARER);
            ClientSecretBasic auth = new ClientSecretBasic(new ClientID("svc"), new Secret(reg.json().path("client_secret").asText()));

            JWKSet before = jwks(s);
            assertThat(before.getKeys()).hasSize(2);    // the active key and the next one, published ahead
            AccessToken old = token(meta, auth);
            String oldKid = SignedJWT.parse(old.getValue()).getHeader().getKeyID();
            assertThat(s.server.wiring().signingKeys().activeKey().getKeyID()).isEqualTo(oldKid);

            // the next key has not been published for an hour yet: a rotation now could surprise a JWKS cache
            Http.Res early = s.client().postJson("/api/v1/admin/keys/rotate", Map.of(), "Authorization", BEARER);
            assertThat(early.status()).as(early.toString()).isEqualTo(409);

            s.clock.advance(Duration.ofMinutes(61));
            String out = MainTestAccess.keysRotate(s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
            assertThat(out).contains("exit=0");
            AccessToken fresh = token(meta, auth);
            String newKid = SignedJWT.parse(fresh.getValue()).getHeader().getKeyID();
            assertThat(newKid).isNotEqualTo(oldKid);
            // a consumer that cached the JWKS before the rotation already knows the new kid
            assertThat(before.getKeyByKeyId(newKid)).isNotNull();
            assertThat(out).contains("active key: " + newKid);
            // and the old token still verifies against the current JWKS, and is active
            JWKSet after = jwks(s);
            assertThat(after.getKeyByKeyId(oldKid)).isNotNull();
            assertThat(after.getKeys()).hasSize(3);
            verify(after, old);
            verify(after, fresh);
            assertThat(active(meta, auth, old)).isTrue();

            // once the longest-lived token the old key may have signed has expired, the key leaves
            s.clock.advance(Duration.ofHours(9));
            s.server.wiring().signingKeys().rotateIfDue();
            assertThat(jwks(s).getKeyByKeyId(oldKid)).as("still needed for 10 hours").isNotNull();
            s.clock.advance(Duration.ofHours(1).plusMinutes(1));
            s.server.wiring().signingKeys().rotateIfDue();
            assertThat(jwks(s).getKeyByKeyId(oldKid)).isNull();
            assertThat(active(meta, auth, old)).isFalse();

            // the schedule: 30 days after the last rotation the next key takes over by itself
            s.clock.advance(Duration.ofDays(30));
            assertThat(s.server.wiring().signingKeys().rotateIfDue()).isPresent();
            assertThat(SignedJWT.parse(token(meta, auth).getValue()).getHeader().getKeyID()).isNotEqualTo(newKid);
        }
    }

    private static JWKSet jwks(TestServer s) throws Exception {
        return JWKSet.load(URI.create(s.baseUrl() + "/.well-known/jwks.json").toURL());
    }

    private static AccessToken token(OIDCProviderMetadata meta, ClientSecretBasic auth) throws Exception {
        TokenResponse r = TokenResponse.parse(new TokenRequest(meta.getTokenEndpointURI(), auth, new ClientCredentialsGrant()).toHTTPRequest().send());
        assertThat(r.indicatesSuccess()).isTrue();
        return r.toSuccessResponse().getTokens().getAccessToken();
    }

    private static void verify(JWKSet jwks, AccessToken at) throws Exception {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier((type, ctx) -> { });
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(jwks)));
        p.setJWTClaimsSetVerifier((claims, ctx) -> { });    // the signature is the point here; times run on the test clock
        p.process(at.getValue(), null);
    }

    private static boolean active(OIDCProviderMetadata meta, ClientSecretBasic auth, AccessToken at) throws Exception {
        return TokenIntrospectionResponse.parse(new TokenIntrospectionRequest(meta.getIntrospectionEndpointURI(), auth, at).toHTTPRequest().send())
                .toSuccessResponse().isActive();
    }
}
