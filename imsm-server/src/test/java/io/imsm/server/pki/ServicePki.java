package io.imsm.server.pki;

import io.imsm.protocol.CertificateEnrollment;
import io.imsm.protocol.ServiceCredentials;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestServer;

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
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** What the service-identity tests do against the real server: register, enroll, exchange a certificate for a token. */
final class ServicePki {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private final TestServer s;

    ServicePki(TestServer s) {
        this.s = s;
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

    String joinToken(String service) {
        Http.Res r = s.client().postJson("/api/v1/admin/services/" + service + "/join-tokens", Map.of(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("join_token").asText();
    }

    EnrollmentClient.Credentials enroll(String service) {
        return new EnrollmentClient(new SecureRandom()).enroll(URI.create(s.tlsBaseUrl()), joinToken(service), caChain());
    }

    Http.Res exchange(EnrollmentClient.Credentials creds, String service) {
        return exchange(EnrollmentClient.sslContext(caChain(), creds), service);
    }

    /** {@code /oauth2/token} over mTLS with whatever certificate {@code ssl} presents. */
    Http.Res exchange(SSLContext ssl, String service) {
        return new Http(s.tlsBaseUrl(), ssl).postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", service));
    }

    Http.Res revoke(X509Certificate cert) {
        return s.client().postJson("/api/v1/admin/certificates/" + Pem.serialHex(cert.getSerialNumber()) + "/revoke", Map.of(),
                "Authorization", BEARER);
    }

    /** GET {@code url} over TLS presenting {@code presenting}'s certificate (null: none), with a bearer token (null: none). */
    static HttpResponse<String> get(String url, List<X509Certificate> trust, EnrollmentClient.Credentials presenting, String token)
            throws Exception {
        SSLContext ctx = EnrollmentClient.sslContext(trust, presenting);
        try (HttpClient c = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
            if (token != null) {
                req.header("Authorization", "Bearer " + token);
            }
            return c.send(req.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /**
     * A self-signed P-256 server certificate for 127.0.0.1 made by openssl: {@code dir/NAME.pem} and
     * {@code dir/NAME-key.pem}; returns a TLS context serving it that trusts {@code clientCas} for client certificates.
     */
    static SSLContext opensslServer(Path dir, String name, List<X509Certificate> clientCas) throws Exception {
        ServiceIdentityContract.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + ".pem", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-days", "2");
        return CertificateEnrollment.sslContext(clientCas, new ServiceCredentials(
                ServiceCredentials.privateKey(Files.readString(dir.resolve(name + "-key.pem"))),
                ServiceCredentials.certificates(Files.readString(dir.resolve(name + ".pem"))).getFirst(), List.of()));
    }

    /** Waits (at most {@code seconds}) for a condition a background task makes true. */
    static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
