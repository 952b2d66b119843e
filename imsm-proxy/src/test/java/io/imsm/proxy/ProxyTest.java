package io.imsm.proxy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.sdk.MockIms;
import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy in front of {@link PlainUpstream} (no IMSM code), with {@link MockIms} as the IMS: the key
 * exchange through the proxy, session tokens, the route rules, the RFC 6750 answers, streaming and
 * reload.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyTest {
    static final String SERVICE = "search";
    final MutableClock clock = MutableClock.startingNow();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Path dir;
    Path configFile;
    PlainUpstream upstream;
    MockIms ims;
    ImsmProxy proxy;
    MockIms.Session session;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("imsm-proxy-test");
        ECKey serviceKey = new ECKeyGenerator(Curve.P_256).keyID("search-kx").generate();
        Files.writeString(dir.resolve("kx-key.json"), serviceKey.toJSONString());
        upstream = new PlainUpstream();
        ims = MockIms.serve(SERVICE, serviceKey.toPublicJWK(), clock);
        configFile = dir.resolve("proxy.yaml");
        Files.writeString(configFile, config(""));
        proxy = ImsmProxy.start(configFile, clock);
        session = ims.exchange(URI.create(base() + "/imsm/kx"), "ada", "search:read search:write");
    }

    String config(String extraRoutes) {
        return """
                listen: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                upstream: {url: "%s", response_timeout_millis: 5000}
                imsm: {issuer: "%s", revocation_list: false}
                service: {id: search, kx_key_file: kx-key.json}
                token_cookie: imsm_token
                claim_headers: {account: X-Account}
                routes:
                  - {prefix: /public, public: true}
                  - {prefix: /write, scopes: [search:write]}
                  - {prefix: /admin, scopes: [search:admin]}
                  - {prefix: /other, audience: other-service}
                %s""".formatted(upstream.url(), ims.issuer(), extraRoutes);
    }

    @AfterAll
    void stop() {
        proxy.close();
        ims.close();
        upstream.close();
    }

    String base() { return "http://127.0.0.1:" + proxy.port(); }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Map<String, Object> json(HttpResponse<String> r) throws Exception {
        return JSONObjectUtils.parse(r.body());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> upstreamHeaders(HttpResponse<String> r) throws Exception {
        return (Map<String, Object>) json(r).get("headers");
    }

    String token() { return ims.token(session).mint(); }

    @Test
    void whenSessionTokenFromTheProxysKeyExchange_thenForwardedWithIdentityHeaders_andTheCredentialStripped() throws Exception {
        HttpResponse<String> r = get("/search?q=a%20b&x=1", "Authorization", "Bearer " + token(),
                "X-Auth-Request-User", "mallory", "Cookie", "theme=dark; imsm_token=abc");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Upstream")).hasValue("plain");
        Map<String, Object> h = upstreamHeaders(r);
        assertThat(json(r).get("uri")).isEqualTo("/search?q=a%20b&x=1");
        assertThat(h).doesNotContainKey("authorization");
        assertThat(h.get("x-auth-request-user")).as("the client's own header is replaced").isEqualTo("ada");
        assertThat(h.get("x-auth-request-scopes")).isEqualTo("search:read search:write");
        assertThat(h.get("x-auth-request-service")).isEqualTo(SERVICE);
        assertThat(h.get("cookie")).as("the token cookie is removed, others stay").isEqualTo("theme=dark");
        assertThat(h.get("x-forwarded-proto")).isEqualTo("http");
    }

    @Test
    void whenTokenOnlyInTheConfiguredCookie_thenAccepted_andTheCookieNotForwarded() throws Exception {
        HttpResponse<String> r = get("/search", "Cookie", "imsm_token=" + token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(upstreamHeaders(r)).doesNotContainKey("cookie");
    }

    @Test
    void whenNoToken_then401WithABareBearerChallenge_andTheUpstreamNeverCalled() throws Exception {
        HttpResponse<String> r = get("/search");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(r.headers().firstValue("X-Upstream")).isEmpty();
        assertThat(json(r).get("error")).isEqualTo("missing_token");
    }

    @Test
    void whenTokenTampered_then401InvalidToken() throws Exception {
        String t = token();
        String[] parts = t.split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("\"ada\"", "\"eve\"");
        String tampered = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        HttpResponse<String> r = get("/search", "Authorization", "Bearer " + tampered);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\", error_description=\"bad_signature\"");
        assertThat(json(r)).containsEntry("error", "invalid_token");
    }

    @Test
    void whenTokenExpired_then401Expired() throws Exception {
        String t = ims.token(session).issuedAt(clock.instant().minus(Duration.ofMinutes(10))).lifetime(Duration.ofMinutes(5)).mint();
        HttpResponse<String> r = get("/search", "Authorization", "Bearer " + t);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("invalid_token").contains("expired");
    }

    @Test
    void whenScopeMissing_then403InsufficientScope() throws Exception {
        assertThat(get("/write/x", "Authorization", "Bearer " + token()).statusCode()).isEqualTo(200);
        HttpResponse<String> r = get("/admin/x", "Authorization", "Bearer " + token());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer error=\"insufficient_scope\"");
    }

    @Test
    void whenTokenLimitedToOneRequest_thenThatRequestPasses_andAnotherIsRefused() throws Exception {
        String t = ims.token(session).detail(new HttpAuthorizationDetail("GET", "/accounts", Map.of("id", "12345"))).mint();
        assertThat(get("/accounts?id=12345", "Authorization", "Bearer " + t).statusCode()).isEqualTo(200);
        HttpResponse<String> other = get("/accounts?id=99999", "Authorization", "Bearer " + t);
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("request_not_allowed");
        assertThat(get("/accounts/../accounts?id=12345", "Authorization", "Bearer " + t).statusCode()).as("dot segments").isEqualTo(400);
    }

    @Test
    void whenEncryptedClaimConfiguredAsHeader_thenTheUpstreamGetsItDecrypted() throws Exception {
        String t = ims.token(session).confidential("account", "12345").mint();
        assertThat(t).doesNotContain("12345");
        HttpResponse<String> r = get("/search", "Authorization", "Bearer " + t, "X-Account", "forged");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstreamHeaders(r).get("x-account")).isEqualTo("12345");
        HttpResponse<String> without = get("/search", "Authorization", "Bearer " + token(), "X-Account", "forged");
        assertThat(upstreamHeaders(without)).as("a client cannot set a claim header").doesNotContainKey("x-account");
    }

    @Test
    void whenTheImsRevokesTheSession_thenItsTokensAreRefused() throws Exception {
        MockIms.Session s = ims.exchange(URI.create(base() + "/imsm/kx"), "bob", "search:read");
        String t = ims.token(s).mint();
        assertThat(get("/search", "Authorization", "Bearer " + t).statusCode()).isEqualTo(200);
        ims.revoke(URI.create(base() + "/imsm/kx"), s.sid());
        HttpResponse<String> r = get("/search", "Authorization", "Bearer " + t);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("revoked");
    }

    @Test
    void whenTokenForAnotherAudience_thenRefused_andAnImsSignedTokenForTheRoutesAudiencePasses() throws Exception {
        HttpResponse<String> session = get("/other", "Authorization", "Bearer " + token());
        assertThat(session.statusCode()).isEqualTo(401);
        assertThat(session.headers().firstValue("WWW-Authenticate").orElseThrow()).as("no sessions for other-service")
                .contains("wrong_algorithm");
        HttpResponse<String> wrong = get("/other", "Authorization", "Bearer " + ims.jwksToken("svc-a", "read").mint());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("wrong_audience");
        String es256 = ims.jwksToken("svc-a", "read").audience("other-service").mint();
        HttpResponse<String> r = get("/other/x", "Authorization", "Bearer " + es256);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(upstreamHeaders(r).get("x-auth-request-service")).isEqualTo("other-service");
    }

    @Test
    void whenPublicPath_thenForwardedWithoutToken_butASentTokenIsStillStripped() throws Exception {
        HttpResponse<String> r = get("/public/logo.png", "Authorization", "Bearer whatever");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstreamHeaders(r)).doesNotContainKey("authorization").doesNotContainKey("x-auth-request-user");
        assertThat(get("/publicity").statusCode()).as("a prefix ends at a /").isEqualTo(401);
        assertThat(get("/public%2F..%2Fsearch").statusCode()).as("an encoded slash is not a segment").isEqualTo(401);
    }

    @Test
    void whenLargeBodies_thenBothDirectionsArriveWhole() throws Exception {
        byte[] upload = new byte[8 * 1024 * 1024];
        new java.util.Random(7).nextBytes(upload);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/upload"))
                .header("Authorization", "Bearer " + token())
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("length")).isEqualTo(8L * 1024 * 1024);
        assertThat(json(r).get("sha256")).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(upload)));

        HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(URI.create(base() + "/bytes?n=" + (32 * 1024 * 1024)))
                .header("Authorization", "Bearer " + token()).build(), HttpResponse.BodyHandlers.ofInputStream());
        long n;
        try (InputStream in = down.body()) {
            n = in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        assertThat(n).isEqualTo(32L * 1024 * 1024);
    }

    @Test
    void whenTheUpstreamStreams_thenTheFirstChunkArrivesBeforeTheUpstreamHasFinished() throws Exception {
        upstream.firstChunkSeen = new java.util.concurrent.CountDownLatch(1);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/stream"))
                .header("Authorization", "Bearer " + token()).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(in.readLine()).isEqualTo("first");
            upstream.firstChunkSeen.countDown();
            assertThat(in.readLine()).isEqualTo("second");
        }
    }

    @Test
    void whenTheConfigurationChanges_thenNewRulesApply_andARequestInFlightCompletes() throws Exception {
        upstream.slowStarted = new java.util.concurrent.CountDownLatch(1);
        upstream.release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(HttpRequest.newBuilder(URI.create(base() + "/slow"))
                .header("Authorization", "Bearer " + token()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upstream.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
        try {
            Files.writeString(configFile, config("  - {prefix: /newly-public, public: true}\n"));
            Files.setLastModifiedTime(configFile, FileTime.from(Instant.now().plusSeconds(5)));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (get("/newly-public").statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(get("/newly-public").statusCode()).as("the file watch reloaded").isEqualTo(200);
            upstream.release.countDown();
            assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

            Files.writeString(configFile, config("  - {prefix: /newly-public, public: true, unknown_key: 1}\n"));
            assertThat(proxy.reload()).as("a bad file is refused").isFalse();
            assertThat(get("/newly-public").statusCode()).as("the running rules stay").isEqualTo(200);
        } finally {
            upstream.release.countDown();
            Files.writeString(configFile, config(""));
            assertThat(proxy.reload()).isTrue();
        }
        assertThat(get("/newly-public").statusCode()).isEqualTo(401);
    }

    @Test
    void whenTheConfigurationIsReloaded_thenAnOpenKeepAliveConnectionStaysOpen_andItsNextRequestGetsTheNewRules() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
            assertThat(exchangeOn(out, in, "/reloaded-public")).as("before the reload a token is needed").isEqualTo(401);
            try {
                Files.writeString(configFile, config("  - {prefix: /reloaded-public, public: true}\n"));
                assertThat(proxy.reload()).isTrue();
                // the same connection: not closed by the reload, and its next request is judged by the new rules
                assertThat(exchangeOn(out, in, "/reloaded-public")).as("after the reload, on the same connection").isEqualTo(200);
                assertThat(exchangeOn(out, in, "/reloaded-public")).isEqualTo(200);
            } finally {
                Files.writeString(configFile, config(""));
                assertThat(proxy.reload()).isTrue();
            }
            assertThat(exchangeOn(out, in, "/reloaded-public")).as("and back, still on the same connection").isEqualTo(401);
        }
    }

    /** One HTTP/1.1 GET on an open connection; reads the whole answer (fixed length or chunked) and returns its status. */
    static int exchangeOn(java.io.OutputStream out, java.io.DataInputStream in, String path) throws Exception {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = readLine(in);
        assertThat(status).as("an answer on the same connection").startsWith("HTTP/1.1 ");
        long length = -1;
        boolean chunked = false;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            for (long n = Long.parseLong(readLine(in).strip(), 16); n > 0; n = Long.parseLong(readLine(in).strip(), 16)) {
                in.readNBytes((int) n);
                readLine(in);
            }
            readLine(in);
        } else if (length > 0) {
            in.readNBytes((int) length);
        }
        return Integer.parseInt(status.substring(9, 12));
    }

    static String readLine(java.io.DataInputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new java.io.EOFException("the connection was closed");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Test
    void whenTheUpstreamIsDown_then502FromTheProxy() throws Exception {
        java.net.ServerSocket closed = new java.net.ServerSocket(0);
        int deadPort = closed.getLocalPort();
        closed.close();
        Path other = dir.resolve("dead-upstream.yaml");
        Files.writeString(other, config("  - {prefix: /open, public: true}\n").replace(upstream.url(), "http://127.0.0.1:" + deadPort));
        try (ImsmProxy p = ImsmProxy.start(other, clock)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + "/open")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(json(r)).containsEntry("error", "upstream_unavailable");
        }
    }

    @Test
    void whenHealthAndMetricsAsked_thenAnswered() throws Exception {
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        get("/search");
        HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("imsm_proxy_refused_total{code=\"missing_token\"}").contains("imsm_proxy_forwarded_total")
                .contains("imsm_proxy_sessions");
    }
}
