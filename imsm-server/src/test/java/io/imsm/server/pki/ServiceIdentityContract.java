package io.imsm.server.pki;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Service identity end to end over real TLS: join token → enrollment → certificate that openssl
 * verifies → mTLS token request → certificate-bound JWT; revocation (token refused at once, serial in
 * the CRL that openssl parses), renewal before and after expiry. Run on H2 and PostgreSQL.
 */
abstract class ServiceIdentityContract {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String SERVICE = "payments";
    TestServer s;
    @TempDir Path dir;

    abstract TestDatabases.Kind kind();

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    void start(Map<String, String> extra) {
        Map<String, String> o = new HashMap<>(Map.of("tls.port", "0"));
        o.putAll(extra);
        s = TestServer.start(kind(), o);
        Http admin = s.client();
        Map<String, Object> svc = Map.of("id", SERVICE, "name", "Payments", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("pay:write"));
        assertThat(admin.putJson("/api/v1/admin/services/" + SERVICE, svc, "Authorization", BEARER).status()).isEqualTo(201);
    }

    String joinToken() {
        Http.Res r = s.client().postJson("/api/v1/admin/services/" + SERVICE + "/join-tokens", Map.of(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.header("Cache-Control")).isEqualTo("no-store");
        return r.json().path("join_token").asText();
    }

    List<X509Certificate> caChain() {
        Http.Res r = s.client().get("/api/v1/ca");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/x-pem-file");
        return Pem.certificates(r.body());
    }

    EnrollmentClient.Credentials enroll(String token) {
        return new EnrollmentClient(new SecureRandom()).enroll(java.net.URI.create(s.tlsBaseUrl()), token, caChain());
    }

    Http mtls(EnrollmentClient.Credentials creds) {
        return new Http(s.tlsBaseUrl(), EnrollmentClient.sslContext(caChain(), creds));
    }

    static Http.Res token(Http c, String clientId) {
        return c.postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", clientId));
    }

    static String run(Path workDir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        boolean done = p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    @Test
    void whenServiceEnrollsOverTls_thenOpensslVerifiesAndTheTokenIsBoundToTheCertificate() throws Exception {
        start(Map.of());
        assertThat(s.client().putJson("/api/v1/admin/services/" + SERVICE + "/identity", Map.of("roles", List.of("ledger-writer"),
                "audiences", List.of("ledger"), "claims", Map.of("team", "payments"), "token_ttl_seconds", 600), "Authorization", BEARER)
                .status()).isEqualTo(200);
        String token = joinToken();
        EnrollmentClient.Credentials creds = enroll(token);
        EnrollmentClient.write(dir, creds);
        Files.writeString(dir.resolve("ca.pem"), s.client().get("/api/v1/ca").body());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("key.pem")))).isEqualTo("rw-------");

        assertThat(run(dir, "openssl", "verify", "-CAfile", "ca.pem", "cert.pem")).contains("cert.pem: OK");
        String text = run(dir, "openssl", "x509", "-in", "cert.pem", "-noout", "-text");
        assertThat(text).contains("URI:spiffe://imsm.local/service/payments").contains("TLS Web Client Authentication")
                .contains("Digital Signature").contains("CA:FALSE");
        String serial = run(dir, "openssl", "x509", "-in", "cert.pem", "-noout", "-serial").trim();
        assertThat(Duration.between(creds.certificate().getNotBefore().toInstant(), creds.certificate().getNotAfter().toInstant()))
                .isEqualTo(Duration.ofHours(24).plusMinutes(1));

        // the join token is single use
        assertThatThrownBy(() -> enroll(token)).hasMessageContaining("HTTP 401");
        Http.Res again = s.client().postJson("/api/v1/enroll", Map.of("join_token", token,
                "csr", EnrollmentClient.csr(new EnrollmentClient(new SecureRandom()).newKey(), "x")));
        assertThat(again.code()).isEqualTo("invalid_join_token");

        Http.Res listed = s.client().get("/api/v1/admin/certificates?service=" + SERVICE, "Authorization", BEARER);
        assertThat(listed.json().path("certificates").get(0).path("serial").asText()).isEqualTo(serial.substring("serial=".length()));
        assertThat(listed.json().path("certificates").get(0).path("status").asText()).isEqualTo("valid");

        // certificate → JWT over mTLS
        Http service = mtls(creds);
        Http.Res issued = token(service, SERVICE);
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        assertThat(issued.json().path("token_type").asText()).isEqualTo("Bearer");
        assertThat(issued.json().path("expires_in").asLong()).isEqualTo(600);
        SignedJWT jwt = SignedJWT.parse(issued.json().path("access_token").asText());
        ECKey key = (ECKey) JWKSet.parse(s.client().get("/.well-known/jwks.json").body()).getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
        assertThat(jwt.getHeader().getType().getType()).isEqualTo("at+jwt");
        var claims = jwt.getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(SERVICE);
        assertThat(claims.getStringClaim("client_id")).isEqualTo(SERVICE);
        assertThat(claims.getAudience()).containsExactly("ledger");
        assertThat(claims.getStringListClaim("roles")).containsExactly("ledger-writer");
        assertThat(claims.getStringClaim("team")).isEqualTo("payments");
        assertThat(claims.getIssuer()).isEqualTo(s.server.baseUrl());
        String x5t = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(creds.certificate().getEncoded()));
        assertThat(claims.getJSONObjectClaim("cnf")).isEqualTo(Map.of("x5t#S256", x5t));
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant())).isEqualTo(Duration.ofSeconds(600));

        // the certificate names one service only; no certificate, no token
        Http.Res other = token(service, "someone-else");
        assertThat(other.status()).isEqualTo(401);
        assertThat(other.json().path("error").asText()).isEqualTo("invalid_client");
        Http.Res anonymous = token(new Http(s.tlsBaseUrl(), EnrollmentClient.sslContext(caChain(), null)), SERVICE);
        // without a certificate the request is an ordinary client_credentials one, with no client authentication
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.json().path("error").asText()).isEqualTo("invalid_client");
        assertThat(token(s.client(), SERVICE).status()).as("plain HTTP has no certificate").isEqualTo(401);

        // revoked (serial as openssl prints it): refused at once, listed in the CRL
        Http.Res revoked = s.client().postJson("/api/v1/admin/certificates/" + serial + "/revoke", Map.of(), "Authorization", BEARER);
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        assertThat(revoked.json().path("status").asText()).isEqualTo("revoked");
        Http.Res refused = token(service, SERVICE);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("code").asText()).isEqualTo("client_certificate_revoked");
        Http.Res crl = s.client().get("/api/v1/ca/crl");
        assertThat(crl.header("Content-Type")).isEqualTo("application/pkix-crl");
        byte[] der = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(s.baseUrl() + "/api/v1/ca/crl")).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
        Files.write(dir.resolve("crl.der"), der);
        String crlText = run(dir, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text");
        assertThat(crlText).contains("Serial Number: " + serial.substring("serial=".length()));
        run(dir, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-noout");
        assertThat(mtls(creds).postJson("/api/v1/renew", Map.of("csr", "x")).code()).isEqualTo("client_certificate_revoked");
    }

    @Test
    void whenJoinTokenExpired_thenEnrollmentIsRefused() {
        start(Map.of());
        String token = joinToken();
        s.clock.advance(Duration.ofSeconds(3601));
        assertThatThrownBy(() -> enroll(token)).hasMessageContaining("HTTP 401");
    }

    @Test
    void whenRenewedBeforeExpiry_thenNewCertificate_andAfterExpiryOnlyANewJoinTokenHelps() {
        start(Map.of());
        EnrollmentClient.Credentials first = enroll(joinToken());
        s.clock.advance(Duration.ofHours(16));
        EnrollmentClient client = new EnrollmentClient(new SecureRandom());
        EnrollmentClient.Credentials renewed = client.renew(java.net.URI.create(s.tlsBaseUrl()), first, caChain());
        assertThat(renewed.certificate().getSerialNumber()).isNotEqualTo(first.certificate().getSerialNumber());
        assertThat(renewed.certificate().getPublicKey()).isNotEqualTo(first.certificate().getPublicKey());
        assertThat(renewed.certificate().getNotAfter()).isAfter(first.certificate().getNotAfter());
        assertThat(token(mtls(renewed), SERVICE).status()).isEqualTo(200);

        s.clock.advance(Duration.ofHours(25));
        Http.Res expired = mtls(renewed).postJson("/api/v1/renew", Map.of("csr", EnrollmentClient.csr(client.newKey(), "x")));
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.code()).isEqualTo("client_certificate_expired");
        assertThat(token(mtls(renewed), SERVICE).json().path("code").asText()).isEqualTo("client_certificate_expired");
        EnrollmentClient.Credentials fresh = enroll(joinToken());
        assertThat(token(mtls(fresh), SERVICE).status()).isEqualTo(200);
    }

    @Test
    void whenKeysAreListed_thenEachServiceHasItsCurrentCertificates() {
        start(Map.of());
        EnrollmentClient.Credentials creds = enroll(joinToken());
        Http.Res keys = mtls(creds).get("/api/v1/services/keys");
        assertThat(keys.status()).as(keys.toString()).isEqualTo(200);
        JsonNode svc = keys.json().path("services").get(0);
        assertThat(svc.path("id").asText()).isEqualTo(SERVICE);
        assertThat(svc.path("spiffe_id").asText()).isEqualTo("spiffe://imsm.local/service/payments");
        assertThat(svc.path("certificates").get(0).path("serial").asText()).isEqualTo(Pem.serialHex(creds.certificate().getSerialNumber()));
        assertThat(Pem.certificates(svc.path("certificates").get(0).path("certificate").asText()).getFirst()).isEqualTo(creds.certificate());
        assertThat(s.client().get("/api/v1/services/keys").status()).as("strangers").isEqualTo(401);
    }
}
