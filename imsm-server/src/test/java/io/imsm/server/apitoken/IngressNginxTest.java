package io.imsm.server.apitoken;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.imsm.server.support.Http;
import io.imsm.server.support.Nginx;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's nginx with the {@code deploy/nginx} example in front of a test backend and the real IMSM:
 * what the ingress lets through, what it refuses and how, what reaches the backend, and how fast a
 * deleted token stops working.
 */
class IngressNginxTest {
    static TestServer s;
    static HttpServer backend;
    static Nginx nginx;
    static final AtomicReference<Headers> seen = new AtomicReference<>();
    static Http imsm;
    static Http viaNginx;

    @BeforeAll
    static void start() throws Exception {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("scopes", TestScopes.MAPPING, "server.trusted_proxies", "127.0.0.1"));
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", ex -> {
            seen.set(ex.getRequestHeaders());
            byte[] body = "backend ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        nginx = Nginx.startExample(s.server.port(), backend.getAddress().getPort(), """
                    location /misconfigured/ {
                        set $imsm_auth_query "scope=read:data&satisfy=maybe";
                        auth_request /_imsm_auth;
                        auth_request_set $imsm_error_status $upstream_http_x_error_status;
                        auth_request_set $imsm_error_body $upstream_http_x_error_body;
                        auth_request_set $imsm_www_authenticate $upstream_http_www_authenticate;
                        error_page 403 = @imsm_error;
                        proxy_pass http://backend;
                    }
                    location /write/ {
                        set $imsm_auth_query "scope=write:data";
                        auth_request /_imsm_auth;
                        auth_request_set $imsm_error_status $upstream_http_x_error_status;
                        auth_request_set $imsm_error_body $upstream_http_x_error_body;
                        auth_request_set $imsm_www_authenticate $upstream_http_www_authenticate;
                        error_page 403 = @imsm_error;
                        proxy_pass http://backend;
                    }
                """);
        imsm = s.client();
        viaNginx = new Http("http://127.0.0.1:" + nginx.port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
        s.close();
    }

    static String token(String username, List<String> roles, List<String> scopes) {
        People.Person p = People.ready(s, username, roles);
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res r = c.postJson("/api/v1/tokens", Map.of("name", "nginx", "scopes", scopes));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("token").asText();
    }

    @Test
    void whenNoCredential_then401WithTheChallenge() {
        Http.Res r = viaNginx.get("/data");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"imsm\"");
        Http.Res bad = viaNginx.get("/data", "Authorization", "Bearer imsm_AAAAAAAAAAAAAAAAAAAAAA." + "B".repeat(43));
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"imsm\", error=\"invalid_token\"");
    }

    @Test
    void whenTokenCarriesTheScope_thenTheBackendGetsTheIdentityButNotTheCredential() {
        String token = token("nina", List.of("analyst"), List.of("read:data"));
        seen.set(null);
        Http.Res r = viaNginx.get("/data?x=1", "Authorization", "Bearer " + token);
        assertThat(r.status()).as(r + nginx.errorLog()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend ok");
        Headers h = seen.get();
        assertThat(h.getFirst("X-Auth-Request-User")).isEqualTo("nina");
        assertThat(h.getFirst("X-Auth-Request-Scopes")).isEqualTo("read:data");
        assertThat(h.getFirst("X-Auth-Request-Groups")).isEqualTo("analyst");
        assertThat(h.containsKey("Authorization")).isFalse();
        assertThat(h.values().toString()).doesNotContain(token.substring(token.indexOf('.') + 1));
        // HTTP Basic with the token as the password works too (git, curl -u)
        String basic = Base64.getEncoder().encodeToString(("x-oauth-basic:" + token).getBytes(StandardCharsets.UTF_8));
        assertThat(viaNginx.get("/data", "Authorization", "Basic " + basic).status()).isEqualTo(200);
    }

    @Test
    void whenServiceComesWithAnOAuthAccessToken_thenTheBackendLearnsTheClientAndNoForgedHeaderPasses() {
        Http.Res reg = imsm.postJson("/api/v1/admin/clients", Map.of("client_id", "nightly", "name", "Nightly", "type", "confidential",
                "grant_types", List.of("client_credentials"), "scopes", List.of("read:data"), "audiences", List.of("data"),
                "token_endpoint_auth_method", "client_secret_post"), "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(reg.status()).as(reg.toString()).isEqualTo(201);
        Http.Res t = imsm.postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", "nightly",
                "client_secret", reg.json().path("client_secret").asText()));
        String at = t.json().path("access_token").asText();
        seen.set(null);
        Http.Res r = viaNginx.get("/data", "Authorization", "Bearer " + at, "X-Auth-Request-User", "alice", "X-Auth-Request-Client", "forged");
        assertThat(r.status()).as(r + nginx.errorLog()).isEqualTo(200);
        Headers h = seen.get();
        assertThat(h.getFirst("X-Auth-Request-User")).isEqualTo("client:nightly");
        assertThat(h.getFirst("X-Auth-Request-Client")).isEqualTo("nightly");
        assertThat(h.getFirst("X-Auth-Request-Scopes")).isEqualTo("read:data");
        assertThat(h.containsKey("Authorization")).isFalse();
        // a person's API token with a forged client header: the backend never sees the forgery
        String token = token("sven", List.of("analyst"), List.of("read:data"));
        assertThat(viaNginx.get("/data", "Authorization", "Bearer " + token, "X-Auth-Request-Client", "forged").status()).isEqualTo(200);
        assertThat(seen.get().getFirst("X-Auth-Request-User")).isEqualTo("sven");
        assertThat(seen.get().containsKey("X-Auth-Request-Client")).isFalse();
        // the portal location names no service: no OAuth access token passes there
        assertThat(viaNginx.get("/portal/x", "Authorization", "Bearer " + at).status()).isEqualTo(401);
    }

    @Test
    void whenScopeIsMissing_then403NamingTheScope() {
        String token = token("omar", List.of("analyst"), List.of("read:data"));
        Http.Res r = viaNginx.get("/write/x", "Authorization", "Bearer " + token);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"imsm\", error=\"insufficient_scope\", scope=\"write:data\"");
        assertThat(r.json().path("code").asText()).isEqualTo("insufficient_scope");
    }

    @Test
    void whenIngressIsMisconfigured_thenTheRealStatusAndProblemAreRestored() {
        String token = token("pia", List.of("analyst"), List.of("read:data"));
        Http.Res r = viaNginx.get("/misconfigured/x", "Authorization", "Bearer " + token);
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.json().path("code").asText()).isEqualTo("invalid_request");
        assertThat(r.json().path("detail").asText()).contains("satisfy");
    }

    @Test
    void whenBackendActsForThePerson_thenItGetsADelegatedTokenReusedAcrossRequests() {
        String token = token("quin", List.of("analyst"), List.of("read:data"));
        seen.set(null);
        assertThat(viaNginx.get("/portal/a", "Authorization", "Bearer " + token).status()).isEqualTo(200);
        String delegated = seen.get().getFirst("X-Auth-Request-Token");
        assertThat(delegated).startsWith("imsm_").isNotEqualTo(token);
        assertThat(viaNginx.get("/portal/b", "Authorization", "Bearer " + token).status()).isEqualTo(200);
        assertThat(seen.get().getFirst("X-Auth-Request-Token")).isEqualTo(delegated);
        // the delegated token is good at its service, not elsewhere
        assertThat(imsm.get("/ingress/auth?service=portal&scope=read:data", "Authorization", "Bearer " + delegated).status()).isEqualTo(200);
        assertThat(viaNginx.get("/data", "Authorization", "Bearer " + delegated).status()).isEqualTo(401);
    }

    @Test
    void whenTokenIsDeleted_thenNginxRefusesItWithinASecond() throws Exception {
        People.Person p = People.ready(s, "rita", List.of("analyst"));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res made = c.postJson("/api/v1/tokens", Map.of("name", "soon-gone", "scopes", List.of("read:data")));
        String token = made.json().path("token").asText();
        for (int i = 0; i < 5; i++) {
            assertThat(viaNginx.get("/data", "Authorization", "Bearer " + token).status()).isEqualTo(200);
        }
        assertThat(viaNginx.get("/portal/a", "Authorization", "Bearer " + token).status()).isEqualTo(200);
        String delegated = seen.get().getFirst("X-Auth-Request-Token");
        assertThat(c.delete("/api/v1/tokens/" + made.json().path("key").asText()).status()).isEqualTo(204);
        long start = System.nanoTime();
        int status;
        do {
            status = viaNginx.get("/data", "Authorization", "Bearer " + token).status();
        } while (status == 200 && System.nanoTime() - start < Duration.ofSeconds(1).toNanos());
        assertThat(status).isEqualTo(401);
        assertThat(imsm.get("/ingress/auth?service=portal", "Authorization", "Bearer " + delegated).status()).isEqualTo(401);
    }
}
