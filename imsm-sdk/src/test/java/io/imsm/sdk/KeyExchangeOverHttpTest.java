package io.imsm.sdk;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.Offer;
import io.imsm.protocol.SessionKeys;
import com.nimbusds.jose.jwk.ECKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The SDK as a service embeds it, exercised over real HTTP with a {@link MockIms}. */
class KeyExchangeOverHttpTest {
    private final TestService svc = new TestService();
    private final MockIms ims = svc.ims;
    private final SecureRandom random = new SecureRandom();

    @AfterEach
    void stop() { svc.close(); }

    private MockIms.Session exchange() { return ims.exchange(svc.kxUrl, "alice", "search:read"); }

    private static void assertRefused(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).isEqualTo(code);
    }

    private MockIms.ExchangeFailedException offerRefused(MockIms.Offering offering) {
        return catchThrowableOfType(MockIms.ExchangeFailedException.class, () -> ims.exchange(svc.kxUrl, offering));
    }

    // ---- exchange and tokens ----

    @Test
    void whenFullExchangeOverHttp_thenTokenAccepted() {
        MockIms.Session s = exchange();

        HttpResponse<String> r = svc.get("/search?account=12345", ims.token(s).mint());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello alice SESSION");
        assertThat(svc.sessions.find(s.sid())).hasValueSatisfying(stored -> {
            assertThat(stored.keys()).isEqualTo(s.keys());
            assertThat(stored.subject()).isEqualTo("alice");
            assertThat(stored.sessionExpiresAt()).isEqualTo(s.sessionExpiresAt());
        });
    }

    @Test
    void whenTokenCarriesEncryptedClaims_thenTheyAreDecryptedAndMerged() {
        MockIms.Session s = exchange();
        String token = ims.token(s).confidential("email", "alice@example.com").mint();

        assertThat(token).doesNotContain(Base64URL.encode("alice@example.com").toString());
        VerifiedToken verified = svc.verifier.verify(token);
        assertThat(verified.claims()).containsEntry("email", "alice@example.com").doesNotContainKey("enc");
        assertThat(verified.confidentialClaims()).containsOnlyKeys("email");
        assertThat(verified.toString()).doesNotContain("alice@example.com");
        assertThat(svc.get("/search", token).body()).isEqualTo("hello alice SESSION alice@example.com");
    }

    @Test
    void whenJwksBindingToken_thenAccepted() {
        HttpResponse<String> r = svc.get("/search", ims.jwksToken("svc-batch", "search:read").mint());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello svc-batch JWKS");
    }

    @Test
    void whenSessionRevoked_thenTokenRefusedAsRevoked_andRevokingAgainStill204() {
        MockIms.Session s = exchange();
        String token = ims.token(s).mint();
        assertThat(svc.get("/search", token).statusCode()).isEqualTo(200);

        ims.revoke(svc.kxUrl, s.sid());

        HttpResponse<String> r = svc.get("/search", token);
        assertRefused(r, 401, "revoked");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\", error_description=\"revoked\"");
        assertRefused(svc.get("/search", ims.token(s).mint()), 401, "revoked");
        ims.revoke(svc.kxUrl, s.sid()); // 204 again, or it would throw
        ims.revoke(svc.kxUrl, Kx1.newId(random)); // never known: 204 too
    }

    @Test
    void whenSessionUnknown_thenRefusedAsUnknownSession() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        MockIms.Session stranger = new MockIms.Session(Kx1.newId(random), "alice", "search:read",
                svc.clock.instant().plus(Duration.ofHours(1)), new SessionKeys(k, k));

        assertRefused(svc.get("/search", ims.token(stranger).mint()), 401, "unknown_session");
    }

    @Test
    void whenTokenExpired_thenRefusedAsExpired() {
        MockIms.Session s = exchange();
        String token = ims.token(s).lifetime(Duration.ofMinutes(5)).mint();

        svc.clock.advance(Duration.ofMinutes(5).plusSeconds(30)); // within the 60 s skew
        assertThat(svc.get("/search", token).statusCode()).isEqualTo(200);
        svc.clock.advance(Duration.ofSeconds(31));
        assertRefused(svc.get("/search", token), 401, "expired");
    }

    @Test
    void whenSessionExpired_thenTokensOfItAreRefused() {
        MockIms.Session s = ims.exchange(svc.kxUrl, ims.offer("alice", "search:read", Duration.ofMinutes(2)));
        String token = ims.token(s).mint(); // cut at session_exp

        svc.clock.advance(Duration.ofMinutes(2).plusSeconds(61));

        assertRefused(svc.get("/search", token), 401, "unknown_session");
        assertThat(svc.sessions.find(s.sid())).isEmpty();
    }

    @Test
    void whenTokenNotYetValid_thenRefused() {
        MockIms.Session s = exchange();
        String token = ims.token(s).issuedAt(svc.clock.instant().plus(Duration.ofMinutes(2))).mint();

        assertRefused(svc.get("/search", token), 401, "not_yet_valid");
    }

    @Test
    void whenTokenTampered_thenRefusedAsBadSignature() {
        MockIms.Session s = exchange();
        String token = ims.token(s).scope("search:read").mint();

        String forged = swapClaims(token, c -> c.put("sub", "mallory"));

        assertRefused(svc.get("/search", forged), 401, "bad_signature");
        assertRefused(svc.get("/search", flipSignatureChar(token)), 401, "bad_signature");
    }

    @Test
    void whenTokenForAnotherAudience_thenRefusedAsWrongAudience() {
        MockIms.Session s = exchange();

        assertRefused(svc.get("/search", ims.token(s).audience("other-service").mint()), 401, "wrong_audience");
        assertRefused(svc.get("/search", ims.jwksToken("alice", "search:read").audience("other-service").mint()), 401, "wrong_audience");
    }

    @Test
    void whenTokenFromAnotherIssuer_thenRefusedAsWrongIssuer() {
        MockIms.Session s = exchange();

        assertRefused(svc.get("/search", ims.token(s).issuer("https://evil.example").mint()), 401, "wrong_issuer");
    }

    @Test
    void whenTokenClaimsMoreThanItsSession_thenRefusedAsSessionMismatch() {
        MockIms.Session s = exchange();

        assertRefused(svc.get("/search", ims.token(s).scope("search:read admin").mint()), 401, "session_mismatch");
        assertRefused(svc.get("/search", ims.token(s).subject("bob").mint()), 401, "session_mismatch");
    }

    @Test
    void whenAlgNoneOrUnsupported_thenRefusedAsWrongAlgorithm() {
        MockIms.Session s = exchange();
        String token = ims.token(s).mint();
        String[] parts = token.split("\\.");
        String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" + s.sid() + "\"}") + "." + parts[1] + ".";
        String hs512 = b64("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"" + s.sid() + "\"}") + "." + parts[1] + "." + parts[2];

        assertRefused(svc.get("/search", none), 401, "wrong_algorithm");
        assertRefused(svc.get("/search", hs512), 401, "wrong_algorithm");
        assertRefused(svc.get("/search", "not-a-token"), 401, "malformed");
    }

    @Test
    void whenNoToken_thenChallengedWithoutErrorCode() {
        HttpResponse<String> r = svc.get("/search", null);

        assertRefused(r, 401, "missing_token");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    }

    // ---- the request against the token ----

    @Test
    void whenRequestOutsideAuthorizationDetails_thenForbidden() {
        MockIms.Session s = exchange();
        String token = ims.token(s).detail(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345"))).mint();

        assertThat(svc.get("/search?account=12345", token).statusCode()).isEqualTo(200);
        HttpResponse<String> r = svc.get("/search?account=99999", token);
        assertRefused(r, 403, "request_not_allowed");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("insufficient_scope"));
        assertRefused(svc.get("/search?account=12345&limit=10", token), 403, "request_not_allowed");
        assertRefused(svc.get("/search", token), 403, "request_not_allowed");
    }

    @Test
    void whenRequiredScopeMissing_thenForbiddenAsInsufficientScope() {
        MockIms.Session s = ims.exchange(svc.kxUrl, "alice", "profile:read");

        assertRefused(svc.get("/search", ims.token(s).mint()), 403, "insufficient_scope");
    }

    // ---- field-level encryption ----

    @Test
    void whenEncTampered_thenRefused() {
        MockIms.Session s = exchange();
        String token = ims.token(s).confidential("email", "alice@example.com").mint();
        Consumer<Map<String, Object>> tamperEnc = c -> {
            String enc = (String) c.get("enc");
            String[] p = enc.split("\\.", -1);
            p[3] = flipLastChar(p[3].substring(0, 8)) + p[3].substring(8); // ciphertext
            c.put("enc", String.join(".", p));
        };

        // The outer MAC covers enc: without mac_key the change is caught there ...
        assertRefused(svc.get("/search", swapClaims(token, tamperEnc)), 401, "bad_signature");
        // ... and even re-MAC'd with mac_key, the JWE does not decrypt under enc_key.
        assertRefused(svc.get("/search", remac(swapClaims(token, tamperEnc), s.keys())), 401, "bad_enc");
    }

    // ---- offers the service must refuse ----

    @Test
    void whenOfferReplayed_thenRefusedAsReplayed() {
        MockIms.Offering offering = ims.offer("alice", "search:read");
        ims.exchange(svc.kxUrl, offering);

        MockIms.ExchangeFailedException e = offerRefused(offering);

        assertThat(e.status()).isEqualTo(409);
        assertThat(e.error()).isEqualTo("replayed");
    }

    @Test
    void whenOfferForAnotherAudience_thenRefused() {
        ECKey eph = EphemeralKeys.generate(random);
        Offer offer = Offer.create(ims.issuer(), "other-service", "alice", "search:read",
                svc.clock.instant().plus(Duration.ofHours(1)), eph, svc.clock, random);

        MockIms.ExchangeFailedException e = offerRefused(ims.sign(offer, eph));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error()).isEqualTo("wrong_audience");
        assertThat(svc.sessions.size()).isZero();
    }

    @Test
    void whenOfferSignedByKeyNotInJwks_thenRefused() {
        try (MockIms impostor = MockIms.create(ims.issuer(), TestService.SERVICE, svc.serviceKey.toPublicJWK(), svc.clock)) {
            MockIms.ExchangeFailedException e = catchThrowableOfType(MockIms.ExchangeFailedException.class,
                    () -> impostor.exchange(svc.kxUrl, "alice", "search:read"));

            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error()).isEqualTo("unknown_key");
            assertThat(svc.sessions.size()).isZero();
        }
    }

    @Test
    void whenOfferReusesKnownSid_thenRefusedAsDuplicate() {
        MockIms.Session first = exchange();
        ECKey eph = EphemeralKeys.generate(random);
        Offer again = new Offer(ims.issuer(), TestService.SERVICE, svc.clock.instant(), svc.clock.instant().plusSeconds(60),
                Kx1.newId(random), first.sid(), "mallory", "search:read admin", svc.clock.instant().plus(Duration.ofHours(1)), eph);

        MockIms.ExchangeFailedException e = offerRefused(ims.sign(again, eph));

        assertThat(e.status()).isEqualTo(409);
        assertThat(e.error()).isEqualTo("duplicate_sid");
        assertThat(svc.get("/search", ims.token(first).mint()).statusCode()).isEqualTo(200);
    }

    @Test
    void whenOfferSentWithWrongContentTypeOrMethod_thenRefused() {
        String jws = ims.offer("alice", "search:read").jws();
        HttpResponse<String> json = svc.send(HttpRequest.newBuilder(svc.kxUrl).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jws)).build());
        HttpResponse<String> get = svc.send(HttpRequest.newBuilder(svc.kxUrl).GET().build());
        HttpResponse<String> garbage = svc.send(HttpRequest.newBuilder(svc.kxUrl).header("Content-Type", "application/jwt; charset=us-ascii")
                .POST(HttpRequest.BodyPublishers.ofString("not.a.jws")).build());
        HttpResponse<String> huge = svc.send(HttpRequest.newBuilder(svc.kxUrl).header("Content-Type", "application/jwt")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[KeyExchangeEndpoint.MAX_BODY_BYTES + 100])).build());

        assertThat(json.statusCode()).isEqualTo(415);
        assertThat(json.body()).contains("\"error\":\"unsupported_media_type\"");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(garbage.body()).contains("\"error\":\"malformed\"");
        assertThat(huge.statusCode()).isEqualTo(413);
    }

    @Test
    void whenRevocationUnauthenticatedOrForAnotherSid_thenRefused() {
        MockIms.Session s = exchange();
        HttpResponse<String> anonymous = svc.send(HttpRequest.newBuilder(svc.kxUrl.resolve("/imsm/kx/" + s.sid())).DELETE().build());
        HttpResponse<String> otherSid = svc.send(HttpRequest.newBuilder(svc.kxUrl.resolve("/imsm/kx/" + s.sid()))
                .header("Authorization", "Bearer " + ims.revocation(Kx1.newId(random))).DELETE().build());
        HttpResponse<String> offerAsRevocation = svc.send(HttpRequest.newBuilder(svc.kxUrl.resolve("/imsm/kx/" + s.sid()))
                .header("Authorization", "Bearer " + ims.offer("alice", "x").jws()).DELETE().build());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(otherSid.statusCode()).isEqualTo(400);
        assertThat(otherSid.body()).contains("sid_mismatch");
        assertThat(offerAsRevocation.statusCode()).isEqualTo(400);
        assertThat(offerAsRevocation.body()).contains("malformed");
        assertThat(svc.get("/search", ims.token(s).mint()).statusCode()).isEqualTo(200);
    }

    // ---- IMS key rotation and the JWKS refresh rate limit ----

    @Test
    void whenUnknownKidsArrive_thenJwksRefreshIsRateLimited() {
        assertThat(svc.get("/search", ims.jwksToken("alice", "search:read").mint()).statusCode()).isEqualTo(200);
        assertThat(ims.jwksRequests()).isEqualTo(1);

        ims.rotateKey(); // a new kid: one refresh, then accepted
        assertRefused(svc.get("/search", ims.jwksToken("alice", "search:read").mint()), 401, "unknown_key"); // too soon
        assertThat(ims.jwksRequests()).isEqualTo(1);
        svc.clock.advance(TestService.JWKS_REFRESH_INTERVAL);
        assertThat(svc.get("/search", ims.jwksToken("alice", "search:read").mint()).statusCode()).isEqualTo(200);
        assertThat(ims.jwksRequests()).isEqualTo(2);

        try (MockIms stranger = MockIms.create(ims.issuer(), TestService.SERVICE, svc.serviceKey.toPublicJWK(), svc.clock)) {
            svc.clock.advance(Duration.ofSeconds(5));
            for (int i = 0; i < 5; i++) { // made-up kids: refused without hammering the IMS
                assertRefused(svc.get("/search", stranger.jwksToken("alice", "search:read").mint()), 401, "unknown_key");
            }
            assertThat(ims.jwksRequests()).isEqualTo(2);

            svc.clock.advance(TestService.JWKS_REFRESH_INTERVAL);
            assertRefused(svc.get("/search", stranger.jwksToken("alice", "search:read").mint()), 401, "unknown_key");
            assertThat(ims.jwksRequests()).isEqualTo(3);
        }

        ims.rotateKey(); // offers signed by a rotated key are picked up the same way, once the interval allows
        svc.clock.advance(TestService.JWKS_REFRESH_INTERVAL);
        assertThat(exchange().sid()).isNotNull();
        assertThat(ims.jwksRequests()).isEqualTo(4);
    }

    // ---- helpers ----

    private static String b64(String json) { return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString(); }

    /** Edits the claims and keeps the original signature. */
    private static String swapClaims(String jws, Consumer<Map<String, Object>> edit) {
        String[] p = jws.split("\\.");
        try {
            Map<String, Object> claims = JSONObjectUtils.parse(new Base64URL(p[1]).decodeToString());
            edit.accept(claims);
            return p[0] + "." + b64(JSONObjectUtils.toJSONString(claims)) + "." + p[2];
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Re-MACs a token with the session's mac_key, as someone holding it could. */
    private static String remac(String jws, SessionKeys keys) {
        String[] p = jws.split("\\.");
        try {
            JWSHeader header = JWSHeader.parse(new Base64URL(p[0]));
            assertThat(header.getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
            Base64URL mac = new MACSigner(keys.macKey()).sign(header, (p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
            return p[0] + "." + p[1] + "." + mac;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changes a character in the middle of the signature (the last one may only carry padding bits). */
    private static String flipSignatureChar(String jws) {
        int i = jws.lastIndexOf('.') + 10;
        return jws.substring(0, i) + (jws.charAt(i) == 'A' ? 'B' : 'A') + jws.substring(i + 1);
    }

    private static String flipLastChar(String s) {
        char c = s.charAt(s.length() - 1);
        return s.substring(0, s.length() - 1) + (c == 'A' ? 'B' : 'A');
    }
}
