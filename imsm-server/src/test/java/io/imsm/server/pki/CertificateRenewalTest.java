package io.imsm.server.pki;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.imsm.protocol.CertificateEnrollment;
import io.imsm.protocol.ServiceCredentials;
import io.imsm.proxy.ImsmProxy;
import io.imsm.sdk.CertificateRenewer;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Automatic renewal at two thirds of the certificate's lifetime (docs/pki.md), by the SDK's
 * {@link CertificateRenewer} and by imsm-proxy, against the real server over real TLS. The server's
 * certificates live an hour here; the test clock starts 40 minutes in the past, so that at two thirds
 * of the first certificate's life it is about now: the renewed certificate is valid in real time too,
 * for {@code openssl verify} and for the TLS stacks that check it.
 */
class CertificateRenewalTest {
    TestServer s;
    ServicePki pki;
    CertificateRenewer renewer;
    ImsmProxy proxy;
    HttpsServer upstream;
    @TempDir Path dir;

    @AfterEach
    void stop() {
        if (renewer != null) {
            renewer.close();
        }
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

    /** The server with hour-long certificates, the clock 40 minutes back, "payments" enrolled into {@code dir/creds}. */
    ServiceCredentials startAndEnroll() throws Exception {
        s = TestServer.start(TestDatabases.Kind.H2, new HashMap<>(Map.of("tls.port", "0", "pki.certificate_ttl_seconds", "3600")));
        s.clock.set(Instant.now().minus(Duration.ofMinutes(40)));
        pki = new ServicePki(s);
        pki.register("payments", List.of("ledger"));
        EnrollmentClient.write(dir.resolve("creds"), pki.enroll("payments"));
        Files.writeString(dir.resolve("imsm-ca.pem"), s.client().get("/api/v1/ca").body());
        return ServiceCredentials.read(dir.resolve("creds"));
    }

    CertificateRenewer.Builder renewerFor(URI imsm) {
        return CertificateRenewer.builder(dir.resolve("creds"), imsm, pki.caChain()).clock(s.clock).checkInterval(Duration.ofMillis(50));
    }

    /** The {@code cnf.x5t#S256} of the token IMSM issues for the certificate {@code ssl} presents. */
    String boundTo(SSLContext ssl) throws Exception {
        Http.Res r = pki.exchange(ssl, "payments");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        String payload = r.json().path("access_token").asText().split("\\.")[1];
        return Http.JSON.readTree(java.util.Base64.getUrlDecoder().decode(payload)).path("cnf").path("x5t#S256").asText();
    }

    @Test
    void whenTwoThirdsOfTheLifetimeHavePassed_thenTheSdkRenewsWithANewKey_andTheNewCertificateVerifies() throws Exception {
        ServiceCredentials first = startAndEnroll();
        renewer = renewerFor(URI.create(s.tlsBaseUrl())).start();
        assertThat(boundTo(renewer.sslContext())).as("the SDK's TLS presents the enrolled certificate")
                .isEqualTo(ServiceCredentials.x5tS256(first.certificate()));

        s.clock.set(first.renewAt().minusSeconds(5));
        Thread.sleep(300);
        assertThat(renewer.current().serialHex()).as("not before two thirds of the lifetime").isEqualTo(first.serialHex());

        s.clock.set(first.renewAt().plusSeconds(1));
        ServicePki.await("renewed", 15, () -> !renewer.current().serialHex().equals(first.serialHex()));
        ServiceCredentials second = renewer.current();
        assertThat(second.certificate().getPublicKey()).as("a new key").isNotEqualTo(first.certificate().getPublicKey());
        assertThat(second.notAfter()).isAfter(first.notAfter());
        assertThat(renewer.state()).isEqualTo(CertificateRenewer.State.CURRENT);

        // the new files: the new certificate with its key, the key 0600, and openssl verifies the certificate
        ServiceCredentials onDisk = ServiceCredentials.read(dir.resolve("creds"));
        assertThat(onDisk.serialHex()).isEqualTo(second.serialHex());
        assertThat(onDisk.key().getEncoded()).isEqualTo(second.key().getEncoded());
        assertThat(Files.getPosixFilePermissions(dir.resolve("creds/key.pem")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(ServiceIdentityContract.run(dir, "openssl", "verify", "-CAfile", "imsm-ca.pem", "creds/cert.pem"))
                .contains("creds/cert.pem: OK");

        // new handshakes present the new certificate; the old one keeps working until it expires
        assertThat(boundTo(renewer.sslContext())).isEqualTo(ServiceCredentials.x5tS256(second.certificate()));
        assertThat(boundTo(CertificateEnrollment.sslContext(pki.caChain(), first))).isEqualTo(ServiceCredentials.x5tS256(first.certificate()));

        // expired: renewal cannot work any more (IMSM agrees), a new enrollment in the directory is taken up
        s.clock.set(second.notAfter().plusSeconds(1));
        ServicePki.await("needs a join token", 10, () -> renewer.state() == CertificateRenewer.State.NEEDS_JOIN_TOKEN);
        assertThatThrownBy(() -> new CertificateEnrollment(new SecureRandom()).renew(URI.create(s.tlsBaseUrl()), second, pki.caChain()))
                .isInstanceOfSatisfying(CertificateEnrollment.EnrollmentException.class, e -> {
                    assertThat(e.code()).isEqualTo("client_certificate_expired");
                    assertThat(e.needsNewJoinToken()).isTrue();
                });
        assertThat(renewer.current().serialHex()).isEqualTo(second.serialHex());
        EnrollmentClient.write(dir.resolve("creds"), pki.enroll("payments"));
        ServicePki.await("the new enrollment taken up", 10, () -> renewer.state() == CertificateRenewer.State.CURRENT
                && !renewer.current().serialHex().equals(second.serialHex()));
    }

    @Test
    void whenImsmIsUnreachable_thenTheRenewerRetriesWithBackoff_andARevokedCertificateNeedsAJoinToken() throws Exception {
        ServiceCredentials first = startAndEnroll();
        int closedPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = free.getLocalPort();
        }
        renewer = renewerFor(URI.create("https://127.0.0.1:" + closedPort)).start();
        s.clock.set(first.renewAt().plusSeconds(1));
        ServicePki.await("first failure", 10, () -> renewer.consecutiveFailures() == 1);
        assertThat(renewer.state()).isEqualTo(CertificateRenewer.State.RETRYING);
        Thread.sleep(300);
        assertThat(renewer.consecutiveFailures()).as("no retry before the 5 s backoff").isEqualTo(1);
        s.clock.advance(Duration.ofSeconds(5));
        ServicePki.await("second failure", 10, () -> renewer.consecutiveFailures() == 2);
        s.clock.advance(Duration.ofSeconds(5));
        Thread.sleep(300);
        assertThat(renewer.consecutiveFailures()).as("the backoff doubled to 10 s").isEqualTo(2);
        assertThat(ServiceCredentials.read(dir.resolve("creds")).serialHex()).as("the files are untouched").isEqualTo(first.serialHex());
        renewer.close();

        // IMSM reachable, but the certificate was revoked: only a join token helps
        assertThat(pki.revoke(first.certificate()).status()).isEqualTo(200);
        renewer = renewerFor(URI.create(s.tlsBaseUrl())).start();
        ServicePki.await("needs a join token", 10, () -> renewer.state() == CertificateRenewer.State.NEEDS_JOIN_TOKEN);
        assertThat(renewer.current().serialHex()).isEqualTo(first.serialHex());
    }

    @Test
    void whenTheProxysCertificateIsRenewed_thenNewUpstreamConnectionsPresentTheNewCertificate() throws Exception {
        ServiceCredentials first = startAndEnroll();
        // an HTTPS upstream that requires a client certificate of IMSM's CA and answers with its serial
        SSLContext upstreamTls = ServicePki.opensslServer(dir, "upstream", pki.caChain());
        upstream = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setHttpsConfigurator(new HttpsConfigurator(upstreamTls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = upstreamTls.getDefaultSSLParameters();
                p.setNeedClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        upstream.createContext("/", ex -> {
            try (ex) {
                X509Certificate client = (X509Certificate) ((HttpsExchange) ex).getSSLSession().getPeerCertificates()[0];
                byte[] body = serialHex(client.getSerialNumber()).getBytes(StandardCharsets.US_ASCII);
                ex.getResponseHeaders().set("Connection", "close"); // every request a new connection, a new handshake
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        upstream.start();
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen: {host: 127.0.0.1, port: 0}
                upstream: {url: "https://127.0.0.1:%d", ca_file: upstream.pem}
                imsm: {issuer: "%s"}
                service: {id: payments}
                identity: {dir: creds, imsm_url: "%s", ca_file: imsm-ca.pem}
                routes:
                  - {prefix: /, public: true}
                """.formatted(upstream.getAddress().getPort(), s.baseUrl(), s.tlsBaseUrl()));
        proxy = ImsmProxy.start(dir.resolve("proxy.yaml"), s.clock);

        assertThat(callProxy()).as("the upstream sees the enrolled certificate").isEqualTo(first.serialHex());
        s.clock.set(first.renewAt().plusSeconds(1));
        ServicePki.await("the proxy renewed", 15, () -> !proxy.identity().current().serialHex().equals(first.serialHex()));
        String renewed = proxy.identity().current().serialHex();
        assertThat(ServiceCredentials.read(dir.resolve("creds")).serialHex()).isEqualTo(renewed);
        assertThat(callProxy()).as("a new connection presents the renewed certificate").isEqualTo(renewed);
        assertThat(ServiceIdentityContract.run(dir, "openssl", "verify", "-CAfile", "imsm-ca.pem", "creds/cert.pem"))
                .contains("creds/cert.pem: OK");
        Http.Res health = new Http("http://127.0.0.1:" + proxy.port()).get("/healthz");
        assertThat(health.json().path("certificate").asText()).isEqualTo("current");
    }

    String callProxy() throws Exception {
        try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/who"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return r.body();
        }
    }

    static String serialHex(BigInteger serial) {
        return Pem.serialHex(serial);
    }
}
