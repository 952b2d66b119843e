package io.imsm.protocol;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.imsm.protocol.Fixture.ISSUER;
import static io.imsm.protocol.Fixture.SERVICE;
import static io.imsm.protocol.Fixture.resign;
import static io.imsm.protocol.Fixture.resignClaims;
import static io.imsm.protocol.Fixture.tokenFailure;
import static io.imsm.protocol.ProtocolException.Reason.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Session tokens (KX1 section 4): minting, verification and attacks on them. */
class SessionTokenTest {
    private final Fixture f = new Fixture();
    private final String sid = Kx1.newId(f.random);
    private final SessionKeys keys = randomKeys();
    private final Instant sessionExp = f.clock.instant().plus(Duration.ofHours(1));

    private SessionKeys randomKeys() {
        byte[] mac = new byte[32];
        byte[] enc = new byte[32];
        f.random.nextBytes(mac);
        f.random.nextBytes(enc);
        return new SessionKeys(mac, enc);
    }

    private SessionToken token(Map<String, Object> confidential) {
        return new SessionToken(ISSUER, "alice", SERVICE, f.clock.instant(), f.clock.instant().plus(Duration.ofMinutes(5)),
                Kx1.newId(f.random), sid, "search:read search:export",
                List.of(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345"))), confidential);
    }

    private String mint(Map<String, Object> confidential) {
        return SessionTokens.mintHs256(token(confidential), sessionExp, keys, f.random);
    }

    private SessionToken verify(String token) {
        return f.tokenVerifier().verify(token, kid -> kid.equals(sid) ? Optional.of(keys) : Optional.empty());
    }

    @Test
    void whenMintedAndVerified_thenClaimsAndHeaderAreAsTheContractSays() {
        String compact = mint(Map.of("email", "alice@example.com", "limit", 100));
        assertThat(Fixture.json(compact.split("\\.")[0])).containsOnly(
                Map.entry("alg", "HS256"), Map.entry("typ", "JWT"), Map.entry("kid", sid));
        Map<String, Object> claims = Fixture.json(compact.split("\\.")[1]);
        assertThat(claims).containsKeys("iss", "sub", "aud", "iat", "exp", "jti", "sid", "scope", "authorization_details", "enc")
                .doesNotContainKeys("email", "limit");
        String enc = (String) claims.get("enc");
        assertThat(Fixture.json(enc.split("\\.")[0])).containsOnly(
                Map.entry("alg", "dir"), Map.entry("enc", "A256GCM"), Map.entry("kid", sid));

        SessionToken verified = verify(compact);
        assertThat(verified.confidentialClaims()).containsEntry("email", "alice@example.com").containsEntry("limit", 100L);
        assertThat(verified.scopes()).containsExactly("search:read", "search:export");
        assertThat(verified.authorizationDetails()).containsExactly(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")));
    }

    /** The JSON a token is written with, on strings JSON must escape and some it must leave alone. */
    private static final List<String> AWKWARD = List.of("plain", "quote \" and backslash \\", "tab\tnew line\ncr\rff\fbs\b",
            "nul \u0000 unit \u001f del \u007f", "<html> & 'x'=\"y\"", "line sep \u2028 para sep \u2029", "gr\u00fc\u00dfe \u20ac",
            "emoji \ud83d\ude00", "slash / and ?#");

    @Test
    void whenTokensAreMintedWithoutNimbus_thenTheirBytesAreThoseNimbusWrote() throws Exception {
        // docs/protocol.md's vectors fix a token's bytes (ProtocolVectorsTest); this holds them on awkward
        // claim values too, against the library that used to mint them.
        for (String text : AWKWARD) {
            Map<String, String> query = new java.util.LinkedHashMap<>();
            query.put("q", text);
            query.put(text, "v");
            SessionToken t = new SessionToken(ISSUER + "/" + text, "alice " + text, SERVICE, f.clock.instant(),
                    f.clock.instant().plus(Duration.ofMinutes(5)), Kx1.newId(f.random), sid, "search:read " + text,
                    List.of(new HttpAuthorizationDetail("GET", "/search", query)),
                    new java.util.LinkedHashMap<>(Map.of("justification", text)));
            String ticket = sealedTicket();
            String ours = SessionTokens.mintHs256(t, sessionExp, keys, ticket, f.random);
            String enc = (String) Fixture.json(ours.split("\\.")[1]).get("enc");

            com.nimbusds.jwt.JWTClaimsSet claims = new com.nimbusds.jwt.JWTClaimsSet.Builder()
                    .issuer(t.issuer()).subject(t.subject()).audience(t.audience())
                    .issueTime(java.util.Date.from(t.issuedAt())).expirationTime(java.util.Date.from(t.expiresAt()))
                    .jwtID(t.jti()).claim("sid", t.sid()).claim("scope", t.scope())
                    .claim("authorization_details", t.authorizationDetails().stream().map(HttpAuthorizationDetail::toJson).toList())
                    .claim("enc", enc).claim("tkt", ticket).build();
            com.nimbusds.jwt.SignedJWT nimbus = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
                    com.nimbusds.jose.JWSAlgorithm.HS256).type(com.nimbusds.jose.JOSEObjectType.JWT).keyID(sid).build(), claims);
            nimbus.sign(new com.nimbusds.jose.crypto.MACSigner(keys.macKey()));
            assertThat(ours).as(text).isEqualTo(nimbus.serialize());

            JWEObject jwe = JWEObject.parse(enc);
            jwe.decrypt(new com.nimbusds.jose.crypto.DirectDecrypter(keys.encKey()));
            assertThat(jwe.getPayload().toString()).as(text)
                    .isEqualTo(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(t.confidentialClaims()));
        }
    }

    private String sealedTicket() {
        return SessionTicket.seal(new SessionTicket.Contents(sid, keys, sessionExp, "alice", "search:read"),
                SessionTicket.key(f.serviceKey), f.random);
    }

    @Test
    void whenConfidentialClaimsAreSealed_thenAJoseLibraryOpensThemAndEveryTokenHasItsOwnIv() throws Exception {
        // The enc JWE is written on the JDK's AES-GCM directly: a third-party library must open it.
        Map<String, Object> confidential = Map.of("email", "alice@example.com", "limit", 100);
        String first = (String) Fixture.json(mint(confidential).split("\\.")[1]).get("enc");
        String second = (String) Fixture.json(mint(confidential).split("\\.")[1]).get("enc");
        com.nimbusds.jose.JWEObject jwe = com.nimbusds.jose.JWEObject.parse(first);
        jwe.decrypt(new com.nimbusds.jose.crypto.DirectDecrypter(keys.encKey()));
        assertThat(jwe.getPayload().toJSONObject()).containsEntry("email", "alice@example.com").containsEntry("limit", 100L);
        assertThat(first.split("\\.")[1]).isEmpty(); // dir: no encrypted key
        assertThat(first.split("\\.")[2]).isNotEqualTo(second.split("\\.")[2]);
        com.nimbusds.jose.JWEObject tampered = com.nimbusds.jose.JWEObject.parse(first.substring(0, first.length() - 2)
                + (first.endsWith("A") ? "Bg" : "Ag"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tampered.decrypt(new com.nimbusds.jose.crypto.DirectDecrypter(keys.encKey())))
                .isInstanceOf(com.nimbusds.jose.JOSEException.class);
    }

    @Test
    void whenTokenIsTampered_thenBadSignature() {
        String compact = mint(Map.of());
        assertThat(tokenFailure(() -> verify(Fixture.swapPayload(compact, c -> c.remove("authorization_details")))))
                .isEqualTo(BAD_SIGNATURE);
        assertThat(tokenFailure(() -> verify(Fixture.swapPayload(compact, c -> c.put("scope", "admin"))))).isEqualTo(BAD_SIGNATURE);
        assertThat(tokenFailure(() -> verify(Fixture.flipSignature(compact)))).isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void whenMacedWithAnotherSessionsKey_thenBadSignature() {
        String compact = SessionTokens.mintHs256(token(Map.of()), sessionExp, randomKeys(), f.random);
        assertThat(tokenFailure(() -> verify(compact))).isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void whenKidNamesNoLiveSession_thenUnknownKey() {
        String other = resign(mint(Map.of()), keys.macKey(), h -> h.put("kid", "someOtherSession"), c -> c.put("sid", "someOtherSession"));
        assertThat(tokenFailure(() -> verify(other))).isEqualTo(UNKNOWN_KEY);
        String noKid = resign(mint(Map.of()), keys.macKey(), h -> h.remove("kid"), c -> {});
        assertThat(tokenFailure(() -> verify(noKid))).isEqualTo(UNKNOWN_KEY);
    }

    @Test
    void whenSidClaimIsNotTheKid_thenSidMismatch() {
        String swapped = resignClaims(mint(Map.of()), keys.macKey(), c -> c.put("sid", Kx1.newId(f.random)));
        assertThat(tokenFailure(() -> verify(swapped))).isEqualTo(SID_MISMATCH);
        String missing = resignClaims(mint(Map.of()), keys.macKey(), c -> c.remove("sid"));
        assertThat(tokenFailure(() -> verify(missing))).isEqualTo(SID_MISMATCH);
    }

    @Test
    void whenUsedAfterExp_thenExpiredButWithinSkewAccepted() {
        String compact = mint(Map.of());
        f.clock.advance(Duration.ofMinutes(5).plusSeconds(60));
        assertThat(verify(compact).subject()).isEqualTo("alice");
        f.clock.advance(Duration.ofSeconds(1));
        assertThat(tokenFailure(() -> verify(compact))).isEqualTo(EXPIRED);
    }

    @Test
    void whenNotYetValid_thenNotYetValid() {
        String future = resignClaims(mint(Map.of()), keys.macKey(), c -> c.put("nbf", f.clock.instant().getEpochSecond() + 120));
        assertThat(tokenFailure(() -> verify(future))).isEqualTo(NOT_YET_VALID);
        String issuedLater = mint(Map.of());
        f.clock.advance(Duration.ofSeconds(-61));
        assertThat(tokenFailure(() -> verify(issuedLater))).isEqualTo(NOT_YET_VALID);
    }

    @Test
    void whenAudienceOrIssuerIsWrong_thenRefused() {
        String compact = mint(Map.of());
        assertThat(tokenFailure(() -> new SessionTokenVerifier(ISSUER, "other-service", f.clock, Fixture.SKEW)
                .verify(compact, kid -> Optional.of(keys)))).isEqualTo(WRONG_AUDIENCE);
        assertThat(tokenFailure(() -> new SessionTokenVerifier("https://other-ims.example", SERVICE, f.clock, Fixture.SKEW)
                .verify(compact, kid -> Optional.of(keys)))).isEqualTo(WRONG_ISSUER);
        String audArray = resignClaims(compact, keys.macKey(), c -> c.put("aud", List.of("x", SERVICE)));
        assertThat(verify(audArray).audience()).isEqualTo(SERVICE);
    }

    @Test
    void whenAlgIsNotHs256_thenWrongAlgorithm() {
        String compact = mint(Map.of());
        String none = resign(compact, null, h -> h.put("alg", "none"), c -> {});
        assertThat(tokenFailure(() -> verify(none))).isEqualTo(WRONG_ALGORITHM);
        String hs512 = resign(compact, new byte[64], h -> h.put("alg", "HS512"), c -> {});
        assertThat(tokenFailure(() -> verify(hs512))).isEqualTo(WRONG_ALGORITHM);
        String es256 = SessionTokens.mintEs256(token(Map.of()), f.imsKey, f.random);
        assertThat(tokenFailure(() -> verify(es256))).isEqualTo(WRONG_ALGORITHM);
    }

    @Test
    void whenTypIsAKxMessageType_thenWrongType() {
        String kxTyp = resign(mint(Map.of()), keys.macKey(), h -> h.put("typ", Kx1.MESSAGE_TYPE), c -> {});
        assertThat(tokenFailure(() -> verify(kxTyp))).isEqualTo(WRONG_TYPE);
    }

    @Test
    void whenEncIsTampered_thenBadEnc() {
        String compact = mint(Map.of("email", "alice@example.com"));
        String enc = (String) Fixture.json(compact.split("\\.")[1]).get("enc");
        String[] p = enc.split("\\.");
        // flip a character in the ciphertext; the outer MAC is recomputed as if the attacker knew mac_key
        String badCipher = p[0] + "." + p[1] + "." + p[2] + "." + (p[3].charAt(0) == 'A' ? "B" : "A") + p[3].substring(1) + "." + p[4];
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", badCipher))))).isEqualTo(BAD_ENC);
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", "not-a-jwe"))))).isEqualTo(BAD_ENC);
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", 42))))).isEqualTo(BAD_ENC);
        // and untouched, the outer MAC already catches any change to enc
        assertThat(tokenFailure(() -> verify(Fixture.swapPayload(compact, c -> c.put("enc", badCipher))))).isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void whenEncIsUnderAnotherKeyOrHeader_thenBadEnc() throws Exception {
        String compact = mint(Map.of());
        String otherKey = jwe(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(sid).build(), randomKeys().encKey(), "{\"a\":1}");
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", otherKey))))).isEqualTo(BAD_ENC);
        String otherKid = jwe(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID("other").build(), keys.encKey(), "{\"a\":1}");
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", otherKid))))).isEqualTo(BAD_ENC);
        String cbc = jwe(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A128CBC_HS256).keyID(sid).build(), keys.encKey(), "{\"a\":1}");
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", cbc))))).isEqualTo(BAD_ENC);
        String notObject = jwe(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(sid).build(), keys.encKey(), "[1]");
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", notObject))))).isEqualTo(BAD_ENC);
        String overridesAud = jwe(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(sid).build(), keys.encKey(),
                "{\"aud\":\"admin-service\"}");
        assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), c -> c.put("enc", overridesAud))))).isEqualTo(BAD_ENC);
    }

    private static String jwe(JWEHeader header, byte[] key, String plaintext) throws Exception {
        JWEObject jwe = new JWEObject(header, new Payload(plaintext));
        jwe.encrypt(new DirectEncrypter(key));
        return jwe.serialize();
    }

    @Test
    void whenAuthorizationDetailsHaveAnUnknownTypeOrMember_thenMalformed() {
        String compact = mint(Map.of());
        String otherType = resignClaims(compact, keys.macKey(), c -> c.put("authorization_details",
                List.of(Map.of("type", "payment_initiation", "actions", List.of("initiate")))));
        assertThat(tokenFailure(() -> verify(otherType))).isEqualTo(MALFORMED);
        String extraMember = resignClaims(compact, keys.macKey(), c -> c.put("authorization_details",
                List.of(Map.of("type", "imsm:http", "method", "GET", "path", "/search", "locations", List.of("https://x")))));
        assertThat(tokenFailure(() -> verify(extraMember))).isEqualTo(MALFORMED);
        String notArray = resignClaims(compact, keys.macKey(), c -> c.put("authorization_details", "GET /search"));
        assertThat(tokenFailure(() -> verify(notArray))).isEqualTo(MALFORMED);
    }

    @Test
    void whenARequiredClaimIsMissing_thenMalformed() {
        for (String claim : new String[] {"sub", "jti", "scope", "exp", "iat", "iss", "aud"}) {
            String compact = resignClaims(mint(Map.of()), keys.macKey(), c -> c.remove(claim));
            assertThat(tokenFailure(() -> verify(compact))).as(claim).isEqualTo(MALFORMED);
        }
    }

    @Test
    void whenAClaimAppearsTwiceUnderAValidMac_thenMalformed() {
        String compact = mint(Map.of());
        String header = Fixture.rawPart(compact, 0);
        String payload = Fixture.rawPart(compact, 1);
        assertThat(verify(Fixture.macRaw(header, payload, keys.macKey())).subject()).as("the raw re-MAC itself verifies").isEqualTo("alice");
        for (String claim : new String[] {"\"scope\":\"admin\",", "\"sub\":\"mallory\",", "\"aud\":\"other\",", "\"exp\":4102444800,",
                "\"sid\":\"" + sid + "\","}) {
            String twice = Fixture.macRaw(header, "{" + claim + payload.substring(1), keys.macKey());
            assertThat(tokenFailure(() -> verify(twice))).as(claim).isEqualTo(MALFORMED);
        }
        String headerTwice = Fixture.macRaw("{\"kid\":\"other\"," + header.substring(1), payload, keys.macKey());
        assertThat(tokenFailure(() -> verify(headerTwice))).isEqualTo(MALFORMED);
    }

    @Test
    void whenARegisteredClaimHasTheWrongJsonType_thenMalformed() {
        String compact = mint(Map.of());
        long now = f.clock.instant().getEpochSecond();
        List<java.util.function.Consumer<Map<String, Object>>> edits = List.of(
                c -> c.put("exp", String.valueOf(now + 60)), c -> c.put("iat", true), c -> c.put("nbf", List.of(now)),
                c -> c.put("iss", List.of(ISSUER)), c -> c.put("sub", 7), c -> c.put("aud", List.of(SERVICE, 1)), c -> c.put("aud", Map.of()),
                c -> c.put("jti", 5), c -> c.put("sid", List.of(sid)), c -> c.put("scope", List.of("search:read")),
                c -> c.put("exp", 1e300), c -> c.put("exp", -1e300));
        for (var edit : edits) {
            assertThat(tokenFailure(() -> verify(resignClaims(compact, keys.macKey(), edit)))).isEqualTo(MALFORMED);
        }
        // a NumericDate may have a fraction (RFC 7519 section 2); it is cut to whole seconds
        assertThat(verify(resignClaims(compact, keys.macKey(), c -> c.put("exp", now + 60.75))).expiresAt().getEpochSecond())
                .isEqualTo(now + 60);
    }

    @Test
    void whenMintingBeyondSessionExpOrWithReservedEncryptedClaims_thenRefused() {
        SessionToken t = token(Map.of());
        assertThatThrownBy(() -> SessionTokens.mintHs256(t, t.expiresAt().minusSeconds(1), keys, f.random))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session_exp");
        assertThatThrownBy(() -> token(Map.of("aud", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionTokens.mintEs256(token(Map.of("email", "a")), f.imsKey, f.random))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenEs256TokenIsTypedAsAnOAuthAccessToken_thenAccepted_butASessionTokenMayNotBe() {
        SessionToken t = token(Map.of());
        String atJwt = resign(SessionTokens.mintEs256(t, f.imsKey, f.random), f.imsKey, h -> h.put("typ", "at+jwt"), c -> {});
        assertThat(f.tokenVerifier().verifyEs256(atJwt, f.imsJwks).subject()).isEqualTo(t.subject());
        String mediaType = resign(SessionTokens.mintEs256(t, f.imsKey, f.random), f.imsKey, h -> h.put("typ", "application/AT+JWT"), c -> {});
        assertThat(f.tokenVerifier().verifyEs256(mediaType, f.imsJwks).subject()).isEqualTo(t.subject());
        String noScope = resign(atJwt, f.imsKey, h -> {}, c -> c.remove("scope"));
        assertThat(f.tokenVerifier().verifyEs256(noScope, f.imsJwks).scope()).isEmpty();
        String hsNoScope = resign(mint(Map.of()), keys.macKey(), h -> {}, c -> c.remove("scope"));
        assertThat(tokenFailure(() -> verify(hsNoScope))).as("a session token names its scope").isEqualTo(MALFORMED);
        String hsAtJwt = resign(mint(Map.of()), keys.macKey(), h -> h.put("typ", "at+jwt"), c -> {});
        assertThat(tokenFailure(() -> verify(hsAtJwt))).isEqualTo(WRONG_TYPE);
    }

    @Test
    void whenEs256TokenIsForgedOrCarriesEnc_thenRefused() {
        SessionToken t = token(Map.of());
        ECKey attacker = Fixture.generate(f.imsKey.getKeyID());
        String forged = SessionTokens.mintEs256(t, attacker, f.random);
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(forged, f.imsJwks))).isEqualTo(BAD_SIGNATURE);
        String unknown = SessionTokens.mintEs256(t, Fixture.generate("nope"), f.random);
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(unknown, f.imsJwks))).isEqualTo(UNKNOWN_KEY);
        String withEnc = resignClaims(SessionTokens.mintEs256(t, f.imsKey, f.random), f.imsKey, c -> c.put("enc", "x.y.z.w.v"));
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(withEnc, f.imsJwks))).isEqualTo(BAD_ENC);
        String hs = mint(Map.of());
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(hs, f.imsJwks))).isEqualTo(WRONG_ALGORITHM);
        // an offer is ES256 by the same IMS key with much the same claims: typ keeps it out
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(f.signedOffer(), f.imsJwks))).isEqualTo(WRONG_TYPE);
        // a JWKS entry that is not pinned to ES256 is not used
        JWKSet es384Pinned = new JWKSet(new ECKey.Builder(f.imsKey.toPublicJWK()).algorithm(com.nimbusds.jose.JWSAlgorithm.ES384).build());
        String ok = SessionTokens.mintEs256(t, f.imsKey, f.random);
        assertThat(tokenFailure(() -> f.tokenVerifier().verifyEs256(ok, es384Pinned))).isEqualTo(UNKNOWN_KEY);
    }

    @Test
    void whenRequestDoesNotMatchTheTokensAuthorizationDetails_thenRefusedWithAReason() {
        SessionToken verified = verify(mint(Map.of()));
        assertThat(verified.check(RequestTarget.parse("GET", "/search?account=12345")).allowed()).isTrue();
        RequestDecision extra = verified.check(RequestTarget.parse("GET", "/search?account=12345&all=true"));
        assertThat(extra.allowed()).isFalse();
        assertThat(extra.reason()).contains("'all' is not allowed");
    }
}
