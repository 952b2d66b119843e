package io.imsm.server.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.server.support.FakeService;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IMSM's OAuth access tokens where user API tokens are accepted: at {@code /ingress/auth} (bearer and
 * Basic, for the {@code service} the ingress names) and as bearer tokens on IMSM's own API (audience =
 * the issuer), with revocation, expiry and the attacks a resource server must refuse; over HTTP against
 * the real server, once per database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)   // the test that moves the clock past the tokens' life runs last
abstract class AccessTokensAtResourcesContract {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String REDIRECT = "https://rp.example/callback";
    TestServer s;
    People.Person alice;

    abstract TestDatabases.Kind kind();

    @BeforeAll
    void start() {
        s = TestServer.start(kind(), Map.of("scopes", TestScopes.MAPPING));
        alice = People.ready(s, "alice", List.of("analyst"), Map.of("email", "alice@example.org"));
        register("webapp", List.of("authorization_code", "refresh_token"), List.of("openid", "read:data", "user:token"),
                List.of("data", s.baseUrl()));
        register("dataonly", List.of("authorization_code", "refresh_token"), List.of("openid", "read:data", "user:token"), List.of("data"));
        register("robot", List.of("client_credentials"), List.of("read:data"), List.of("data"));
        register("robot-imsm", List.of("client_credentials"), List.of("read:data"), List.of(s.baseUrl()));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    // ------------------------------------------------------------------ helpers

    final Map<String, String> secrets = new HashMap<>();

    void register(String id, List<String> grants, List<String> scopes, List<String> audiences) {
        Http.Res r = s.client().postJson("/api/v1/admin/clients", Map.of("client_id", id, "name", "Client " + id, "type", "confidential",
                "grant_types", grants, "scopes", scopes, "redirect_uris", List.of(REDIRECT), "audiences", audiences,
                "token_endpoint_auth_method", "client_secret_post"), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        secrets.put(id, r.json().path("client_secret").asText());
    }

    Http.Res tokenRequest(String client, String... params) {
        Map<String, String> form = Http.form(params);
        form.put("client_id", client);
        form.put("client_secret", secrets.get(client));
        return s.client().postForm("/oauth2/token", form);
    }

    JsonNode clientCredentials(String client) {
        Http.Res r = tokenRequest(client, "grant_type", "client_credentials");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    Http loggedIn() {
        s.clock.advance(Duration.ofSeconds(30));    // a fresh TOTP step: each is usable once
        Http browser = s.client();
        assertThat(People.login(s, browser, alice).status()).isEqualTo(200);
        return browser;
    }

    /** Authorization code with PKCE for alice through {@code browser}: the token response. */
    JsonNode codeFlow(String client, Http browser, String scope) throws Exception {
        String verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
        String challenge = Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII))).toString();
        Http.Res auth = browser.get("/oauth2/authorize?response_type=code&client_id=" + client + "&redirect_uri=" + enc(REDIRECT)
                + "&scope=" + enc(scope) + "&state=st&nonce=n1&code_challenge=" + challenge + "&code_challenge_method=S256");
        assertThat(auth.status()).as(auth.toString()).isEqualTo(302);
        String query = URI.create(auth.header("Location")).getRawQuery();
        String code = null;
        for (String pair : query.split("&")) {
            if (pair.startsWith("code=")) {
                code = java.net.URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8);
            }
        }
        Http.Res t = tokenRequest(client, "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT, "code_verifier", verifier);
        assertThat(t.status()).as(t.toString()).isEqualTo(200);
        return t.json();
    }

    Http.Res ingress(String query, String token) {
        return s.client().get("/ingress/auth?" + query, "Authorization", "Bearer " + token);
    }

    int atIngress(String token) {
        return ingress("service=data&scope=read:data", token).status();
    }

    int onApi(String token) {
        return s.client().get("/api/v1/me", "Authorization", "Bearer " + token).status();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static String enc(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }

    /** A token signed with IMSM's real active key: only the claims or header under test differ from a good one. */
    String signedByImsm(JOSEObjectType type, JWTClaimsSet claims) throws Exception {
        ECKey key = s.server.wiring().signingKeys().activeKey();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(type).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    JWTClaimsSet.Builder goodClaims() {
        Instant now = s.clock.instant();
        return new JWTClaimsSet.Builder().issuer(s.baseUrl()).subject("robot").audience("data").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300))).jwtID(UUID.randomUUID().toString()).claim("client_id", "robot")
                .claim("scope", "read:data");
    }

    // ------------------------------------------------------------------ accepted

    @Test
    @Order(1)
    void whenPersonsAccessTokenComesToTheIngress_thenThePersonPassesAsBearerAndAsBasic() throws Exception {
        String at = codeFlow("webapp", loggedIn(), "openid read:data").path("access_token").asText();
        Http.Res r = ingress("service=data&scope=read:data", at);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.header("X-Auth-Request-User")).isEqualTo("alice");
        assertThat(r.header("X-Auth-Request-Email")).isEqualTo("alice@example.org");
        assertThat(r.header("X-Auth-Request-Groups")).isEqualTo("analyst");
        assertThat(r.header("X-Auth-Request-Scopes")).isEqualTo("openid read:data");
        assertThat(r.header("X-Auth-Request-Client")).isEqualTo("webapp");
        // HTTP Basic: the token as password, or as user name with an empty password
        assertThat(s.client().get("/ingress/auth?service=data&auth_type=basic", "Authorization", basic("x-oauth-basic", at)).status())
                .isEqualTo(200);
        assertThat(s.client().get("/ingress/auth?service=data&auth_type=basic", "Authorization", basic(at, "")).status()).isEqualTo(200);
        // the scopes come from the token: one it does not carry is refused with the challenge naming it
        Http.Res more = ingress("service=data&scope=write:data", at);
        assertThat(more.status()).isEqualTo(403);
        assertThat(more.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"imsm\", error=\"insufficient_scope\", scope=\"write:data\"");
        // a delegated API token is made from a user API token, not from an OAuth access token
        Http.Res delegate = ingress("service=data&delegate_to=portal", at);
        assertThat(delegate.status()).isEqualTo(403);
        assertThat(delegate.header("X-Error-Status")).isEqualTo("403");
        assertThat(delegate.header("X-Auth-Request-Token")).isNull();
    }

    @Test
    @Order(2)
    void whenClientCredentialsTokenComesToTheIngress_thenTheClientIsNamedAndCannotPassForAPerson() {
        String at = clientCredentials("robot").path("access_token").asText();
        Http.Res r = ingress("service=data&scope=read:data", at);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.header("X-Auth-Request-User")).isEqualTo("client:robot");
        assertThat(r.header("X-Auth-Request-Client")).isEqualTo("robot");
        assertThat(r.header("X-Auth-Request-Scopes")).isEqualTo("read:data");
        assertThat(r.header("X-Auth-Request-Email")).isNull();
        assertThat(r.header("X-Auth-Request-Groups")).isNull();
        assertThat(ingress("service=data&scope=write:data", at).status()).isEqualTo(403);
        // minimum_lifetime against the token's exp (600 s)
        assertThat(ingress("service=data&minimum_lifetime=500", at).status()).isEqualTo(200);
        assertThat(ingress("service=data&minimum_lifetime=900", at).status()).isEqualTo(401);
    }

    @Test
    @Order(3)
    void whenAudienceDoesNotMatch_thenTheIngressRefusesTheToken() {
        String at = clientCredentials("robot").path("access_token").asText();
        Http.Res elsewhere = ingress("service=elsewhere&scope=read:data", at);
        assertThat(elsewhere.status()).isEqualTo(401);
        assertThat(elsewhere.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"imsm\", error=\"invalid_token\"");
        // an ingress that names no service accepts no OAuth access token at all
        Http.Res unnamed = ingress("scope=read:data", at);
        assertThat(unnamed.status()).isEqualTo(401);
        assertThat(unnamed.json().path("detail").asText()).contains("service=");
        // a token for IMSM's own API is not one for the service
        assertThat(atIngress(clientCredentials("robot-imsm").path("access_token").asText())).isEqualTo(401);
    }

    @Test
    @Order(4)
    void whenPersonsAccessTokenForImsmComesToTheApi_thenItActsForThePersonWithItsScopes() throws Exception {
        String at = codeFlow("webapp", loggedIn(), "openid read:data user:token").path("access_token").asText();
        Http api = s.client();
        Http.Res me = api.get("/api/v1/me", "Authorization", "Bearer " + at);
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        assertThat(me.json().path("user").path("username").asText()).isEqualTo("alice");
        Http.Res made = api.postJson("/api/v1/tokens", Map.of("name", "from-oauth", "scopes", List.of("read:data")), "Authorization", "Bearer " + at);
        assertThat(made.status()).as(made.toString()).isEqualTo(201);
        // what needs a login session stays closed to tokens
        assertThat(api.get("/api/v1/me/sessions", "Authorization", "Bearer " + at).status()).isEqualTo(403);
        // without user:token in the token, managing tokens is refused
        String narrow = codeFlow("webapp", loggedIn(), "openid read:data").path("access_token").asText();
        assertThat(api.get("/api/v1/tokens", "Authorization", "Bearer " + narrow).status()).isEqualTo(403);
        assertThat(api.get("/api/v1/tokens", "Authorization", "Bearer " + at).status()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void whenTokenIsNotForImsmOrIsAServices_thenTheApiRefusesIt() throws Exception {
        String forData = codeFlow("dataonly", loggedIn(), "openid read:data user:token").path("access_token").asText();
        assertThat(atIngress(forData)).isEqualTo(200);
        Http.Res r = s.client().get("/api/v1/me", "Authorization", "Bearer " + forData);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.code()).isEqualTo("invalid_token");
        // a client's own token, even for IMSM's audience: there is no person to act for
        Http.Res robot = s.client().get("/api/v1/tokens", "Authorization", "Bearer " + clientCredentials("robot-imsm").path("access_token").asText());
        assertThat(robot.status()).isEqualTo(401);
        assertThat(robot.code()).isEqualTo("invalid_token");
    }

    // ------------------------------------------------------------------ revocation

    @Test
    @Order(10)
    void whenAccessTokenIsRevoked_thenIngressAndApiRefuseItAtOnce() throws Exception {
        String at = codeFlow("webapp", loggedIn(), "openid read:data").path("access_token").asText();
        assertThat(atIngress(at)).isEqualTo(200);
        assertThat(onApi(at)).isEqualTo(200);
        assertThat(tokenRequestRevoke("webapp", at).status()).isEqualTo(200);
        assertThat(atIngress(at)).isEqualTo(401);
        assertThat(onApi(at)).isEqualTo(401);

        String robot = clientCredentials("robot").path("access_token").asText();
        assertThat(atIngress(robot)).isEqualTo(200);
        assertThat(tokenRequestRevoke("robot", robot).status()).isEqualTo(200);
        assertThat(atIngress(robot)).isEqualTo(401);
    }

    @Test
    @Order(11)
    void whenRefreshFamilyEnds_thenItsAccessTokensAreRefusedAtOnce() throws Exception {
        // the client revokes its refresh token: the whole family ends
        JsonNode t = codeFlow("webapp", loggedIn(), "openid read:data");
        String at = t.path("access_token").asText();
        assertThat(atIngress(at)).isEqualTo(200);
        assertThat(tokenRequestRevoke("webapp", t.path("refresh_token").asText()).status()).isEqualTo(200);
        assertThat(atIngress(at)).isEqualTo(401);
        assertThat(onApi(at)).isEqualTo(401);

        // a used refresh token comes back: the family is revoked, the newest access token with it
        JsonNode first = codeFlow("webapp", loggedIn(), "openid read:data");
        Http.Res rotated = tokenRequest("webapp", "grant_type", "refresh_token", "refresh_token", first.path("refresh_token").asText());
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
        String newest = rotated.json().path("access_token").asText();
        assertThat(atIngress(newest)).isEqualTo(200);
        assertThat(tokenRequest("webapp", "grant_type", "refresh_token", "refresh_token", first.path("refresh_token").asText()).status())
                .isEqualTo(400);
        assertThat(atIngress(newest)).isEqualTo(401);
        assertThat(onApi(newest)).isEqualTo(401);

        // the login session the grant came from ends (logout): so does the grant
        Http browser = loggedIn();
        String bound = codeFlow("webapp", browser, "openid read:data").path("access_token").asText();
        assertThat(atIngress(bound)).isEqualTo(200);
        assertThat(browser.postJson("/api/v1/logout", Map.of()).status()).isEqualTo(204);
        assertThat(atIngress(bound)).isEqualTo(401);
    }

    @Test
    @Order(12)
    void whenPersonIsDeactivated_thenTheirAccessTokensAreRefusedAtOnce() throws Exception {
        People.Person bert = People.ready(s, "bert", List.of("analyst"));
        s.clock.advance(Duration.ofSeconds(30));
        Http browser = s.client();
        assertThat(People.login(s, browser, bert).status()).isEqualTo(200);
        String at = codeFlow("webapp", browser, "openid read:data").path("access_token").asText();
        assertThat(ingress("service=data", at).header("X-Auth-Request-User")).isEqualTo("bert");
        assertThat(s.client().putJson("/api/v1/admin/users/" + bert.id() + "/status", Map.of("status", "deactivated"), "Authorization", BEARER)
                .status()).isEqualTo(200);
        assertThat(atIngress(at)).isEqualTo(401);
        assertThat(onApi(at)).isEqualTo(401);
    }

    Http.Res tokenRequestRevoke(String client, String token) {
        return s.client().postForm("/oauth2/revoke", Http.form("token", token, "client_id", client, "client_secret", secrets.get(client)));
    }

    // ------------------------------------------------------------------ attacks

    @Test
    @Order(20)
    void whenTokenIsForgedOrTampered_thenRefused() throws Exception {
        String real = clientCredentials("robot").path("access_token").asText();
        String[] parts = real.split("\\.");
        String kid = SignedJWT.parse(real).getHeader().getKeyID();
        // alg none
        String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"" + kid + "\"}").toString() + "." + parts[1] + ".";
        // HS256 with the public key as the HMAC secret (algorithm confusion)
        ECKey pub = s.server.wiring().signingKeys().activeKey().toPublicJWK();
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(AccessTokens.AT_JWT).keyID(kid).build(),
                SignedJWT.parse(real).getJWTClaimsSet());
        hs.sign(new MACSigner(pub.toECPublicKey().getEncoded()));
        // tampered: more scope, the original signature
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("\"read:data\"", "\"read:data write:data\"");
        String tampered = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];
        for (String bad : List.of(none, hs.serialize(), tampered)) {
            assertThat(atIngress(bad)).as(bad).isEqualTo(401);
            assertThat(s.client().get("/ingress/auth?service=data", "Authorization", basic("x", bad)).status()).isEqualTo(401);
            assertThat(onApi(bad)).isEqualTo(401);
        }
        assertThat(atIngress(real)).as("the untouched token passes").isEqualTo(200);
    }

    @Test
    @Order(21)
    void whenOneClaimOrHeaderIsWrong_thenRefusedEvenWithImsmsOwnSignature() throws Exception {
        assertThat(atIngress(signedByImsm(AccessTokens.AT_JWT, goodClaims().build()))).as("the control token passes").isEqualTo(200);
        Instant now = s.clock.instant();
        Map<String, String> bad = Map.of(
                "wrong iss", signedByImsm(AccessTokens.AT_JWT, goodClaims().issuer("https://other-imsm.example").build()),
                "wrong aud", signedByImsm(AccessTokens.AT_JWT, goodClaims().audience("elsewhere").build()),
                "expired", signedByImsm(AccessTokens.AT_JWT, goodClaims().expirationTime(Date.from(now.minusSeconds(1))).build()),
                "not yet valid", signedByImsm(AccessTokens.AT_JWT, goodClaims().notBeforeTime(Date.from(now.plusSeconds(60))).build()),
                "typ JWT", signedByImsm(JOSEObjectType.JWT, goodClaims().build()),
                "no typ", signedByImsm(null, goodClaims().build()),
                "certificate-bound", signedByImsm(AccessTokens.AT_JWT, goodClaims().claim("cnf", Map.of("x5t#S256", "abc")).build()),
                "no client_id", signedByImsm(AccessTokens.AT_JWT, goodClaims().claim("client_id", null).build()));
        bad.forEach((what, token) -> assertThat(atIngress(token)).as(what).isEqualTo(401));
    }

    @Test
    @Order(22)
    void whenIdTokenIsPresentedAsAccessToken_thenRefused() throws Exception {
        String idToken = codeFlow("webapp", loggedIn(), "openid read:data").path("id_token").asText();
        assertThat(SignedJWT.parse(idToken).getJWTClaimsSet().getAudience()).containsExactly("webapp");
        assertThat(ingress("service=webapp", idToken).status()).isEqualTo(401);
        assertThat(onApi(idToken)).isEqualTo(401);
    }

    @Test
    @Order(23)
    void whenKxSessionTokenIsPresented_thenTheIngressRefusesIt() throws Exception {
        try (FakeService svc = FakeService.start("kxsvc", s, FakeService.OnOffer.ANSWER, FakeService.OnRevoke.CONFIRM)) {
            Http.Res put = s.client().putJson("/api/v1/admin/services/kxsvc", svc.definition(), "Authorization", BEARER);
            assertThat(put.status()).as(put.toString()).isEqualTo(201);
            Http.Res issued = loggedIn().postJson("/api/v1/services/kxsvc/tokens", Map.of());
            assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
            String kx = issued.json().path("token").asText();
            assertThat(kx).isNotBlank();
            assertThat(ingress("service=kxsvc", kx).status()).isEqualTo(401);
            assertThat(s.client().get("/ingress/auth?service=kxsvc", "Authorization", basic("x", kx)).status()).isEqualTo(401);
            assertThat(onApi(kx)).isEqualTo(401);
        }
    }

    // ------------------------------------------------------------------ time

    @Test
    @Order(99)
    void whenTokenExpires_thenRefusedByTheInjectedClock() throws Exception {
        String person = codeFlow("webapp", loggedIn(), "openid read:data").path("access_token").asText();
        String robot = clientCredentials("robot").path("access_token").asText();
        assertThat(atIngress(person)).isEqualTo(200);
        assertThat(onApi(person)).isEqualTo(200);
        assertThat(atIngress(robot)).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(601));
        assertThat(atIngress(person)).isEqualTo(401);
        assertThat(onApi(person)).isEqualTo(401);
        assertThat(atIngress(robot)).isEqualTo(401);
    }
}
