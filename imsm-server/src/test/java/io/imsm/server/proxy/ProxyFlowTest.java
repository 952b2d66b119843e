package io.imsm.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import io.imsm.proxy.ImsmProxy;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * imsm-proxy in front of a plain JDK HTTP server that has no IMSM code, against the real IMSM server:
 * the service is registered with the proxy's key-exchange URL and key, a person logs in and asks for a
 * token limited to one request, and calls the service through the proxy. Tampered, wrong-request,
 * revoked and expired tokens are refused by the proxy, and the service never sees them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyFlowTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    HttpServer upstream;
    final ExecutorService upstreamThreads = Executors.newVirtualThreadPerTaskExecutor();
    ImsmProxy proxy;
    Path dir;
    Http admin;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(TestDatabases.Kind.H2);
        admin = s.client();
        // the service: answers every request with what it was sent (request line and the proxy's headers)
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setExecutor(upstreamThreads);
        upstream.createContext("/", ex -> {
            try (ex) {
                Map<String, Object> echo = new LinkedHashMap<>();
                echo.put("uri", ex.getRequestURI().toString());
                echo.put("user", ex.getRequestHeaders().getFirst("X-Auth-Request-User"));
                echo.put("scopes", ex.getRequestHeaders().getFirst("X-Auth-Request-Scopes"));
                echo.put("service", ex.getRequestHeaders().getFirst("X-Auth-Request-Service"));
                echo.put("email", ex.getRequestHeaders().getFirst("X-Auth-Request-Email"));
                echo.put("authorization", ex.getRequestHeaders().getFirst("Authorization"));
                byte[] body = Http.JSON.writeValueAsBytes(echo);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        upstream.start();

        dir = Files.createTempDirectory("imsm-proxy-flow");
        ECKey kxKey = new ECKeyGenerator(Curve.P_256).keyID("accounts-kx").generate();
        Files.writeString(dir.resolve("kx-key.json"), kxKey.toJSONString());
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen: {host: 127.0.0.1, port: 0}
                upstream: {url: "http://127.0.0.1:%d"}
                imsm: {issuer: "%s", revocation_list: true}
                service: {id: accounts, kx_key_file: kx-key.json}
                claim_headers: {email: X-Auth-Request-Email}
                routes:
                  - {prefix: /accounts, scopes: [read]}
                """.formatted(upstream.getAddress().getPort(), s.baseUrl()));
        proxy = ImsmProxy.start(dir.resolve("proxy.yaml"), s.clock);

        Http.Res r = admin.putJson("/api/v1/admin/services/accounts", Map.of("name", "Accounts",
                "kx_url", "http://127.0.0.1:" + proxy.port() + "/imsm/kx", "public_jwk", kxKey.toPublicJWK().toJSONObject(),
                "roles", List.of("teller"), "scopes", List.of("read"), "encrypted_claims", List.of("email")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        upstream.stop(0);
        upstreamThreads.close();
        s.close();
    }

    HttpResponse<String> call(String pathAndQuery, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + pathAndQuery))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String challenge(HttpResponse<String> r) {
        return r.headers().firstValue("WWW-Authenticate").orElse("");
    }

    Http loggedIn(String username) {
        People.Person p = People.ready(s, username, List.of("teller"), Map.of("email", username + "@example.org"));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        return c;
    }

    Http.Res tokenFor(Http c, String path, Map<String, String> query) {
        Http.Res t = c.postJson("/api/v1/services/accounts/tokens", Map.of("request", Map.of("method", "GET", "path", path, "query", query)));
        assertThat(t.status()).as(t.toString()).isEqualTo(201);
        return t;
    }

    @Test
    void whenPersonLogsInAndAsksForATokenForOneRequest_thenThatRequestPassesTheProxy_andOthersAreRefused() throws Exception {
        Http c = loggedIn("tess");
        Http.Res t = tokenFor(c, "/accounts", Map.of("id", "12345"));
        String token = t.json().path("token").asText();

        HttpResponse<String> ok = call("/accounts?id=12345", token);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode echo = Http.JSON.readTree(ok.body());
        assertThat(echo.path("uri").asText()).isEqualTo("/accounts?id=12345");
        String sub = Http.JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).path("sub").asText();
        assertThat(echo.path("user").asText()).isEqualTo(sub).isNotEmpty();
        assertThat(echo.path("scopes").asText()).isEqualTo("read");
        assertThat(echo.path("service").asText()).isEqualTo("accounts");
        assertThat(echo.path("email").asText()).as("decrypted from enc by the proxy").isEqualTo("tess@example.org");
        assertThat(echo.path("authorization").isNull()).as("the credential is not forwarded").isTrue();
        assertThat(token).doesNotContain("tess@example.org");

        HttpResponse<String> otherAccount = call("/accounts?id=99999", token);
        assertThat(otherAccount.statusCode()).isEqualTo(403);
        assertThat(challenge(otherAccount)).startsWith("Bearer error=\"insufficient_scope\"").contains("request_not_allowed");
        assertThat(call("/accounts/export?id=12345", token).statusCode()).as("another path").isEqualTo(403);

        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("12345", "99999");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        HttpResponse<String> forged = call("/accounts?id=99999", tampered);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(challenge(forged)).isEqualTo("Bearer error=\"invalid_token\", error_description=\"bad_signature\"");
    }

    @Test
    void whenTheTokenIsRevoked_thenTheProxyRefusesIt() throws Exception {
        Http c = loggedIn("rory");
        Http.Res t = tokenFor(c, "/accounts", Map.of("id", "1"));
        String token = t.json().path("token").asText();
        assertThat(call("/accounts?id=1", token).statusCode()).isEqualTo(200);

        assertThat(c.delete("/api/v1/sessions/" + t.json().path("sid").asText()).status()).isBetween(200, 204);
        HttpResponse<String> r = call("/accounts?id=1", token);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (r.statusCode() == 200 && System.nanoTime() < deadline) { // the outbox delivers the revocation
            Thread.sleep(50);
            r = call("/accounts?id=1", token);
        }
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(challenge(r)).contains("revoked");
    }

    @Test
    void whenTheTokenHasExpired_thenTheProxyRefusesIt() throws Exception {
        Http c = loggedIn("eddi");
        Http.Res t = tokenFor(c, "/accounts", Map.of("id", "7"));
        String token = t.json().path("token").asText();
        assertThat(call("/accounts?id=7", token).statusCode()).isEqualTo(200);
        long exp = Http.JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).path("exp").asLong();
        // past exp and the proxy's 30 s skew, within the 60 s the SDK keeps an ended session (after that: unknown_session)
        Duration untilExpired = Duration.ofSeconds(exp - s.clock.instant().getEpochSecond() + 45);
        s.clock.advance(untilExpired);
        HttpResponse<String> r = call("/accounts?id=7", token);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(challenge(r)).contains("expired");
    }
}
