package io.imsm.proxy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.protocol.Kx1;
import io.imsm.sdk.MockIms;
import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy on HTTPS asking for client certificates: a token bound to a certificate
 * ({@code cnf.x5t#S256}, RFC 8705) passes only with that certificate; an unbound token needs none.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyTlsTest {
    final MutableClock clock = MutableClock.startingNow();
    TestPki pki;
    TestPki.Issued alice;
    TestPki.Issued bob;
    PlainUpstream upstream;
    MockIms ims;
    ImsmProxy proxy;

    @BeforeAll
    void start() throws Exception {
        Path dir = Files.createTempDirectory("imsm-proxy-tls");
        pki = new TestPki();
        TestPki.Issued server = pki.server();
        alice = pki.client("alice");
        bob = pki.client("bob");
        TestPki.writeCertificate(dir.resolve("server.pem"), server.certificate(), pki.ca.certificate());
        TestPki.writeKey(dir.resolve("server-key.pem"), server.keys());
        TestPki.writeCertificate(dir.resolve("ca.pem"), pki.ca.certificate());
        ECKey unused = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
        ims = MockIms.serve("orders", unused.toPublicJWK(), clock);
        upstream = new PlainUpstream();
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen:
                  host: 127.0.0.1
                  port: 0
                  tls: {cert_file: server.pem, key_file: server-key.pem, client_ca_file: ca.pem}
                upstream: {url: "%s"}
                imsm: {issuer: "%s", crl_refresh_seconds: 0}
                service: {id: orders}
                """.formatted(upstream.url(), ims.issuer()));
        proxy = ImsmProxy.start(dir.resolve("proxy.yaml"), clock);
    }

    @AfterAll
    void stop() {
        proxy.close();
        ims.close();
        upstream.close();
    }

    /** An IMS-signed (ES256) token, bound to {@code boundTo} when given, as IMSM's certificate exchange issues them. */
    String token(TestPki.Issued boundTo) throws Exception {
        Instant now = clock.instant();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ims.issuer()).subject("alice").audience("orders")
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).jwtID(Kx1.newId(new SecureRandom()))
                .claim("scope", "orders:read");
        if (boundTo != null) {
            claims.claim("cnf", Map.of("x5t#S256", io.imsm.protocol.ServiceCredentials.x5tS256(boundTo.certificate())));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(ims.signingKey().getKeyID()).build(),
                claims.build());
        jwt.sign(new ECDSASigner(ims.signingKey()));
        return jwt.serialize();
    }

    HttpResponse<String> call(TestPki.Issued presenting, String token) throws Exception {
        SSLContext ctx = pki.clientContext(presenting);
        try (HttpClient client = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port() + "/orders"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void whenBoundTokenWithItsCertificate_thenForwarded() throws Exception {
        HttpResponse<String> r = call(alice, token(alice));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"x-auth-request-user\":\"alice\"").contains("\"x-forwarded-proto\":\"https\"");
    }

    @Test
    void whenBoundTokenWithAnotherCertificate_then401CertificateMismatch() throws Exception {
        HttpResponse<String> r = call(bob, token(alice));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\", error_description=\"certificate_mismatch\"");
        assertThat(r.headers().firstValue("X-Upstream")).isEmpty();
    }

    @Test
    void whenBoundTokenWithoutACertificate_then401CertificateRequired() throws Exception {
        HttpResponse<String> r = call(null, token(alice));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("certificate_required");
    }

    @Test
    void whenUnboundToken_thenForwardedWithOrWithoutACertificate() throws Exception {
        assertThat(call(null, token(null)).statusCode()).isEqualTo(200);
        assertThat(call(bob, token(null)).statusCode()).isEqualTo(200);
    }
}
