package io.imsm.examples.search;

import io.imsm.server.support.StoredRows;
import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.Offer;
import io.imsm.sdk.JwksSource;
import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.Http;
import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole access flow over HTTP: IMSM and the demo service on random ports, a real key exchange per token. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoEndToEndTest {
    static final String BEARER = "Bearer test-bootstrap-token-0123456789abcdef0123";
    MutableClock clock = MutableClock.startingNow();
    DemoMain.Demo demo;
    String console;
    Path data;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        data = Files.createTempDirectory("imsm-demo");
        Map<String, String> o = new HashMap<>(Map.of("server.port", "0", "data_dir", data.toString(),
                "passwords.argon2_memory_kib", "1024", "passwords.argon2_iterations", "1", "login.attempts_per_ip_per_minute", "10000"));
        Config cfg = ConfigLoader.load(Optional.empty(), Map.of(), o);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        demo = DemoMain.start(cfg, clock, Map.of("IMSM_BOOTSTRAP_TOKEN", BEARER.substring(7)), new PrintStream(out, true, StandardCharsets.UTF_8));
        console = out.toString(StandardCharsets.UTF_8);
    }

    @AfterAll
    void stop() {
        demo.close();
    }

    Http login(String username) {
        DemoMain.DemoUser u = demo.users().stream().filter(x -> x.username().equals(username)).findFirst().orElseThrow();
        clock.advance(Duration.ofSeconds(30));
        Http c = new Http(demo.ims().baseUrl());
        Http.Res r = c.postJson("/api/v1/login", Map.of("username", u.username(), "password", u.password(),
                "otp", Totp.code(u.totpSecret(), clock.instant())));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        c.csrf(r.json().path("csrf").asText());
        return c;
    }

    Http.Res token(Http c, String account) {
        Map<String, Object> body = new HashMap<>(Map.of("fields", Map.of("justification", "fraud case 7")));
        if (account != null) {
            body.put("request", Map.of("method", "GET", "path", "/search", "query", Map.of("account", account)));
        }
        return c.postJson("/api/v1/services/transaction-search/tokens", body);
    }

    HttpResponse<String> call(String query, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(demo.service().baseUrl() + "/search?" + query));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void whenDemoStarts_thenCredentialsArePrintedAndWritten() throws Exception {
        assertThat(console).contains("IMSM demo is running").contains("alice").contains("TOTP secret");
        String json = Files.readString(data.resolve("demo-users.json"));
        assertThat(Http.JSON.readTree(json).get(0).path("totp_secret").asText()).isEqualTo(demo.users().get(0).totpSecret());
    }

    @Test
    void whenTokenLimitedToOneRequest_thenOnlyThatRequestPasses() throws Exception {
        Http alice = login("alice");
        var menu = alice.get("/api/v1/services").json().path("services").get(0);
        assertThat(menu.path("id").asText()).isEqualTo("transaction-search");
        assertThat(menu.path("base_url").asText()).as("where to send the token").isEqualTo(demo.service().baseUrl());
        Http.Res t = token(alice, "12345");
        assertThat(t.status()).as(t.toString()).isEqualTo(201);
        assertThat(t.json().path("base_url").asText()).isEqualTo(demo.service().baseUrl());
        String token = t.json().path("token").asText();
        HttpResponse<String> ok = call("account=12345", token);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).contains("\"requested_by\":\"alice\"");
        assertThat(call("account=99999", token).statusCode()).isEqualTo(403);
        assertThat(call("account=12345&limit=500", token).statusCode()).isEqualTo(403);
        assertThat(call("account=12345", null).statusCode()).isEqualTo(401);
        // the guard matches the canonical raw path: another spelling of /search passes, a dot segment is a bad request
        assertThat(http.send(HttpRequest.newBuilder(URI.create(demo.service().baseUrl() + "/%73earch?account=123%34%35"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        HttpResponse<String> dots = http.send(HttpRequest.newBuilder(URI.create(demo.service().baseUrl() + "/search/%2e%2e/search?account=12345"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(dots.statusCode()).isEqualTo(400);
        assertThat(dots.body()).isEqualTo("{\"error\":\"bad_request\"}");
        // flip a character in the middle of the MAC (the last one may differ only in unused padding bits)
        int i = token.lastIndexOf('.') + 10;
        HttpResponse<String> tampered = call("account=12345", token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A')
                + token.substring(i + 1));
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(tampered.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
    }

    @Test
    void whenEncryptedClaimAltered_thenRefused() throws Exception {
        Http alice = login("alice");
        String token = token(alice, "555").json().path("token").asText();
        String[] parts = token.split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"enc\"").doesNotContain("fraud case 7");
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) Http.JSON.readTree(payload);
        String enc = tree.get("enc").asText();
        String[] jwe = enc.split("\\.");
        jwe[3] = jwe[3].charAt(0) == 'A' ? "B" + jwe[3].substring(1) : "A" + jwe[3].substring(1);
        tree.put("enc", String.join(".", jwe));
        String forged = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Http.JSON.writeValueAsBytes(tree)) + "." + parts[2];
        assertThat(call("account=555", forged).statusCode()).isEqualTo(401);
        assertThat(call("account=555", token).statusCode()).isEqualTo(200);
    }

    @Test
    void whenRevoked_thenServiceRefusesSoon() throws Exception {
        Http alice = login("alice");
        Http.Res t = token(alice, "777");
        String token = t.json().path("token").asText();
        assertThat(call("account=777", token).statusCode()).isEqualTo(200);
        assertThat(alice.delete("/api/v1/sessions/" + t.json().path("sid").asText()).status()).isEqualTo(204);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> r = call("account=777", token);
        while (r.statusCode() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            r = call("account=777", token);
        }
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("revoked");
        // the service refuses as soon as the revocation reaches it; the outbox marks it delivered when the answer is back
        while (StoredRows.undeliveredOutbox(demo.ims().wiring()) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(StoredRows.undeliveredOutbox(demo.ims().wiring())).isZero();
        assertThat(alice.delete("/api/v1/sessions/" + t.json().path("sid").asText()).status())
                .as("revoking again is idempotent").isEqualTo(204);
    }

    @Test
    void whenExpired_thenRefused() throws Exception {
        Http alice = login("alice");
        Http.Res t = alice.postJson("/api/v1/services/transaction-search/tokens", Map.of("ttl_seconds", 120,
                "fields", Map.of("justification", "short look")));
        String token = t.json().path("token").asText();
        assertThat(call("account=1", token).statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(240));
        HttpResponse<String> r = call("account=1", token);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).containsAnyOf("expired", "unknown_session");
    }

    @Test
    void whenTokenShownToAnotherService_thenRefused() throws Exception {
        Http alice = login("alice");
        String token = token(alice, null).json().path("token").asText();
        // another instance with the same id but its own sessions never exchanged this sid
        ECKey key = new ECKey.Builder(EphemeralKeys.generate(new SecureRandom())).keyID("other").build();
        try (TransactionSearchService other = TransactionSearchService.start("127.0.0.1", 0, demo.ims().baseUrl(), key,
                JwksSource.fixed(demo.ims().wiring().signingKeys().jwks()), clock)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(other.baseUrl() + "/search?account=1"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void whenOfferReplayed_thenServiceRefusesTheSecond() throws Exception {
        var wiring = demo.ims().wiring();
        Offer offer = Offer.create(demo.ims().baseUrl(), "transaction-search", "mallory", "search:read",
                clock.instant().plusSeconds(300), EphemeralKeys.generate(new SecureRandom()), clock, new SecureRandom());
        String jws = new KxSigner(wiring.signingKeys().activeKey(), new SecureRandom()).sign(offer);
        HttpRequest post = HttpRequest.newBuilder(URI.create(demo.service().kxUrl())).header("Content-Type", "application/jwt")
                .POST(HttpRequest.BodyPublishers.ofString(jws)).build();
        assertThat(http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        HttpResponse<String> again = http.send(post, HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isBetween(400, 499);
    }

    @Test
    void whenServiceAnswersWithWrongKey_thenNoTokenAndClearMessage() throws Exception {
        ECKey realKey = new ECKey.Builder(EphemeralKeys.generate(new SecureRandom())).keyID("real").build();
        ECKey registeredKey = EphemeralKeys.generate(new SecureRandom());
        try (TransactionSearchService impostor = TransactionSearchService.start("transaction-search-2", "127.0.0.1", 0, demo.ims().baseUrl(), realKey,
                JwksSource.fixed(demo.ims().wiring().signingKeys().jwks()), clock)) {
            Http admin = new Http(demo.ims().baseUrl());
            Map<String, Object> def = new HashMap<>(Map.of("name", "Impostor", "kx_url", impostor.kxUrl(),
                    "public_jwk", registeredKey.toPublicJWK().toJSONObject(), "roles", List.of("analyst"), "scopes", List.of("search:read")));
            assertThat(admin.putJson("/api/v1/admin/services/transaction-search-2", def, "Authorization", BEARER).status()).isEqualTo(201);
            Http alice = login("alice");
            Http.Res r = alice.postJson("/api/v1/services/transaction-search-2/tokens", Map.of());
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.code()).isEqualTo("key_exchange_failed");
            // the requester gets one generic message; the reason is for admins, in the audit log
            assertThat(r.json().path("detail").asText()).contains("could not be reached").doesNotContain("verify")
                    .doesNotContain("127.0.0.1");
            assertThat(r.body()).doesNotContain("eyJ");
            var audit = StoredRows.audit(demo.ims().wiring(), "token_issue", 50);
            assertThat(audit).anyMatch(e -> "transaction-search-2".equals(e.target()) && e.detail().contains("does not verify"));
            admin.delete("/api/v1/admin/services/transaction-search-2", "Authorization", BEARER);
        }
        Http alice = login("alice");
        Map<String, Object> dead = new HashMap<>(Map.of("name", "Gone", "kx_url", "http://127.0.0.1:9/kx",
                "public_jwk", registeredKey.toPublicJWK().toJSONObject(), "roles", List.of("analyst"), "scopes", List.of("x")));
        new Http(demo.ims().baseUrl()).putJson("/api/v1/admin/services/gone", dead, "Authorization", BEARER);
        Http.Res r = alice.postJson("/api/v1/services/gone/tokens", Map.of());
        assertThat(r.code()).isEqualTo("key_exchange_failed");
        assertThat(r.json().path("detail").asText()).contains("could not be reached");
    }

    @Test
    void whenQueryHasMalformedPercentEncoding_thenPlain400() throws Exception {
        // java.net.URI refuses to build such a URL, so the request goes out over a plain socket
        URI base = URI.create(demo.service().baseUrl());
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /search?account=%zz HTTP/1.1\r\nHost: " + base.getAuthority()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").doesNotContain("Exception");
        }
    }

    @Test
    void whenRolesDoNotAllowService_thenRefusedAtTheApi() {
        Http oscar = login("oscar");
        assertThat(oscar.get("/api/v1/services").json().path("services")).isEmpty();
        assertThat(oscar.postJson("/api/v1/services/transaction-search/tokens", Map.of("fields", Map.of("justification", "x")))
                .status()).isEqualTo(404);
    }
}
