package io.imsm.protocol;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The service side of enrollment and renewal (docs/pki.md), for {@code imsm svc enroll}, the SDK and
 * imsm-proxy: makes a P-256 key locally (it never leaves the service), sends only a PKCS#10 CSR
 * (RFC 2986) over TLS, and reads the answer with a deadline and a size limit.
 */
public final class CertificateEnrollment {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** An answer is a certificate and a short chain: a few KB. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    /**
     * IMSM refused (or could not be asked). {@link #status} is the HTTP status (0: no answer), {@link #code}
     * IMSM's error code when it sent one, e.g. {@code client_certificate_expired}. Never holds key material.
     */
    public static final class EnrollmentException extends RuntimeException {
        private final int status;
        private final String code;

        public EnrollmentException(int status, String code, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
            this.code = code;
        }

        public int status() { return status; }

        /** IMSM's error code, or {@code null}. */
        public String code() { return code; }

        /** The certificate presented for renewal has expired or was revoked: only a new join token helps. */
        public boolean needsNewJoinToken() {
            return "client_certificate_expired".equals(code) || "client_certificate_revoked".equals(code);
        }
    }

    private final SecureRandom random;

    public CertificateEnrollment(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    public KeyPair newKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no P-256 in this JDK", e);
        }
    }

    /** A PKCS#10 request in PEM for an EC key, signed with it (proof of possession), ecdsa-with-SHA256. */
    public static String csr(KeyPair key, String commonName) {
        try {
            CertificationRequestInfo info = new CertificationRequestInfo(new X500Name("CN=" + commonName),
                    SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()), new DERSet());
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key.getPrivate());
            s.update(info.getEncoded("DER"));
            CertificationRequest req = new CertificationRequest(info, new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256),
                    new DERBitString(s.sign()));
            return ServiceCredentials.pem("CERTIFICATE REQUEST", req.getEncoded("DER"));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the CSR", e);
        }
    }

    /** Enrolls with a one-time join token; {@code trust} verifies the server (null: the JDK's default trust). */
    public ServiceCredentials enroll(URI base, String joinToken, List<X509Certificate> trust) {
        KeyPair key = newKey();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", joinToken);
        body.put("csr", csr(key, "enrolling-service"));
        return post(sslContext(trust, null), base.resolve("/api/v1/enroll"), body, key);
    }

    /**
     * Renews over mTLS with the current, still valid credentials; the new certificate gets a new key.
     *
     * @throws EnrollmentException IMSM refused ({@link EnrollmentException#needsNewJoinToken()} once the
     *                             certificate has expired or was revoked) or could not be reached
     */
    public ServiceCredentials renew(URI base, ServiceCredentials current, List<X509Certificate> trust) {
        KeyPair key = newKey();
        return post(sslContext(trust, current), base.resolve("/api/v1/renew"), Map.of("csr", csr(key, "renewing-service")), key);
    }

    private ServiceCredentials post(SSLContext ssl, URI uri, Map<String, Object> body, KeyPair key) {
        try (HttpClient http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build()) {
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(body))).build();
            HttpResponse<InputStream> res = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            byte[] answer;
            try (InputStream in = res.body()) {
                answer = in.readNBytes(MAX_ANSWER_BYTES + 1); // the request's timeout bounds the whole exchange
            }
            if (answer.length > MAX_ANSWER_BYTES) {
                throw new EnrollmentException(res.statusCode(), null, uri + " answered more than " + MAX_ANSWER_BYTES + " bytes", null);
            }
            Map<String, Object> json = parse(answer, res.statusCode(), uri);
            if (res.statusCode() != 201) {
                Object detail = json.getOrDefault("detail", json.getOrDefault("error_description", ""));
                Object code = json.get("code");
                throw new EnrollmentException(res.statusCode(), code instanceof String c ? c : null,
                        uri + " answered HTTP " + res.statusCode() + (code == null ? "" : " " + code) + ": " + detail, null);
            }
            Object cert = json.get("certificate");
            if (!(cert instanceof String certPem)) {
                throw new EnrollmentException(res.statusCode(), null, uri + " answered without a certificate", null);
            }
            List<X509Certificate> certs = ServiceCredentials.certificates(certPem);
            if (certs.isEmpty()) {
                throw new EnrollmentException(res.statusCode(), null, uri + " answered without a certificate", null);
            }
            List<X509Certificate> chain = new ArrayList<>();
            if (json.get("chain") instanceof List<?> pems) {
                for (Object p : pems) {
                    if (p instanceof String s && chain.size() < ServiceCredentials.MAX_CERTIFICATES) {
                        chain.addAll(ServiceCredentials.certificates(s));
                    }
                }
            }
            ServiceCredentials issued = new ServiceCredentials(key.getPrivate(), certs.getFirst(), chain);
            if (!issued.keyMatchesCertificate()) {
                throw new EnrollmentException(res.statusCode(), null, uri + " answered a certificate for another key", null);
            }
            return issued;
        } catch (IOException e) {
            throw new EnrollmentException(0, null, "cannot reach " + uri + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new EnrollmentException(0, null, uri + " answered an unreadable certificate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnrollmentException(0, null, "interrupted", e);
        }
    }

    private static Map<String, Object> parse(byte[] answer, int status, URI uri) {
        try {
            return JSONObjectUtils.parse(new String(answer, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new EnrollmentException(status, null, uri + " answered HTTP " + status + " without JSON", e);
        }
    }

    /**
     * A TLS context that trusts {@code trust} (null: the JDK's defaults) and presents {@code client}'s
     * certificate when the server asks (null: none).
     */
    public static SSLContext sslContext(List<X509Certificate> trust, ServiceCredentials client) {
        try {
            KeyManager[] keys = null;
            if (client != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", client.key(), new char[0], client.fullChain().toArray(X509Certificate[]::new));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
                keys = kmf.getKeyManagers();
            }
            return sslContextWith(trust, keys);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** A TLS context that trusts {@code trust} (null: the JDK's defaults) with the given key managers (null: none). */
    public static SSLContext sslContextWith(List<X509Certificate> trust, KeyManager[] keys) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trust == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore ts = KeyStore.getInstance("PKCS12");
                ts.load(null, null);
                for (int i = 0; i < trust.size(); i++) {
                    ts.setCertificateEntry("ca" + i, trust.get(i));
                }
                tmf.init(ts);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }
}
