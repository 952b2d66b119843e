package io.imsm.server.oauth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.StoredRows;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every grant over HTTP with a standards client library as the client (Nimbus OAuth 2.0 SDK with
 * OpenID Connect extensions), error cases included; run once per database by the subclasses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)   // the tests that move the clock by hours or days run last
abstract class OAuthFlowContract {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final URI REDIRECT = URI.create("https://rp.example/callback");
    TestServer s;
    OIDCProviderMetadata meta;
    People.Person alice;

    abstract TestDatabases.Kind kind();

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(kind(), Map.of("scopes", "{\"read:tx\": [\"analyst\"], \"admin:users\": [\"admin\"]}"));
        meta = OIDCProviderMetadata.resolve(new Issuer(s.baseUrl()));
        alice = People.ready(s, "alice", List.of("analyst"), Map.of("email", "alice@example.org"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    // ------------------------------------------------------------------ helpers

    /** Registers a client through the admin API; returns the response (client_id, client_secret). */
    Http.Res register(Map<String, Object> body) {
        return s.client().postJson("/api/v1/admin/clients", body, "Authorization", BEARER);
    }

    record Client(ClientID id, Secret secret) {
        ClientAuthentication basic() { return new ClientSecretBasic(id, secret); }
    }

    Client confidential(String id, List<String> grants, List<String> scopes, Map<String, Object> more) {
        Map<String, Object> body = new HashMap<>(Map.of("client_id", id, "name", "Client " + id, "type", "confidential",
                "grant_types", grants, "scopes", scopes, "redirect_uris", List.of(REDIRECT.toString()), "audiences", List.of("https://api.example")));
        body.putAll(more);
        Http.Res r = register(body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return new Client(new ClientID(r.json().path("client_id").asText()),
                r.json().has("client_secret") ? new Secret(r.json().path("client_secret").asText()) : null);
    }

    HTTPResponse send(TokenRequest req) throws Exception {
        return req.toHTTPRequest().send();
    }

    ErrorObject error(HTTPResponse r) throws Exception {
        TokenResponse t = TokenResponse.parse(r);
        assertThat(t.indicatesSuccess()).as(r.getBody()).isFalse();
        return ((TokenErrorResponse) t).getErrorObject();
    }

    JWTClaimsSet verifyAccessToken(AccessToken at) throws Exception {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
        JWKSet jwks = JWKSet.load(meta.getJWKSetURI().toURL());
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(jwks)));
        DefaultJWTClaimsVerifier<SecurityContext> v = new DefaultJWTClaimsVerifier<>(null, Set.of("iss", "sub", "exp", "iat", "jti", "client_id", "aud"));
        v.setMaxClockSkew(600);
        p.setJWTClaimsSetVerifier(v);
        return p.process(at.getValue(), null);
    }

    boolean active(Client caller, com.nimbusds.oauth2.sdk.token.Token token) throws Exception {
        HTTPResponse r = new TokenIntrospectionRequest(meta.getIntrospectionEndpointURI(), caller.basic(), token).toHTTPRequest().send();
        TokenIntrospectionResponse t = TokenIntrospectionResponse.parse(r);
        assertThat(t.indicatesSuccess()).as(r.getBody()).isTrue();
        return t.toSuccessResponse().isActive();
    }

    /** The person's browser: logs in over the API (password + TOTP), then follows an authorization request to the redirect. */
    URI authorize(Http browser, AuthenticationRequest ar) {
        URI u = ar.toURI();
        Http.Res r = browser.get(u.getRawPath() + "?" + u.getRawQuery());
        assertThat(r.status()).as(r.toString()).isEqualTo(302);
        return URI.create(r.header("Location"));
    }

    Http loggedIn(People.Person p) {
        s.clock.advance(Duration.ofSeconds(30));    // a fresh TOTP step: each is usable once
        Http browser = s.client();
        Http.Res login = People.login(s, browser, p);
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return browser;
    }

    record CodeFlow(OIDCTokenResponse tokens, Nonce nonce) {}

    CodeFlow codeFlow(Client c, Http browser, String scope) throws Exception {
        CodeVerifier verifier = new CodeVerifier();
        Nonce nonce = new Nonce();
        State state = new State();
        AuthenticationRequest ar = new AuthenticationRequest.Builder(new ResponseType("code"), Scope.parse(scope), c.id(), REDIRECT)
                .endpointURI(meta.getAuthorizationEndpointURI()).state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256).build();
        AuthenticationResponse resp = AuthenticationResponseParser.parse(authorize(browser, ar));
        assertThat(resp.indicatesSuccess()).isTrue();
        assertThat(resp.getState()).isEqualTo(state);
        AuthorizationCode code = resp.toSuccessResponse().getAuthorizationCode();
        HTTPResponse http = send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new AuthorizationCodeGrant(code, REDIRECT, verifier)));
        TokenResponse t = OIDCTokenResponseParser.parse(http);
        assertThat(t.indicatesSuccess()).as(http.getBody()).isTrue();
        return new CodeFlow((OIDCTokenResponse) t.toSuccessResponse(), nonce);
    }

    // ------------------------------------------------------------------ discovery

    @Test
    void whenDiscoveryIsRead_thenTheLibraryAcceptsItAndItNamesEveryEndpoint() {
        assertThat(meta.getIssuer().getValue()).isEqualTo(s.baseUrl());
        assertThat(meta.getTokenEndpointURI()).isEqualTo(URI.create(s.baseUrl() + "/oauth2/token"));
        assertThat(meta.getAuthorizationEndpointURI()).isNotNull();
        assertThat(meta.getUserInfoEndpointURI()).isNotNull();
        assertThat(meta.getIntrospectionEndpointURI()).isNotNull();
        assertThat(meta.getRevocationEndpointURI()).isNotNull();
        assertThat(meta.getDeviceAuthorizationEndpointURI()).isNotNull();
        assertThat(meta.getEndSessionEndpointURI()).isNotNull();
        assertThat(meta.getGrantTypes()).extracting(g -> g.getValue()).contains("authorization_code", "refresh_token", "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange");
        assertThat(meta.getCodeChallengeMethods()).containsExactly(CodeChallengeMethod.S256);
        assertThat(meta.getTokenEndpointAuthMethods()).extracting(m -> m.getValue())
                .contains("client_secret_basic", "client_secret_post", "private_key_jwt", "none");
        assertThat(meta.getIDTokenJWSAlgs()).containsExactly(JWSAlgorithm.ES256);
    }

    // ------------------------------------------------------------------ client registry

    @Test
    void whenAClientIsRegistered_thenTheSecretIsShownOnceAndStoredHashed() {
        Http.Res r = register(Map.of("client_id", "reg-1", "name", "Grafana", "type", "confidential", "grant_types", List.of("client_credentials"),
                "scopes", List.of("read:tx")));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String secret = r.json().path("client_secret").asText();
        assertThat(secret).hasSizeGreaterThan(40);
        Http.Res got = s.client().get("/api/v1/admin/clients/reg-1", "Authorization", BEARER);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.json().path("name").asText()).isEqualTo("Grafana");
        assertThat(got.json().path("token_endpoint_auth_method").asText()).isEqualTo("client_secret_basic");
        assertThat(got.body()).doesNotContain(secret);
        String stored = s.server.wiring().ctx().database().read(h -> h.createQuery("SELECT secret_hash FROM oauth_clients WHERE client_id = 'reg-1'")
                .mapTo(String.class).one());
        assertThat(stored).isNotEqualTo(secret).hasSize(64);
        assertThat(register(Map.of("client_id", "reg-1", "name", "again", "grant_types", List.of("client_credentials"))).status()).isEqualTo(409);
        Http.Res bad = register(Map.of("name", "bad", "type", "public", "grant_types", List.of("client_credentials")));
        assertThat(bad.status()).isEqualTo(400);
        Http.Res badRedirect = register(Map.of("name", "bad", "grant_types", List.of("authorization_code"),
                "redirect_uris", List.of("http://evil.example/cb")));
        assertThat(badRedirect.status()).as(badRedirect.toString()).isEqualTo(400);
        // not for people without the admin role
        Http browser = loggedIn(alice);
        assertThat(browser.get("/api/v1/admin/clients").status()).isEqualTo(403);
        Http.Res put = s.client().putJson("/api/v1/admin/clients/reg-1", Map.of("name", "Grafana 2", "grant_types", List.of("client_credentials"),
                "scopes", List.of()), "Authorization", BEARER);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(s.client().delete("/api/v1/admin/clients/reg-1", "Authorization", BEARER).status()).isEqualTo(204);
        assertThat(s.client().get("/api/v1/admin/clients/reg-1", "Authorization", BEARER).status()).isEqualTo(404);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void whenTheSecretIsRotated_thenBothWorkDuringTheOverlapAndOnlyTheNewAfter() throws Exception {
        Client c = confidential("rot-1", List.of("client_credentials"), List.of(), Map.of());
        Http.Res rot = s.client().postJson("/api/v1/admin/clients/rot-1/secret", Map.of(), "Authorization", BEARER);
        assertThat(rot.status()).as(rot.toString()).isEqualTo(200);
        Client next = new Client(c.id(), new Secret(rot.json().path("client_secret").asText()));
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new ClientCredentialsGrant()))).indicatesSuccess()).isTrue();
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), next.basic(), new ClientCredentialsGrant()))).indicatesSuccess()).isTrue();
        s.clock.advance(ClientRegistry.SECRET_OVERLAP.plusSeconds(1));
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new ClientCredentialsGrant()))).getCode()).isEqualTo("invalid_client");
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), next.basic(), new ClientCredentialsGrant()))).indicatesSuccess()).isTrue();
    }

    @Test
    void whenClientsAreApplied_thenTheyAreRegisteredOnceAndTheSecondApplyChangesNothing() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("clients", ".yaml");
        java.nio.file.Files.writeString(file, """
                clients:
                  - client_id: applied-1
                    name: Argo CD
                    grant_types: [authorization_code, refresh_token]
                    redirect_uris: ["https://argocd.example/auth/callback"]
                    scopes: [openid, profile, email]
                  - client_id: applied-spa
                    name: The SPA
                    type: public
                    grant_types: [authorization_code]
                    redirect_uris: ["https://spa.example/cb"]
                """);
        String first = io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
        assertThat(first).contains("exit=0").contains("client applied-1: created (client_secret: ").contains("client applied-spa: created\n");
        String again = io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
        assertThat(again).contains("client applied-1: unchanged").contains("client applied-spa: unchanged").doesNotContain("client_secret");
        String secret = first.replaceAll("(?s).*client_secret: (\\S+).*", "$1");
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), new ClientSecretBasic(new ClientID("applied-1"), new Secret(secret)),
                new RefreshTokenGrant(new RefreshToken("unknown"))))).toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_grant");
    }

    // ------------------------------------------------------------------ client credentials

    @Test
    void whenAServiceUsesClientCredentials_thenItGetsAnRfc9068AccessTokenWithItsScopes() throws Exception {
        Client c = confidential("svc-1", List.of("client_credentials"), List.of("read:tx", "write:tx"), Map.of());
        HTTPResponse http = send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new ClientCredentialsGrant(), new Scope("read:tx")));
        TokenResponse t = TokenResponse.parse(http);
        assertThat(t.indicatesSuccess()).as(http.getBody()).isTrue();
        assertThat(http.getHeaderValue("Cache-Control")).isEqualTo("no-store");
        AccessToken at = t.toSuccessResponse().getTokens().getAccessToken();
        assertThat(SignedJWT.parse(at.getValue()).getHeader().getType().getType()).isEqualTo("at+jwt");
        JWTClaimsSet claims = verifyAccessToken(at);
        assertThat(claims.getSubject()).isEqualTo("svc-1");
        assertThat(claims.getStringClaim("client_id")).isEqualTo("svc-1");
        assertThat(claims.getStringClaim("scope")).isEqualTo("read:tx");
        assertThat(claims.getAudience()).containsExactly("https://api.example");
        assertThat(active(c, at)).isTrue();

        // client_secret_post is another registration
        Client post = confidential("svc-post", List.of("client_credentials"), List.of(), Map.of("token_endpoint_auth_method", "client_secret_post"));
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), new ClientSecretPost(post.id(), post.secret()),
                new ClientCredentialsGrant()))).indicatesSuccess()).isTrue();
        // ...and the registered method is the only one accepted
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), post.basic(), new ClientCredentialsGrant()))).getCode())
                .isEqualTo("invalid_client");
    }

    @Test
    void whenTheSecretIsWrong_thenInvalidClientWith401AndWwwAuthenticate() throws Exception {
        Client c = confidential("svc-2", List.of("client_credentials"), List.of(), Map.of());
        HTTPResponse http = send(new TokenRequest(meta.getTokenEndpointURI(), new ClientSecretBasic(c.id(), new Secret("wrong-secret")),
                new ClientCredentialsGrant()));
        assertThat(http.getStatusCode()).isEqualTo(401);
        assertThat(http.getHeaderValue("WWW-Authenticate")).startsWith("Basic");
        assertThat(error(http).getCode()).isEqualTo("invalid_client");
        // a scope the client is not registered for
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new ClientCredentialsGrant(), new Scope("admin:users"))))
                .getCode()).isEqualTo("invalid_scope");
        // a grant it is not registered for
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new RefreshTokenGrant(new RefreshToken("x")))))
                .getCode()).isEqualTo("unauthorized_client");
        Http.Res unknown = s.client().postRaw("/oauth2/token", "application/x-www-form-urlencoded", "grant_type=password&username=a&password=b");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").asText()).isEqualTo("unsupported_grant_type");
    }

    @Test
    void whenAPrivateKeyJwtIsReplayed_thenTheSecondUseIsRefused() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        Map<String, Object> jwks = new JWKSet(key.toPublicJWK()).toJSONObject(true);
        Client c = confidential("svc-pkjwt", List.of("client_credentials"), List.of(), Map.of("token_endpoint_auth_method", "private_key_jwt",
                "jwks", jwks));
        assertThat(c.secret()).isNull();
        Instant now = s.clock.instant();
        JWTAuthenticationClaimsSet claims = new JWTAuthenticationClaimsSet(c.id(), List.of(new Audience(meta.getTokenEndpointURI())),
                Date.from(now.plusSeconds(120)), null, Date.from(now), new JWTID());
        PrivateKeyJWT auth = new PrivateKeyJWT(claims, JWSAlgorithm.ES256, key.toECPrivateKey(), "k1", null);
        HTTPResponse first = send(new TokenRequest(meta.getTokenEndpointURI(), auth, new ClientCredentialsGrant()));
        assertThat(TokenResponse.parse(first).indicatesSuccess()).as(first.getBody()).isTrue();
        HTTPResponse replay = send(new TokenRequest(meta.getTokenEndpointURI(), auth, new ClientCredentialsGrant()));
        assertThat(replay.getStatusCode()).isEqualTo(401);
        assertThat(error(replay).getDescription()).contains("replay");
        // signed with another key
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        PrivateKeyJWT forged = new PrivateKeyJWT(new JWTAuthenticationClaimsSet(c.id(), List.of(new Audience(meta.getTokenEndpointURI())),
                Date.from(now.plusSeconds(120)), null, Date.from(now), new JWTID()), JWSAlgorithm.ES256, other.toECPrivateKey(), "k1", null);
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), forged, new ClientCredentialsGrant()))).getCode()).isEqualTo("invalid_client");
    }

    // ------------------------------------------------------------------ authorization code, refresh

    @Test
    void whenAPersonLogsInThroughTheCodeFlow_thenTheIdTokenVerifiesAndScopesAreNarrowed() throws Exception {
        Client c = confidential("rp-1", List.of("authorization_code", "refresh_token"), List.of("openid", "profile", "email", "read:tx", "admin:users"),
                Map.of());
        Http browser = loggedIn(alice);
        CodeFlow flow = codeFlow(c, browser, "openid profile email read:tx admin:users");
        IDTokenValidator validator = new IDTokenValidator(meta.getIssuer(), c.id(), JWSAlgorithm.ES256, meta.getJWKSetURI().toURL());
        validator.setMaxClockSkew(600);
        IDTokenClaimsSet id = validator.validate(flow.tokens().getOIDCTokens().getIDToken(), flow.nonce());
        assertThat(id.getSubject().getValue()).isEqualTo(alice.id());
        assertThat(id.getStringClaim("email")).isEqualTo("alice@example.org");
        assertThat(id.getStringClaim("preferred_username")).isEqualTo("alice");
        // alice is an analyst: read:tx yes, admin:users no, although the client may have both
        JWTClaimsSet at = verifyAccessToken(flow.tokens().getOIDCTokens().getAccessToken());
        assertThat(at.getStringClaim("scope").split(" ")).contains("openid", "read:tx").doesNotContain("admin:users");
        assertThat(at.getSubject()).isEqualTo(alice.id());
        // userinfo with that access token
        HTTPResponse ui = new UserInfoRequest(meta.getUserInfoEndpointURI(), (BearerAccessToken) flow.tokens().getOIDCTokens().getAccessToken())
                .toHTTPRequest().send();
        UserInfoResponse uir = UserInfoResponse.parse(ui);
        assertThat(uir.indicatesSuccess()).as(ui.getBody()).isTrue();
        assertThat(uir.toSuccessResponse().getUserInfo().getEmailAddress()).isEqualTo("alice@example.org");
    }

    @Test
    void whenPkceOrRedirectOrCodeIsWrong_thenTheCodeGivesNothing() throws Exception {
        Client c = confidential("rp-2", List.of("authorization_code"), List.of("openid"), Map.of());
        Http browser = loggedIn(alice);
        CodeVerifier verifier = new CodeVerifier();
        AuthenticationRequest ar = new AuthenticationRequest.Builder(new ResponseType("code"), new Scope("openid"), c.id(), REDIRECT)
                .endpointURI(meta.getAuthorizationEndpointURI()).state(new State()).nonce(new Nonce())
                .codeChallenge(verifier, CodeChallengeMethod.S256).build();
        AuthorizationCode code = AuthenticationResponseParser.parse(authorize(browser, ar)).toSuccessResponse().getAuthorizationCode();
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new AuthorizationCodeGrant(code, REDIRECT, new CodeVerifier()))))
                .getCode()).isEqualTo("invalid_grant");
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(),
                new AuthorizationCodeGrant(code, URI.create("https://rp.example/other"), verifier)))).getCode()).isEqualTo("invalid_grant");
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new AuthorizationCodeGrant(code, REDIRECT, null))))
                .getCode()).isEqualTo("invalid_grant");
        assertThat(TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new AuthorizationCodeGrant(code, REDIRECT, verifier))))
                .indicatesSuccess()).isTrue();
        // used codes do not work again
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new AuthorizationCodeGrant(code, REDIRECT, verifier))))
                .getCode()).isEqualTo("invalid_grant");
        // an unregistered redirect URI is refused on a page, never redirected to
        AuthenticationRequest evil = new AuthenticationRequest.Builder(new ResponseType("code"), new Scope("openid"), c.id(),
                URI.create("https://evil.example/cb")).endpointURI(meta.getAuthorizationEndpointURI()).state(new State())
                .codeChallenge(verifier, CodeChallengeMethod.S256).build();
        Http.Res page = browser.get(evil.toURI().getRawPath() + "?" + evil.toURI().getRawQuery());
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.header("Location")).isNull();
        // without PKCE: an error back to the client
        AuthenticationRequest noPkce = new AuthenticationRequest.Builder(new ResponseType("code"), new Scope("openid"), c.id(), REDIRECT)
                .endpointURI(meta.getAuthorizationEndpointURI()).state(new State()).nonce(new Nonce()).build();
        AuthenticationResponse refused = AuthenticationResponseParser.parse(authorize(browser, noPkce));
        assertThat(refused.indicatesSuccess()).isFalse();
        assertThat(refused.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_request");
    }

    @Test
    void whenNobodyIsLoggedIn_thenTheAuthorizationRequestSendsThePersonToLogin() {
        Client c = confidential("rp-3", List.of("authorization_code"), List.of("openid"), Map.of());
        AuthenticationRequest ar = new AuthenticationRequest.Builder(new ResponseType("code"), new Scope("openid"), c.id(), REDIRECT)
                .endpointURI(meta.getAuthorizationEndpointURI()).state(new State()).codeChallenge(new CodeVerifier(), CodeChallengeMethod.S256).build();
        Http.Res r = s.client().get(ar.toURI().getRawPath() + "?" + ar.toURI().getRawQuery());
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("Location")).isEqualTo("/login");
    }

    @Test
    void whenARefreshTokenIsReused_thenTheWholeFamilyIsRevokedAndAudited() throws Exception {
        Client c = confidential("rp-4", List.of("authorization_code", "refresh_token"), List.of("openid", "read:tx"), Map.of());
        CodeFlow flow = codeFlow(c, loggedIn(alice), "openid read:tx");
        RefreshToken first = flow.tokens().getOIDCTokens().getRefreshToken();
        TokenResponse second = TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new RefreshTokenGrant(first))));
        assertThat(second.indicatesSuccess()).isTrue();
        RefreshToken rotated = second.toSuccessResponse().getTokens().getRefreshToken();
        assertThat(rotated).isNotNull().isNotEqualTo(first);
        AccessToken latest = second.toSuccessResponse().getTokens().getAccessToken();
        assertThat(active(c, latest)).isTrue();
        // the old one comes back: someone holds a copy
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new RefreshTokenGrant(first)))).getCode()).isEqualTo("invalid_grant");
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new RefreshTokenGrant(rotated)))).getCode()).isEqualTo("invalid_grant");
        assertThat(active(c, latest)).isFalse();
        List<AuditEvent> audit = StoredRows.audit(s.server.wiring(), "oauth.refresh_reuse", 10);
        assertThat(audit).anySatisfy(e -> assertThat(e.outcome()).isEqualTo("family_revoked"));
    }

    @Test
    void whenThePersonLogsOut_thenTheirRefreshTokensEnd() throws Exception {
        Client c = confidential("rp-5", List.of("authorization_code", "refresh_token"), List.of("openid"), Map.of());
        Http browser = loggedIn(alice);
        CodeFlow flow = codeFlow(c, browser, "openid");
        assertThat(browser.postJson("/api/v1/logout", Map.of()).status()).isEqualTo(204);
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(),
                new RefreshTokenGrant(flow.tokens().getOIDCTokens().getRefreshToken())))).getCode()).isEqualTo("invalid_grant");
        assertThat(active(c, flow.tokens().getOIDCTokens().getAccessToken())).isFalse();
    }

    @Test
    void whenAnAdminRevokesAllOfAPersonsTokens_thenTheirOAuthGrantsEndToo() throws Exception {
        Client c = confidential("rp-6", List.of("authorization_code", "refresh_token"), List.of("openid"), Map.of());
        CodeFlow flow = codeFlow(c, loggedIn(alice), "openid");
        Http.Res r = s.client().delete("/api/v1/admin/users/" + alice.id() + "/tokens", "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(),
                new RefreshTokenGrant(flow.tokens().getOIDCTokens().getRefreshToken())))).getCode()).isEqualTo("invalid_grant");
        assertThat(active(c, flow.tokens().getOIDCTokens().getAccessToken())).isFalse();
    }

    @Test
    void whenTheClientRevokesAnAccessToken_thenIntrospectionSaysInactive() throws Exception {
        Client c = confidential("svc-rev", List.of("client_credentials"), List.of(), Map.of());
        AccessToken at = TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), c.basic(), new ClientCredentialsGrant())))
                .toSuccessResponse().getTokens().getAccessToken();
        assertThat(active(c, at)).isTrue();
        HTTPResponse rev = new TokenRevocationRequest(meta.getRevocationEndpointURI(), c.basic(), at).toHTTPRequest().send();
        assertThat(rev.getStatusCode()).isEqualTo(200);
        assertThat(active(c, at)).isFalse();
        assertThat(active(c, new BearerAccessToken("not-a-token"))).isFalse();
    }

    // ------------------------------------------------------------------ device grant, token exchange

    @Test
    @Order(Integer.MAX_VALUE - 1)
    void whenADeviceAsks_thenItGetsTokensAfterThePersonConfirmsTheCode() throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("client_id", "cli-1", "name", "imsm CLI", "type", "public",
                "grant_types", List.of(io.imsm.server.oauth.DeviceCodeGrant.GRANT_TYPE, "refresh_token"), "scopes", List.of("openid", "read:tx")));
        assertThat(register(body).status()).isEqualTo(201);
        ClientID cli = new ClientID("cli-1");
        HTTPResponse start = new DeviceAuthorizationRequest(meta.getDeviceAuthorizationEndpointURI(), cli, new Scope("openid", "read:tx"))
                .toHTTPRequest().send();
        DeviceAuthorizationResponse dr = DeviceAuthorizationResponse.parse(start);
        assertThat(dr.indicatesSuccess()).as(start.getBody()).isTrue();
        DeviceAuthorizationSuccessResponse d = dr.toSuccessResponse();
        TokenRequest poll = new TokenRequest(meta.getTokenEndpointURI(), cli, new DeviceCodeGrant(d.getDeviceCode()));
        assertThat(error(send(poll)).getCode()).isEqualTo("authorization_pending");
        assertThat(error(send(poll)).getCode()).isEqualTo("slow_down");
        Http browser = loggedIn(alice);
        Http.Res page = browser.get("/device?user_code=" + d.getUserCode().getValue());
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        assertThat(page.body()).contains("imsm CLI");
        Http.Res ok = browser.postForm("/device", Http.form("_csrf", browser.csrf(), "user_code", d.getUserCode().getValue(), "decision", "allow"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(6));
        TokenResponse t = TokenResponse.parse(send(poll));
        assertThat(t.indicatesSuccess()).isTrue();
        assertThat(verifyAccessToken(t.toSuccessResponse().getTokens().getAccessToken()).getSubject()).isEqualTo(alice.id());
        assertThat(error(send(poll)).getCode()).isEqualTo("invalid_grant");

        // a code nobody confirms expires
        DeviceAuthorizationSuccessResponse late = DeviceAuthorizationResponse.parse(new DeviceAuthorizationRequest(
                meta.getDeviceAuthorizationEndpointURI(), cli, new Scope("openid")).toHTTPRequest().send()).toSuccessResponse();
        s.clock.advance(Duration.ofSeconds(late.getLifetime() + 1));
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), cli, new DeviceCodeGrant(late.getDeviceCode())))).getCode())
                .isEqualTo("expired_token");
    }

    @Test
    void whenAGatewayExchangesAToken_thenTheNewOneActsForTheSameSubjectWithNoMoreScope() throws Exception {
        Client svc = confidential("svc-x", List.of("client_credentials"), List.of("read:tx", "write:tx"), Map.of());
        AccessToken subject = TokenResponse.parse(send(new TokenRequest(meta.getTokenEndpointURI(), svc.basic(), new ClientCredentialsGrant(),
                new Scope("read:tx")))).toSuccessResponse().getTokens().getAccessToken();
        Client gw = confidential("gw-1", List.of(io.imsm.server.oauth.TokenExchangeGrant.GRANT_TYPE), List.of("read:tx", "write:tx"),
                Map.of("audiences", List.of("https://downstream.example")));
        AuthorizationGrant grant = new TokenExchangeGrant(subject, TokenTypeURI.ACCESS_TOKEN);
        HTTPResponse http = send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(), grant, null,
                List.of(URI.create("https://downstream.example")), null));
        TokenResponse t = TokenResponse.parse(http);
        assertThat(t.indicatesSuccess()).as(http.getBody()).isTrue();
        JWTClaimsSet claims = verifyAccessToken(t.toSuccessResponse().getTokens().getAccessToken());
        assertThat(claims.getSubject()).isEqualTo("svc-x");
        assertThat(claims.getAudience()).containsExactly("https://downstream.example");
        assertThat(claims.getStringClaim("scope")).isEqualTo("read:tx");
        assertThat(claims.getJSONObjectClaim("act")).containsEntry("sub", "gw-1");
        assertThat(active(gw, t.toSuccessResponse().getTokens().getAccessToken())).isTrue();
        // more scope than the subject token had
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(), grant, new Scope("write:tx"),
                List.of(URI.create("https://downstream.example")), null))).getCode()).isEqualTo("invalid_scope");
    }

    @Test
    void whenAUserApiTokenIsTheSubjectToken_thenTheExchangeGivesTheSameDelegatedTokenAsTheImsmEndpoint() throws Exception {
        Http.Res made = loggedIn(alice).postJson("/api/v1/tokens", Map.of("name", "cli", "scopes", List.of("read:tx")));
        assertThat(made.status()).as(made.toString()).isEqualTo(201);
        String apiToken = made.json().path("token").asText();
        Client gw = confidential("gw-api", List.of(io.imsm.server.oauth.TokenExchangeGrant.GRANT_TYPE), List.of("read:tx"),
                Map.of("audiences", List.of("portal")));
        AuthorizationGrant grant = portal(apiToken);
        HTTPResponse http = send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(), grant, new Scope("read:tx"),
                null, null));
        TokenResponse t = TokenResponse.parse(http);
        assertThat(t.indicatesSuccess()).as(http.getBody()).isTrue();
        String delegated = t.toSuccessResponse().getTokens().getAccessToken().getValue();
        assertThat(delegated).startsWith("imsm_");
        assertThat(t.toSuccessResponse().getTokens().getAccessToken().getScope().toString()).isEqualTo("read:tx");
        assertThat(t.toSuccessResponse().getTokens().getAccessToken().getLifetime()).isEqualTo(3600);
        // like the one from POST /api/v1/tokens/delegate: good at its service only, never at IMSM's API
        Http svc = s.client();
        assertThat(svc.get("/ingress/auth?service=portal&scope=read:tx", "Authorization", "Bearer " + delegated).status()).isEqualTo(200);
        assertThat(svc.get("/ingress/auth?service=other", "Authorization", "Bearer " + delegated).status()).isEqualTo(401);
        assertThat(svc.get("/api/v1/me", "Authorization", "Bearer " + delegated).status()).isEqualTo(401);
        Http.Res same = svc.postJson("/api/v1/tokens/delegate", Map.of("subject_token", apiToken, "audience", "portal", "scope", "read:tx"));
        assertThat(same.status()).as(same.toString()).isEqualTo(200);
        assertThat(same.json().path("expires_in").asLong()).isEqualTo(3600);
        // more scope than the API token carries, a delegated token as subject, an unknown API token: refused
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(), grant, new Scope("admin:users"),
                null, null))).getCode()).isEqualTo("invalid_scope");
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(),
                portal(delegated), null,
                null, null))).getCode()).isEqualTo("invalid_grant");
        assertThat(error(send(new TokenRequest(meta.getTokenEndpointURI(), gw.basic(),
                portal(apiToken.substring(0, apiToken.length() - 2) + "xx"),
                null, null, null))).getCode()).isEqualTo("invalid_grant");
    }

    static AuthorizationGrant portal(String subjectToken) {
        return new TokenExchangeGrant(new BearerAccessToken(subjectToken), TokenTypeURI.ACCESS_TOKEN, null, null, null,
                List.of(new com.nimbusds.oauth2.sdk.id.Audience("portal")));
    }
}
