package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static io.imsm.protocol.Fixture.ISSUER;
import static io.imsm.protocol.Fixture.SERVICE;
import static io.imsm.protocol.Fixture.kxFailure;
import static io.imsm.protocol.Fixture.resign;
import static io.imsm.protocol.Fixture.resignClaims;
import static io.imsm.protocol.ProtocolException.Reason.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Attacks on KX1 offers, answers and revocations. */
@SuppressWarnings("unchecked")
class KxVerifierTest {
    private final Fixture f = new Fixture();

    @Test
    void whenSignatureIsForged_thenBadSignature() {
        String offer = f.signedOffer();
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(Fixture.flipSignature(offer)))).isEqualTo(BAD_SIGNATURE);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(Fixture.swapPayload(offer, c -> c.put("sub", "mallory")))))
                .isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void whenSignedByAnotherKeyWithTheImsKid_thenBadSignature() {
        ECKey attacker = Fixture.generate(f.imsKey.getKeyID());
        String offer = new KxSigner(attacker, f.random).sign(f.offer(EphemeralKeys.generate(f.random)));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void whenSignedByAKeyNotInTheJwks_thenUnknownKey() {
        String offer = new KxSigner(Fixture.generate("other"), f.random).sign(f.offer(EphemeralKeys.generate(f.random)));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).isEqualTo(UNKNOWN_KEY);
        String noKid = resign(f.signedOffer(), f.imsKey, h -> h.remove("kid"), c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(noKid))).isEqualTo(UNKNOWN_KEY);
    }

    @Test
    void whenAlgIsNone_thenWrongAlgorithm() {
        String none = resign(f.signedOffer(), null, h -> { h.put("alg", "none"); h.remove("kid"); }, c -> {});
        assertThat(none).endsWith(".");
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(none))).isEqualTo(WRONG_ALGORITHM);
    }

    @Test
    void whenOfferIsHs256SignedWithThePublicKeyBytes_thenWrongAlgorithm() throws Exception {
        // The classic alg confusion: an HS256 "signature" keyed with the verifier's public key.
        byte[] publicKeyBytes = f.imsKey.toECPublicKey().getEncoded();
        String hs = resign(f.signedOffer(), publicKeyBytes, h -> h.put("alg", "HS256"), c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(hs))).isEqualTo(WRONG_ALGORITHM);
        String jwkBytes = resign(f.signedOffer(), f.imsKey.toPublicJWK().toJSONString().getBytes(), h -> h.put("alg", "HS256"), c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(jwkBytes))).isEqualTo(WRONG_ALGORITHM);
    }

    @Test
    void whenOtherAsymmetricAlg_thenWrongAlgorithm() {
        String offer = f.signedOffer();
        for (String alg : new String[] {"ES384", "RS256", "PS256", "EdDSA", "HS512", "es256"}) {
            String header = Fixture.b64("{\"alg\":\"" + alg + "\",\"kid\":\"ims-2026\",\"typ\":\"imsm-kx+jwt\"}");
            String swapped = header + offer.substring(offer.indexOf('.'));
            assertThat(kxFailure(() -> f.serviceSide().verifyOffer(swapped))).as(alg).isEqualTo(WRONG_ALGORITHM);
        }
    }

    @Test
    void whenTypIsWrongOrMissing_thenWrongType() {
        String jwt = resign(f.signedOffer(), f.imsKey, h -> h.put("typ", "JWT"), c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(jwt))).isEqualTo(WRONG_TYPE);
        String missing = resign(f.signedOffer(), f.imsKey, h -> h.remove("typ"), c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(missing))).isEqualTo(WRONG_TYPE);
        String withPrefix = resign(f.signedOffer(), f.imsKey, h -> h.put("typ", "application/IMSM-KX+JWT"), c -> {});
        assertThat(f.serviceSide().verifyOffer(withPrefix).audience()).isEqualTo(SERVICE);
    }

    @Test
    void whenSignedByKxSigner_thenAJoseLibraryVerifiesItAndReadsTheSameMessage() throws Exception {
        // KxSigner writes the JWS itself (no Nimbus claims set on the hot path): a third-party JOSE
        // library must still accept it as an ES256 JWT with the KX1 header and every claim.
        ECKey epk = EphemeralKeys.generate(f.random);
        Offer offer = f.offer(epk);
        String jws = new KxSigner(f.imsKey, f.random).sign(offer);
        com.nimbusds.jwt.SignedJWT parsed = com.nimbusds.jwt.SignedJWT.parse(jws);
        assertThat(parsed.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(f.imsKey.toECPublicKey()))).isTrue();
        assertThat(parsed.getHeader().toJSONObject())
                .containsExactlyInAnyOrderEntriesOf(Map.of("alg", "ES256", "kid", f.imsKey.getKeyID(), "typ", Kx1.MESSAGE_TYPE));
        com.nimbusds.jwt.JWTClaimsSet c = parsed.getJWTClaimsSet();
        assertThat(c.getIssuer()).isEqualTo(ISSUER);
        assertThat(c.getAudience()).containsExactly(SERVICE);
        assertThat(c.getIssueTime().toInstant()).isEqualTo(offer.issuedAt());
        assertThat(c.getExpirationTime().toInstant()).isEqualTo(offer.expiresAt());
        assertThat(c.getDateClaim("session_exp").toInstant()).isEqualTo(offer.sessionExpiresAt());
        assertThat(c.getClaims()).containsEntry("jti", offer.jti()).containsEntry("sid", offer.sid()).containsEntry("sub", "alice")
                .containsEntry("scope", "search:read").containsEntry("epk", epk.toPublicJWK().toJSONObject());
        assertThat(f.serviceSide().verifyOffer(jws)).isEqualTo(offer);
    }

    @Test
    void whenAClaimAppearsTwice_thenMalformedEvenIfSigned() {
        // Two parsers could read two different values from one message: refused before any claim is used.
        String offer = f.signedOffer();
        String payload = new String(java.util.Base64.getUrlDecoder().decode(offer.split("\\.")[1]), java.nio.charset.StandardCharsets.UTF_8);
        String twice = payload.substring(0, payload.length() - 1) + ",\"sub\":\"mallory\"}";
        String header = offer.substring(0, offer.indexOf('.'));
        String signingInput = header + "." + Fixture.b64(twice);
        String signed = signingInput + "." + java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(P256.sign(P256.privateScalar(f.imsKey), signingInput.getBytes(java.nio.charset.StandardCharsets.US_ASCII), f.random));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(signed))).isEqualTo(MALFORMED);
    }

    @Test
    void whenAJwksBindingTokenIsPresentedAsOffer_thenWrongType() {
        SessionToken token = new SessionToken(ISSUER, "alice", SERVICE, f.clock.instant(), f.clock.instant().plusSeconds(30),
                Kx1.newId(f.random), Kx1.newId(f.random), "search:read");
        String es256Token = SessionTokens.mintEs256(token, f.imsKey, f.random);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(es256Token))).isEqualTo(WRONG_TYPE);
    }

    @Test
    void whenAudienceOrIssuerIsWrong_thenRefused() {
        KxSigner ims = new KxSigner(f.imsKey, f.random);
        ECKey epk = EphemeralKeys.generate(f.random);
        String otherService = ims.sign(Offer.create(ISSUER, "other-service", "alice", "s", f.clock.instant().plusSeconds(600), epk, f.clock, f.random));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(otherService))).isEqualTo(WRONG_AUDIENCE);
        String otherIssuer = ims.sign(Offer.create("https://evil.example", SERVICE, "alice", "s", f.clock.instant().plusSeconds(600), epk, f.clock, f.random));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(otherIssuer))).isEqualTo(WRONG_ISSUER);
    }

    @Test
    void whenOfferExpired_thenExpiredButWithinSkewAccepted() {
        String late = f.signedOffer();
        String withinSkew = f.signedOffer();
        f.clock.advance(Duration.ofSeconds(60 + 59));
        assertThat(f.serviceSide().verifyOffer(withinSkew).sid()).isNotBlank();
        f.clock.advance(Duration.ofSeconds(2));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(late))).isEqualTo(EXPIRED);
    }

    @Test
    void whenOfferIssuedInTheFuture_thenNotYetValid() {
        String offer = f.signedOffer();
        f.clock.advance(Duration.ofSeconds(-61));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).isEqualTo(NOT_YET_VALID);
    }

    @Test
    void whenOfferLivesLongerThan60Seconds_thenLifetimeTooLong() {
        String offer = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("exp", ((Number) c.get("iat")).longValue() + 61));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).isEqualTo(LIFETIME_TOO_LONG);
        String exactly60 = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("exp", ((Number) c.get("iat")).longValue() + 60));
        assertThat(f.serviceSide().verifyOffer(exactly60).jti()).isNotBlank();
    }

    @Test
    void whenOfferIsReplayed_thenReplayed() {
        String offer = f.signedOffer();
        f.serviceSide().verifyOffer(offer);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).isEqualTo(REPLAYED);
    }

    @Test
    void whenAForgedCopyIsRefused_thenTheGenuineOfferIsStillAccepted() {
        String offer = f.signedOffer();
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(Fixture.flipSignature(offer)))).isEqualTo(BAD_SIGNATURE);
        assertThat(f.serviceSide().verifyOffer(offer).subject()).isEqualTo("alice");
    }

    @Test
    void whenOfferEpkIsOffCurveOrOtherCurveOrPrivate_thenBadPoint() throws Exception {
        String offCurve = resignClaims(f.signedOffer(), f.imsKey, c -> ((Map<String, Object>) c.get("epk")).put("y",
                ((Map<?, ?>) c.get("epk")).get("x")));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offCurve))).isEqualTo(BAD_POINT);
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        String otherCurve = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("epk", p384.toPublicJWK().toJSONObject()));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(otherCurve))).isEqualTo(BAD_POINT);
        ECKey priv = EphemeralKeys.generate(f.random);
        String withD = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("epk", priv.toJSONObject()));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(withD))).isEqualTo(BAD_POINT);
        String notAnObject = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("epk", "AAAA"));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(notAnObject))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenAClaimIsMissingOrMistyped_thenMalformed() {
        for (String claim : new String[] {"jti", "sid", "sub", "scope", "session_exp", "epk", "exp", "iat"}) {
            String offer = resignClaims(f.signedOffer(), f.imsKey, c -> c.remove(claim));
            assertThat(kxFailure(() -> f.serviceSide().verifyOffer(offer))).as(claim).isEqualTo(MALFORMED);
        }
        String badSid = resignClaims(f.signedOffer(), f.imsKey, c -> c.put("sid", "../../admin"));
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(badSid))).isEqualTo(MALFORMED);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer("not a jws"))).isEqualTo(MALFORMED);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer("a.b.c.d.e"))).isEqualTo(MALFORMED);
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(null))).isEqualTo(MALFORMED);
        String crit = resign(f.signedOffer(), f.imsKey, h -> { h.put("crit", java.util.List.of("x")); h.put("x", 1); }, c -> {});
        assertThat(kxFailure(() -> f.serviceSide().verifyOffer(crit))).isEqualTo(MALFORMED);
    }

    @Test
    void whenAnswerHasWrongNonceOrSid_thenMismatch() {
        Offer offer = f.offer(EphemeralKeys.generate(f.random));
        KxSigner service = new KxSigner(f.serviceKey, f.random);
        ECKey serviceEphemeral = EphemeralKeys.generate(f.random);
        Instant now = f.clock.instant();
        String wrongNonce = service.sign(new Answer(SERVICE, ISSUER, now, now.plusSeconds(60), offer.sid(), Kx1.newId(f.random), serviceEphemeral));
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(wrongNonce, offer))).isEqualTo(NONCE_MISMATCH);
        String wrongSid = service.sign(new Answer(SERVICE, ISSUER, now, now.plusSeconds(60), Kx1.newId(f.random), offer.jti(), serviceEphemeral));
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(wrongSid, offer))).isEqualTo(SID_MISMATCH);
        String good = service.sign(Answer.to(offer, serviceEphemeral, f.clock));
        assertThat(f.imsSide().verifyAnswer(good, offer).epk()).isEqualTo(serviceEphemeral.toPublicJWK());
    }

    @Test
    void whenAnswerIsSignedByAnotherServiceOrIsAnOffer_thenRefused() {
        Offer offer = f.offer(EphemeralKeys.generate(f.random));
        Answer answer = Answer.to(offer, EphemeralKeys.generate(f.random), f.clock);
        String byOther = new KxSigner(Fixture.generate("svc-1"), f.random).sign(answer);
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(byOther, offer))).isEqualTo(BAD_SIGNATURE);
        String otherKid = new KxSigner(Fixture.generate("svc-2"), f.random).sign(answer);
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(otherKid, offer))).isEqualTo(UNKNOWN_KEY);
        // an offer reflected back as the answer: not signed by the registered service key
        String reflected = new KxSigner(f.imsKey, f.random).sign(offer);
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(reflected, offer))).isEqualTo(UNKNOWN_KEY);
    }

    @Test
    void whenAnswerEpkIsOffCurve_thenBadPoint() {
        Offer offer = f.offer(EphemeralKeys.generate(f.random));
        String answer = new KxSigner(f.serviceKey, f.random).sign(Answer.to(offer, EphemeralKeys.generate(f.random), f.clock));
        BigInteger y = new BigInteger(1, ((ECKey) EphemeralKeys.generate(f.random)).getY().decode());
        String tampered = resignClaims(answer, f.serviceKey, c -> ((Map<String, Object>) c.get("epk")).put("y",
                com.nimbusds.jose.util.Base64URL.encode(com.nimbusds.jose.util.BigIntegerUtils.toBytesUnsigned(y.add(BigInteger.ONE))).toString()));
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(tampered, offer))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenAnswerExpired_thenExpired() {
        Offer offer = f.offer(EphemeralKeys.generate(f.random));
        String answer = new KxSigner(f.serviceKey, f.random).sign(Answer.to(offer, EphemeralKeys.generate(f.random), f.clock));
        f.clock.advance(Duration.ofSeconds(121));
        assertThat(kxFailure(() -> f.imsSide().verifyAnswer(answer, offer))).isEqualTo(EXPIRED);
    }

    @Test
    void whenRevocationIsReplayedOrNotRevoked_thenRefused() {
        KxSigner ims = new KxSigner(f.imsKey, f.random);
        String revocation = ims.sign(Revocation.create(ISSUER, SERVICE, Kx1.newId(f.random), f.clock, f.random));
        assertThat(f.serviceSide().verifyRevocation(revocation).sid()).isNotBlank();
        assertThat(kxFailure(() -> f.serviceSide().verifyRevocation(revocation))).isEqualTo(REPLAYED);
        String notRevoked = resignClaims(ims.sign(Revocation.create(ISSUER, SERVICE, Kx1.newId(f.random), f.clock, f.random)),
                f.imsKey, c -> c.put("revoked", false));
        assertThat(kxFailure(() -> f.serviceSide().verifyRevocation(notRevoked))).isEqualTo(MALFORMED);
        String offerAsRevocation = f.signedOffer();
        assertThat(kxFailure(() -> f.serviceSide().verifyRevocation(offerAsRevocation))).isEqualTo(MALFORMED);
        String tooLong = resignClaims(ims.sign(Revocation.create(ISSUER, SERVICE, Kx1.newId(f.random), f.clock, f.random)),
                f.imsKey, c -> c.put("exp", ((Number) c.get("iat")).longValue() + 3600));
        assertThat(kxFailure(() -> f.serviceSide().verifyRevocation(tooLong))).isEqualTo(LIFETIME_TOO_LONG);
    }

    @Test
    void whenVerifierIsConfiguredWithTooMuchSkew_thenRefusedAtConstruction() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new KxVerifier(ISSUER, SERVICE, f.imsJwks, f.clock,
                Duration.ofMinutes(5), f.serviceReplayGuard)).isInstanceOf(IllegalArgumentException.class);
    }
}
