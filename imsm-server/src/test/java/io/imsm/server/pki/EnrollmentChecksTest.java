package io.imsm.server.pki;

import io.imsm.server.app.MainTestAccess;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static io.imsm.server.pki.ServiceIdentityContract.BEARER;
import static io.imsm.server.pki.ServiceIdentityContract.run;
import static org.assertj.core.api.Assertions.assertThat;

/** What enrollment refuses, who may do what, forwarded certificates, the CLI, and an operator's root. */
class EnrollmentChecksTest {
    TestServer s;
    @TempDir Path dir;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    void start(Map<String, String> overrides) {
        s = TestServer.start(TestDatabases.Kind.H2, overrides);
        assertThat(s.client().putJson("/api/v1/admin/services/payments", Map.of("id", "payments", "name", "Payments", "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("pay:write")), "Authorization", BEARER).status()).isEqualTo(201);
    }

    String joinToken() {
        return s.client().postJson("/api/v1/admin/services/payments/join-tokens", Map.of(), "Authorization", BEARER)
                .json().path("join_token").asText();
    }

    static String csr(KeyPair key, String algorithm) throws Exception {
        var req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=x"), key.getPublic())
                .build(new JcaContentSignerBuilder(algorithm).build(key.getPrivate()));
        return Pem.encode("CERTIFICATE REQUEST", req.getEncoded());
    }

    @Test
    void whenCsrIsNotAcceptable_thenRefused_andTheJoinTokenIsNotSpent() throws Exception {
        start(Map.of("tls.port", "-1"));
        String token = joinToken();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
        KeyPair p256 = new EnrollmentClient(new SecureRandom()).newKey();
        String good = EnrollmentClient.csr(p256, "x");
        String forged = EnrollmentClient.csr(new KeyPair(new EnrollmentClient(new SecureRandom()).newKey().getPublic(), p256.getPrivate()), "x");
        for (String bad : List.of(csr(rsa.generateKeyPair(), "SHA256withRSA"), csr(p384.generateKeyPair(), "SHA384withECDSA"), forged,
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", good + good, "x".repeat(5000))) {
            Http.Res r = s.client().postJson("/api/v1/enroll", Map.of("join_token", token, "csr", bad));
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("invalid_csr");
        }
        Http.Res ok = s.client().postJson("/api/v1/enroll", Map.of("join_token", token, "csr", good));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        assertThat(ok.json().path("spiffe_id").asText()).isEqualTo("spiffe://imsm.local/service/payments");
        assertThat(s.client().postJson("/api/v1/enroll", Map.of("join_token", "nonsense", "csr", good)).code()).isEqualTo("invalid_join_token");
    }

    @Test
    void whenNotAnAdmin_thenNoJoinTokensListsOrRevocations() {
        start(Map.of("tls.port", "-1"));
        People.Person ana = People.ready(s, "ana", List.of("ops"));
        Http c = s.client();
        People.login(s, c, ana);
        assertThat(c.postJson("/api/v1/admin/services/payments/join-tokens", Map.of()).status()).isEqualTo(403);
        assertThat(c.get("/api/v1/admin/certificates").status()).isEqualTo(403);
        assertThat(c.postJson("/api/v1/admin/certificates/0A/revoke", Map.of()).status()).isEqualTo(403);
        assertThat(c.putJson("/api/v1/admin/services/payments/identity", Map.of("roles", List.of("x"))).status()).isEqualTo(403);
        assertThat(s.client().postJson("/api/v1/admin/services/nope/join-tokens", Map.of(), "Authorization", BEARER).status()).isEqualTo(404);
        Http.Res reserved = s.client().putJson("/api/v1/admin/services/payments/identity", Map.of("claims", Map.of("cnf", "x")),
                "Authorization", BEARER);
        assertThat(reserved.status()).isEqualTo(400);
        assertThat(c.get("/api/v1/services/keys").status()).as("a logged-in person reads the registry").isEqualTo(200);
    }

    @Test
    void whenCertificateIsForwarded_thenOnlyATrustedProxyIsBelieved() throws Exception {
        start(Map.of("tls.port", "-1", "server.trusted_proxies", "127.0.0.1"));
        KeyPair key = new EnrollmentClient(new SecureRandom()).newKey();
        Http.Res enrolled = s.client().postJson("/api/v1/enroll", Map.of("join_token", joinToken(), "csr", EnrollmentClient.csr(key, "x")));
        X509Certificate cert = Pem.certificates(enrolled.json().path("certificate").asText()).getFirst();
        String rfc9440 = ":" + Base64.getEncoder().encodeToString(cert.getEncoded()) + ":";
        String nginx = URLEncoder.encode(Pem.certificate(cert), StandardCharsets.US_ASCII);
        String body = "grant_type=client_credentials&client_id=payments";
        assertThat(s.client().postRaw("/oauth2/token", "application/x-www-form-urlencoded", body, "Client-Cert", rfc9440).status()).isEqualTo(200);
        assertThat(s.client().postRaw("/oauth2/token", "application/x-www-form-urlencoded", body, "X-Client-Cert", nginx).status()).isEqualTo(200);
        // a look-alike the CA never signed: same subject, same SPIFFE name, self-signed
        X500Name subject = new X500Name("CN=payments");
        X509Certificate forged = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()), cert.getSerialNumber(), cert.getNotBefore(), cert.getNotAfter(), subject,
                key.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new org.bouncycastle.asn1.x509.GeneralNames(
                        new org.bouncycastle.asn1.x509.GeneralName(6, "spiffe://imsm.local/service/payments")))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        Http.Res refused = s.client().postRaw("/oauth2/token", "application/x-www-form-urlencoded", body,
                "Client-Cert", ":" + Base64.getEncoder().encodeToString(forged.getEncoded()) + ":");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("code").asText()).isEqualTo("client_certificate_invalid");
        s.close();
        s = null;
        start(Map.of("tls.port", "-1"));
        Http.Res untrusted = s.client().postRaw("/oauth2/token", "application/x-www-form-urlencoded", body, "Client-Cert", rfc9440);
        assertThat(untrusted.status()).as("no trusted proxies: the header is ignored").isEqualTo(401);
        assertThat(untrusted.json().path("error").asText()).isEqualTo("invalid_client");
    }

    @Test
    void whenEnrolledFromTheCommandLine_thenKeyCertAndChainAreWritten() throws Exception {
        start(Map.of("tls.port", "0"));
        Files.writeString(dir.resolve("ca.pem"), s.client().get("/api/v1/ca").body());
        String out = MainTestAccess.svc("enroll", "--url", s.tlsBaseUrl(), "--ca-file", dir.resolve("ca.pem").toString(),
                "--join-token", joinToken(), "--out", dir.resolve("creds").toString());
        assertThat(out).endsWith("exit=0");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("creds/key.pem")))).isEqualTo("rw-------");
        assertThat(run(dir, "openssl", "verify", "-CAfile", "ca.pem", "creds/cert.pem")).contains("OK");
        String before = Files.readString(dir.resolve("creds/cert.pem"));
        assertThat(MainTestAccess.svc("renew", "--url", s.tlsBaseUrl(), "--ca-file", dir.resolve("ca.pem").toString(),
                "--dir", dir.resolve("creds").toString())).endsWith("exit=0");
        assertThat(Files.readString(dir.resolve("creds/cert.pem"))).isNotEqualTo(before);
        assertThat(MainTestAccess.svc("enroll", "--url", s.tlsBaseUrl(), "--ca-file", dir.resolve("ca.pem").toString(),
                "--join-token", "used-or-unknown", "--out", dir.resolve("other").toString())).contains("HTTP 401").endsWith("exit=2");
    }

    @Test
    void whenOperatorProvidesARoot_thenImsmIsAnIntermediateUnderIt() throws Exception {
        KeyPair root = new EnrollmentClient(new SecureRandom()).newKey();
        X500Name name = new X500Name("CN=Operator Root");
        X509Certificate rootCert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plusSeconds(86400L * 3650)), name, root.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(1))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(root.getPrivate())));
        Files.writeString(dir.resolve("root.pem"), Pem.certificate(rootCert));
        Files.writeString(dir.resolve("root.key"), Pem.privateKey(root.getPrivate()));
        start(Map.of("tls.port", "0", "pki.root_cert_file", dir.resolve("root.pem").toString(),
                "pki.root_key_file", dir.resolve("root.key").toString()));
        List<X509Certificate> chain = Pem.certificates(s.client().get("/api/v1/ca").body());
        assertThat(chain).hasSize(2);
        assertThat(chain.get(1)).isEqualTo(rootCert);
        EnrollmentClient.Credentials creds = new EnrollmentClient(new SecureRandom()).enroll(URI.create(s.tlsBaseUrl()), joinToken(),
                List.of(rootCert));
        EnrollmentClient.write(dir.resolve("creds"), creds);
        assertThat(run(dir, "openssl", "verify", "-CAfile", "root.pem", "-untrusted", "creds/chain.pem", "creds/cert.pem")).contains("OK");
    }
}
