package io.imsm.server.pki;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.proxy.ImsmProxy;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Certificate-bound tokens of the real IMSM server checked by the real imsm-proxy: a service enrolls
 * with a join token over TLS, exchanges its certificate for a JWT at {@code /oauth2/token} over mTLS and
 * calls a plain upstream through the proxy (HTTPS, asking for client certificates of IMSM's CA, IMSM's
 * JWKS, the service's audience). The same JWT with another service's certificate or with none is
 * refused by the proxy; once the certificate is revoked, the token endpoint refuses it.
 */
class BoundTokenProxyTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    ImsmProxy proxy;
    com.sun.net.httpserver.HttpServer upstream;
    @TempDir Path dir;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
        if (s != null) {
            s.close();
        }
    }

    void register(String id, List<String> audiences) {
        Http admin = s.client();
        Http.Res r = admin.putJson("/api/v1/admin/services/" + id, Map.of("id", id, "name", id, "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("pay:write")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        Http.Res identity = admin.putJson("/api/v1/admin/services/" + id + "/identity", Map.of("roles", List.of("ledger-writer"),
                "audiences", audiences, "token_ttl_seconds", 600), "Authorization", BEARER);
        assertThat(identity.status()).as(identity.toString()).isEqualTo(200);
    }

    List<X509Certificate> caChain() {
        return Pem.certificates(s.client().get("/api/v1/ca").body());
    }

    EnrollmentClient.Credentials enroll(String service) {
        Http.Res r = s.client().postJson("/api/v1/admin/services/" + service + "/join-tokens", Map.of(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return new EnrollmentClient(new SecureRandom()).enroll(URI.create(s.tlsBaseUrl()), r.json().path("join_token").asText(), caChain());
    }

    Http.Res exchange(EnrollmentClient.Credentials creds, String service) {
        return new Http(s.tlsBaseUrl(), EnrollmentClient.sslContext(caChain(), creds))
                .postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", service));
    }

    HttpResponse<String> callProxy(List<X509Certificate> proxyTrust, EnrollmentClient.Credentials presenting, String token) throws Exception {
        SSLContext ctx = EnrollmentClient.sslContext(proxyTrust, presenting);
        try (HttpClient c = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build()) {
            return c.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port() + "/ledger/entries"))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void whenServiceCallsThroughTheProxyWithItsCertificateBoundToken_thenForwarded_andAnotherOrNoCertificateIsRefused() throws Exception {
        s = TestServer.start(TestDatabases.Kind.H2, new HashMap<>(Map.of("tls.port", "0")));
        register("payments", List.of("ledger"));
        register("billing", List.of("ledger"));

        // the upstream knows nothing of IMSM: it echoes the proxy's identity headers
        upstream = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", ex -> {
            try (ex) {
                byte[] body = Http.JSON.writeValueAsBytes(Map.of("uri", ex.getRequestURI().toString(),
                        "user", String.valueOf(ex.getRequestHeaders().getFirst("X-Auth-Request-User")),
                        "service", String.valueOf(ex.getRequestHeaders().getFirst("X-Auth-Request-Service"))));
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        upstream.start();

        // the proxy: HTTPS with its own certificate, asking for client certificates of IMSM's CA
        ServiceIdentityContract.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "proxy-key.pem", "-out", "proxy.pem", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2");
        Files.writeString(dir.resolve("imsm-ca.pem"), s.client().get("/api/v1/ca").body());
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen:
                  host: 127.0.0.1
                  port: 0
                  tls: {cert_file: proxy.pem, key_file: proxy-key.pem, client_ca_file: imsm-ca.pem}
                upstream: {url: "http://127.0.0.1:%d"}
                imsm: {issuer: "%s"}
                service: {id: ledger}
                """.formatted(upstream.getAddress().getPort(), s.baseUrl()));
        proxy = ImsmProxy.start(dir.resolve("proxy.yaml"), s.clock);
        List<X509Certificate> proxyTrust = Pem.certificates(Files.readString(dir.resolve("proxy.pem")));

        EnrollmentClient.Credentials payments = enroll("payments");
        EnrollmentClient.Credentials billing = enroll("billing");
        Http.Res issued = exchange(payments, "payments");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        String token = issued.json().path("access_token").asText();

        HttpResponse<String> ok = callProxy(proxyTrust, payments, token);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode echo = Http.JSON.readTree(ok.body());
        assertThat(echo.path("uri").asText()).isEqualTo("/ledger/entries");
        assertThat(echo.path("user").asText()).isEqualTo("payments");
        assertThat(echo.path("service").asText()).isEqualTo("ledger");

        HttpResponse<String> stolen = callProxy(proxyTrust, billing, token);
        assertThat(stolen.statusCode()).as("another service's certificate").isEqualTo(401);
        assertThat(stolen.headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer error=\"invalid_token\", error_description=\"certificate_mismatch\"");
        HttpResponse<String> bare = callProxy(proxyTrust, null, token);
        assertThat(bare.statusCode()).as("no certificate").isEqualTo(401);
        assertThat(bare.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("certificate_required");

        // billing's own token passes with billing's certificate only
        String billingToken = exchange(billing, "billing").json().path("access_token").asText();
        assertThat(callProxy(proxyTrust, billing, billingToken).statusCode()).isEqualTo(200);
        assertThat(callProxy(proxyTrust, payments, billingToken).statusCode()).isEqualTo(401);

        // revoked: the token endpoint refuses the certificate
        String serial = Pem.serialHex(payments.certificate().getSerialNumber());
        Http.Res revoked = s.client().postJson("/api/v1/admin/certificates/" + serial + "/revoke", Map.of(), "Authorization", BEARER);
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        Http.Res refused = exchange(payments, "payments");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("code").asText()).isEqualTo("client_certificate_revoked");
        assertThat(exchange(billing, "billing").status()).as("other services unaffected").isEqualTo(200);
    }
}
