package io.imsm.sdk;

import io.imsm.testing.MutableClock;
import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.Kx1;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The endpoint as a plain function, with an in-process {@link MockIms}. */
class KeyExchangeEndpointTest {
    private static final String SERVICE = "transaction-search";
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final ECKey serviceKey = TestService.generate("svc-1");
    private final MockIms ims = MockIms.create(SERVICE, serviceKey.toPublicJWK(), clock);
    private final SessionKeyStore sessions = new SessionKeyStore(clock);
    private final KeyExchangeEndpoint endpoint = KeyExchangeEndpoint.builder(ims.issuer(), SERVICE, serviceKey, ims.jwksSource(), sessions)
            .clock(clock).build();
    private final TokenVerifier verifier = new TokenVerifier(ims.issuer(), SERVICE, sessions, ims.jwksSource(), clock);

    @Test
    void whenExchangedInProcess_thenTokenVerifies_andRevocationWorks() {
        MockIms.Session s = ims.exchange(endpoint, "alice", "search:read");

        VerifiedToken t = verifier.verify(ims.token(s).mint());
        assertThat(t.subject()).isEqualTo("alice");
        assertThat(t.sid()).isEqualTo(s.sid());
        assertThat(t.scopes()).containsExactly("search:read");
        assertThat(t.binding()).isEqualTo(VerifiedToken.Binding.SESSION);

        ims.revoke(endpoint, s.sid());
        AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class, () -> verifier.verify(ims.token(s).mint()));
        assertThat(e.failure()).isEqualTo(AccessDeniedException.Failure.REVOKED);
    }

    @Test
    void whenOfferExpired_thenRefused() {
        MockIms.Offering offering = ims.offer("alice", "search:read");
        clock.advance(Duration.ofSeconds(60 + 61));

        MockIms.ExchangeFailedException e = catchThrowableOfType(MockIms.ExchangeFailedException.class,
                () -> ims.exchange(endpoint, offering));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error()).isEqualTo("expired");
    }

    @Test
    void whenRevocationReplayed_thenRefusedAsReplayed() {
        MockIms.Session s = ims.exchange(endpoint, "alice", "search:read");
        String revocation = ims.revocation(s.sid());
        Map<String, String> auth = Map.of("authorization", "bearer " + revocation);

        assertThat(endpoint.handle("DELETE", "/" + s.sid(), auth, null).status()).isEqualTo(204);
        KeyExchangeEndpoint.Response again = endpoint.handle("DELETE", "/" + s.sid(), auth, null);

        assertThat(again.status()).isEqualTo(409);
        assertThat(again.bodyText()).contains("replayed");
    }

    @Test
    void whenPathIsNotTheEndpointOrASid_thenNotFound() {
        assertThat(endpoint.handle("DELETE", "/a/b", Map.of(), null).status()).isEqualTo(404);
        assertThat(endpoint.handle("DELETE", "/not%20an%20id", Map.of(), null).status()).isEqualTo(404);
        assertThat(endpoint.handle("POST", "/" + Kx1.newId(new SecureRandom()), Map.of(), null).status()).isEqualTo(405);
    }

    @Test
    void whenAnswerReturned_thenItIsSignedByTheServiceKeyAndNothingSecretIsInIt() {
        MockIms.Offering offering = ims.offer("alice", "search:read");

        KeyExchangeEndpoint.Response r = endpoint.handle("POST", "/", Map.of("content-type", "Application/JWT"),
                offering.jws().getBytes(StandardCharsets.US_ASCII));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).containsEntry("Content-Type", "application/jwt").containsEntry("Cache-Control", "no-store");
        assertThat(r.bodyText()).doesNotContain("\"d\"");
        MockIms.Session s = ims.complete(offering, r.bodyText()); // verifies with the registered public key
        assertThat(sessions.find(s.sid())).hasValueSatisfying(stored -> assertThat(stored.keys()).isEqualTo(s.keys()));
    }

    @Test
    void whenServiceKeyIsNotAPrivateP256KeyWithKid_thenBuildRefused() {
        assertThatThrownBy(() -> KeyExchangeEndpoint.builder(ims.issuer(), SERVICE, serviceKey.toPublicJWK(), ims.jwksSource(), sessions).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyExchangeEndpoint.builder(ims.issuer(), SERVICE, serviceKey, ims.jwksSource(), sessions)
                .maxSkew(Duration.ofMinutes(5)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
