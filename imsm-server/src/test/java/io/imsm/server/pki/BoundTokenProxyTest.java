package io.imsm.server.pki;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.protocol.ServiceCredentials;
import io.imsm.proxy.ImsmProxy;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.RemoteJwks;
import io.imsm.sdk.TokenVerifier;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Certificate-bound tokens of the real IMSM server checked by the real imsm-proxy: a service enrolls
 * with a join token over TLS, exchanges its certificate for a JWT at {@code /oauth2/token} over mTLS and
 * calls a plain upstream through the proxy (HTTPS, asking for client certificates of IMSM's CA, IMSM's
 * JWKS, the service's audience). The same JWT with another service's certificate or with none is
 * refused by the proxy; once the certificate is revoked, the token endpoint refuses it.
 */
class BoundTokenProxyTest {
    TestServer s;
    ServicePki pki;
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

    HttpResponse<String> callProxy(List<X509Certificate> proxyTrust, EnrollmentClient.Credentials presenting, String token) throws Exception {
        return ServicePki.get("https://127.0.0.1:" + proxy.port() + "/ledger/entries", proxyTrust, presenting, token);
    }

    /** The server with TLS, and two services whose tokens are for the audience "ledger". */
    void startWithPaymentsAndBilling() {
        s = TestServer.start(TestDatabases.Kind.H2, new HashMap<>(Map.of("tls.port", "0")));
        pki = new ServicePki(s);
        pki.register("payments", List.of("ledger"));
        pki.register("billing", List.of("ledger"));
    }

    @Test
    void whenServiceCallsThroughTheProxyWithItsCertificateBoundToken_thenForwarded_andAnotherOrNoCertificateIsRefused() throws Exception {
        startWithPaymentsAndBilling();

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
        ServicePki.opensslServer(dir, "proxy", pki.caChain()); // proxy.pem, proxy-key.pem
        Files.writeString(dir.resolve("imsm-ca.pem"), s.client().get("/api/v1/ca").body());
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen:
                  host: 127.0.0.1
                  port: 0
                  tls: {cert_file: proxy.pem, key_file: proxy-key.pem, client_ca_file: imsm-ca.pem}
                upstream: {url: "http://127.0.0.1:%d"}
                imsm: {issuer: "%s", crl_refresh_seconds: 1}
                service: {id: ledger}
                """.formatted(upstream.getAddress().getPort(), s.baseUrl()));
        proxy = ImsmProxy.start(dir.resolve("proxy.yaml"), s.clock);
        List<X509Certificate> proxyTrust = Pem.certificates(Files.readString(dir.resolve("proxy.pem")));

        EnrollmentClient.Credentials payments = pki.enroll("payments");
        EnrollmentClient.Credentials billing = pki.enroll("billing");
        Http.Res issued = pki.exchange(payments, "payments");
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
        String billingToken = pki.exchange(billing, "billing").json().path("access_token").asText();
        assertThat(callProxy(proxyTrust, billing, billingToken).statusCode()).isEqualTo(200);
        assertThat(callProxy(proxyTrust, payments, billingToken).statusCode()).isEqualTo(401);

        // revoked: the token endpoint refuses the certificate
        Http.Res revoked = pki.revoke(payments.certificate());
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        Http.Res refused = pki.exchange(payments, "payments");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("code").asText()).isEqualTo("client_certificate_revoked");
        assertThat(pki.exchange(billing, "billing").status()).as("other services unaffected").isEqualTo(200);

        // and the proxy refuses the revoked certificate (its still-valid token too) once its CRL poll (every 1 s) sees it
        ServicePki.await("the proxy refuses the revoked certificate", 10, () -> {
            try {
                HttpResponse<String> r = callProxy(proxyTrust, payments, token);
                return r.statusCode() == 401 && r.headers().firstValue("WWW-Authenticate").orElse("").contains("certificate_revoked");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(callProxy(proxyTrust, billing, billingToken).statusCode()).as("billing's certificate is not revoked").isEqualTo(200);
    }

    /**
     * The SDK's own check (RFC 8705 section 3) in a service on the JDK's HTTPS server that asks for client
     * certificates of IMSM's CA: {@link JdkHttpServerAdapter#verify} compares the token's
     * {@code cnf.x5t#S256} with the certificate of the request's TLS connection.
     */
    @Test
    void whenTheSameBoundTokenReachesAnSdkServiceWithAnotherCertificate_thenTheSdkRefusesIt() throws Exception {
        startWithPaymentsAndBilling();
        SSLContext serverTls = ServicePki.opensslServer(dir, "sdk", pki.caChain());
        List<X509Certificate> sdkCert = ServiceCredentials.certificates(Files.readString(dir.resolve("sdk.pem")));
        try (RemoteJwks keys = RemoteJwks.forIssuer(s.baseUrl(), s.clock, Duration.ofSeconds(1))) {
            TokenVerifier verifier = new TokenVerifier(s.baseUrl(), "ledger", null, keys, s.clock);
            com.sun.net.httpserver.HttpsServer sdk = com.sun.net.httpserver.HttpsServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            sdk.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(serverTls) {
                @Override
                public void configure(com.sun.net.httpserver.HttpsParameters params) {
                    javax.net.ssl.SSLParameters p = serverTls.getDefaultSSLParameters();
                    p.setWantClientAuth(true);
                    params.setSSLParameters(p);
                }
            });
            sdk.createContext("/", ex -> {
                try (ex) {
                    int status = 200;
                    String body;
                    try {
                        body = JdkHttpServerAdapter.verify(verifier, ex).subject();
                    } catch (AccessDeniedException e) {
                        status = e.status();
                        body = e.code();
                        ex.getResponseHeaders().set("WWW-Authenticate", e.wwwAuthenticate());
                    }
                    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(status, bytes.length);
                    ex.getResponseBody().write(bytes);
                }
            });
            sdk.start();
            try {
                String url = "https://127.0.0.1:" + sdk.getAddress().getPort() + "/ledger/entries";
                EnrollmentClient.Credentials payments = pki.enroll("payments");
                EnrollmentClient.Credentials billing = pki.enroll("billing");
                String token = pki.exchange(payments, "payments").json().path("access_token").asText();

                HttpResponse<String> ok = ServicePki.get(url, sdkCert, payments, token);
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                assertThat(ok.body()).isEqualTo("payments");

                HttpResponse<String> stolen = ServicePki.get(url, sdkCert, billing, token);
                assertThat(stolen.statusCode()).as("another certificate").isEqualTo(401);
                assertThat(stolen.headers().firstValue("WWW-Authenticate"))
                        .hasValue("Bearer error=\"invalid_token\", error_description=\"certificate_mismatch\"");
                HttpResponse<String> bare = ServicePki.get(url, sdkCert, null, token);
                assertThat(bare.statusCode()).as("no certificate").isEqualTo(401);
                assertThat(bare.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("certificate_required");
                // a service that verifies without the request's certificate cannot be fooled either
                assertThatThrownBy(() -> verifier.verify(token)).isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo("certificate_required"));
            } finally {
                sdk.stop(0);
            }
        }
    }
}
