package io.imsm.server.pki;

import io.imsm.protocol.CertificateEnrollment;
import io.imsm.protocol.ServiceCredentials;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The service side of enrollment and renewal ({@code imsm svc enroll}, tests, benchmarks): the
 * protocol library's {@link CertificateEnrollment} (shared with the SDK and imsm-proxy), which makes
 * the P-256 key locally (it never leaves the service), sends only a CSR, and writes {@code key.pem}
 * (0600), {@code cert.pem} and {@code chain.pem}.
 */
public final class EnrollmentClient {
    public static final String KEY_FILE = ServiceCredentials.KEY_FILE;
    public static final String CERT_FILE = ServiceCredentials.CERT_FILE;
    public static final String CHAIN_FILE = ServiceCredentials.CHAIN_FILE;

    /** A service's credentials: its key, its certificate and the chain above it. */
    public record Credentials(PrivateKey key, X509Certificate certificate, List<X509Certificate> chain) {
        static Credentials of(ServiceCredentials c) {
            return new Credentials(c.key(), c.certificate(), c.chain());
        }

        public ServiceCredentials toServiceCredentials() {
            return new ServiceCredentials(key, certificate, chain);
        }
    }

    private final SecureRandom random;
    private final CertificateEnrollment enrollment;

    public EnrollmentClient(SecureRandom random) {
        this.random = Objects.requireNonNull(random);
        this.enrollment = new CertificateEnrollment(random);
    }

    public KeyPair newKey() {
        return CertificateAuthority.newP256(random);
    }

    /** A PKCS#10 request in PEM, signed with the key (proof of possession). */
    public static String csr(KeyPair key, String commonName) {
        return CertificateEnrollment.csr(key, commonName);
    }

    /** Enrolls with a one-time join token; {@code trust} verifies the server (null: the JDK's default trust). */
    public Credentials enroll(URI base, String joinToken, List<X509Certificate> trust) {
        return Credentials.of(enrollment.enroll(base, joinToken, trust));
    }

    /** Renews over mTLS with the current, still valid credentials; the new certificate gets a new key. */
    public Credentials renew(URI base, Credentials current, List<X509Certificate> trust) {
        return Credentials.of(enrollment.renew(base, current.toServiceCredentials(), trust));
    }

    /**
     * A TLS context that trusts {@code trust} (null: the JDK's defaults) and presents {@code client}'s
     * certificate when the server asks (null: none).
     */
    public static SSLContext sslContext(List<X509Certificate> trust, Credentials client) {
        return CertificateEnrollment.sslContext(trust, client == null ? null : client.toServiceCredentials());
    }

    /** Writes {@code key.pem} (created 0600 before any byte is written), {@code cert.pem} and {@code chain.pem}. */
    public static void write(Path dir, Credentials c) throws IOException {
        c.toServiceCredentials().write(dir);
    }

    /** Reads what {@link #write} wrote. */
    public static Credentials read(Path dir) throws IOException {
        return Credentials.of(ServiceCredentials.read(dir));
    }
}
