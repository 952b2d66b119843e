package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.imsm.protocol.Fixture.ISSUER;
import static io.imsm.protocol.Fixture.SERVICE;
import static org.assertj.core.api.Assertions.assertThat;

/** The whole of KX1 between an IMS and a service, both sides run by this library. */
class KeyExchangeRoundTripTest {
    private final Fixture f = new Fixture();

    @Test
    void whenImsAndServiceRunKx1_thenBothDeriveTheSameKeysAndTheTokenVerifies() {
        // IMS: ephemeral key and offer (section 1)
        ECKey imsEphemeral = EphemeralKeys.generate(f.random);
        Offer sent = f.offer(imsEphemeral);
        String offerJws = new KxSigner(f.imsKey, f.random).sign(sent);

        // S: verify the offer, answer, derive (sections 1-3)
        Offer received = f.serviceSide().verifyOffer(offerJws);
        assertThat(received).isEqualTo(sent);
        assertThat(received.epk().isPrivate()).isFalse();
        ECKey serviceEphemeral = EphemeralKeys.generate(f.random);
        String answerJws = new KxSigner(f.serviceKey, f.random).sign(Answer.to(received, serviceEphemeral, f.clock));
        SessionKeys serviceKeys = KeyDerivation.deriveForService(serviceEphemeral, received.epk(), received.sid());

        // IMS: verify the answer, derive
        Answer answer = f.imsSide().verifyAnswer(answerJws, sent);
        assertThat(answer.sid()).isEqualTo(sent.sid());
        assertThat(answer.nonce()).isEqualTo(sent.jti());
        SessionKeys imsKeys = KeyDerivation.deriveForIms(imsEphemeral, answer.epk(), sent.sid());
        assertThat(imsKeys).isEqualTo(serviceKeys);
        assertThat(imsKeys.macKey()).isNotEqualTo(imsKeys.encKey());

        // IMS mints a limited, partly encrypted token (section 4); S verifies it with its own keys
        SessionToken token = new SessionToken(ISSUER, sent.subject(), SERVICE, f.clock.instant(),
                f.clock.instant().plus(Duration.ofMinutes(5)), Kx1.newId(f.random), sent.sid(), sent.scope(),
                List.of(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345"))),
                Map.of("email", "alice@example.com"));
        String compact = SessionTokens.mintHs256(token, sent.sessionExpiresAt(), imsKeys, f.random);
        assertThat(Fixture.json(compact.split("\\.")[1])).doesNotContainKey("email").containsKey("enc");
        assertThat(new com.nimbusds.jose.util.Base64URL(compact.split("\\.")[1]).decodeToString()).doesNotContain("alice@example.com");

        SessionToken verified = f.tokenVerifier().verify(compact,
                kid -> kid.equals(received.sid()) ? Optional.of(serviceKeys) : Optional.empty());
        assertThat(verified).isEqualTo(token);
        assertThat(verified.claims()).containsEntry("email", "alice@example.com").containsEntry("sub", "alice");
        assertThat(verified.check(RequestTarget.parse("GET", "/search?account=12345")).allowed()).isTrue();

        // IMS revokes (section 5); S verifies the revocation
        Revocation revocation = Revocation.create(ISSUER, SERVICE, sent.sid(), f.clock, f.random);
        assertThat(f.serviceSide().verifyRevocation(new KxSigner(f.imsKey, f.random).sign(revocation))).isEqualTo(revocation);
    }

    @Test
    void whenTokenIsForTheJwksBinding_thenItVerifiesAgainstTheImsKeySet() {
        SessionToken token = new SessionToken(ISSUER, "svc-batch", SERVICE, f.clock.instant(),
                f.clock.instant().plus(Duration.ofMinutes(5)), Kx1.newId(f.random), null, "search:read");
        String compact = SessionTokens.mintEs256(token, f.imsKey, f.random);
        assertThat(f.tokenVerifier().verifyEs256(compact, f.imsJwks)).isEqualTo(token);
    }

    @Test
    void whenSessionKeysPrinted_thenTheBytesAreHidden() {
        SessionKeys keys = new SessionKeys(new byte[32], new byte[32]);
        assertThat(keys.toString()).doesNotContain("0, 0").contains("hidden");
    }
}
