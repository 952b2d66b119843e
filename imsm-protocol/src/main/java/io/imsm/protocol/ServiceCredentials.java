package io.imsm.protocol;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service's credentials from IMSM's certificate authority (docs/pki.md): the private key it made
 * itself, its certificate and the chain above it; on disk as {@code key.pem} (PKCS#8, 0600),
 * {@code cert.pem} and {@code chain.pem}, the files {@code imsm svc enroll} writes. Shared by the
 * server's command line, the SDK and imsm-proxy.
 */
public record ServiceCredentials(PrivateKey key, X509Certificate certificate, List<X509Certificate> chain) {
    public static final String KEY_FILE = "key.pem";
    public static final String CERT_FILE = "cert.pem";
    public static final String CHAIN_FILE = "chain.pem";
    /** More certificates than this in one PEM text is not a chain. */
    public static final int MAX_CERTIFICATES = 10;
    /** A credentials file larger than this is not one (a key and a short chain are a few KB). */
    private static final long MAX_FILE_BYTES = 64 * 1024;
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    public ServiceCredentials {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(certificate, "certificate");
        chain = List.copyOf(chain);
    }

    /** The certificate followed by its chain, as TLS presents it. */
    public List<X509Certificate> fullChain() {
        List<X509Certificate> all = new ArrayList<>(chain.size() + 1);
        all.add(certificate);
        all.addAll(chain);
        return all;
    }

    /** The serial in upper-case hex with an even number of digits, as {@code openssl x509 -serial} prints it. */
    public String serialHex() {
        String hex = certificate.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT);
        return hex.length() % 2 == 0 ? hex : "0" + hex;
    }

    /**
     * When to renew: two thirds into the certificate's validity (docs/pki.md), so a day-long
     * certificate is renewed with eight hours left for retries.
     */
    public Instant renewAt() {
        Instant from = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(from, certificate.getNotAfter().toInstant());
        return from.plus(lifetime.multipliedBy(2).dividedBy(3));
    }

    public Instant notAfter() { return certificate.getNotAfter().toInstant(); }

    /** RFC 8705 section 3.1 confirmation value: base64url (no padding) of the SHA-256 of the certificate's DER. */
    public static String x5tS256(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (CertificateEncodingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot encode the certificate", e);
        }
    }

    /**
     * Writes the three files, each replaced atomically (written next to it, then renamed over it);
     * the key file is created 0600 before any byte is written. Between the renames a reader can see
     * a new key with the old certificate: {@link #read} notices and says so, and readers try again.
     */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        writeFile(dir.resolve(KEY_FILE), pem("PRIVATE KEY", key.getEncoded()), true);
        writeFile(dir.resolve(CERT_FILE), certificatePem(certificate), false);
        writeFile(dir.resolve(CHAIN_FILE), String.join("", chain.stream().map(ServiceCredentials::certificatePem).toList()), false);
    }

    /**
     * Reads what {@link #write} (or {@code imsm svc enroll}) wrote.
     *
     * @throws IOException a file is missing, too large, not PEM, or the key does not belong to the certificate
     */
    public static ServiceCredentials read(Path dir) throws IOException {
        final ServiceCredentials c;
        try {
            PrivateKey key = privateKey(readSmall(dir.resolve(KEY_FILE)));
            List<X509Certificate> certs = certificates(readSmall(dir.resolve(CERT_FILE)));
            if (certs.isEmpty()) {
                throw new IOException(dir.resolve(CERT_FILE) + " holds no certificate");
            }
            Path chainFile = dir.resolve(CHAIN_FILE);
            List<X509Certificate> chain = Files.exists(chainFile) ? certificates(readSmall(chainFile)) : List.of();
            c = new ServiceCredentials(key, certs.getFirst(), chain);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        if (!c.keyMatchesCertificate()) {
            throw new IOException(dir.resolve(KEY_FILE) + " does not belong to " + dir.resolve(CERT_FILE)
                    + " (the files may be being replaced: read again)");
        }
        return c;
    }

    /** Whether {@link #key} is the private half of the certificate's public key (a signature made and checked). */
    public boolean keyMatchesCertificate() {
        try {
            String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            byte[] probe = "imsm-credentials-check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(certificate.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public static String certificatePem(X509Certificate cert) {
        try {
            return pem("CERTIFICATE", cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }

    /** Every certificate in a PEM text, in order; at most {@link #MAX_CERTIFICATES}. */
    public static List<X509Certificate> certificates(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                if (!m.group(1).equals("CERTIFICATE")) {
                    throw new IllegalArgumentException("expected only certificates, found " + m.group(1));
                }
                if (out.size() == MAX_CERTIFICATES) {
                    throw new IllegalArgumentException("more than " + MAX_CERTIFICATES + " certificates");
                }
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
        return out;
    }

    /** A PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}), EC or RSA. */
    public static PrivateKey privateKey(String pem) {
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            if (m.group(1).equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String algorithm : List.of("EC", "RSA")) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException e) {
                        // try the next algorithm
                    }
                }
                throw new IllegalArgumentException("the private key is neither EC nor RSA");
            }
        }
        throw new IllegalArgumentException("no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static String readSmall(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(file + " is not PEM text", e);
        }
    }

    private static void writeFile(Path file, String text, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
