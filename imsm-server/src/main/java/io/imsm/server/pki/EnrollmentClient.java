package io.imsm.server.pki;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.json.Json;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The service side of enrollment and renewal ({@code imsm svc enroll}, tests, benchmarks): makes the
 * P-256 key locally (it never leaves the service), sends only a CSR, and writes {@code key.pem}
 * (0600), {@code cert.pem} and {@code chain.pem}.
 */
public final class EnrollmentClient {
    public static final String KEY_FILE = "key.pem";
    public static final String CERT_FILE = "cert.pem";
    public static final String CHAIN_FILE = "chain.pem";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** An answer is a certificate and a short chain: a few KB. */
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    /** A service's credentials: its key, its certificate and the chain above it. */
    public record Credentials(PrivateKey key, X509Certificate certificate, List<X509Certificate> chain) {}

    private final SecureRandom random;

    public EnrollmentClient(SecureRandom random) {
        this.random = Objects.requireNonNull(random);
    }

    public KeyPair newKey() {
        return CertificateAuthority.newP256(random);
    }

    /** A PKCS#10 request in PEM, signed with the key (proof of possession). */
    public static String csr(KeyPair key, String commonName) {
        try {
            var req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + commonName), key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
            return Pem.encode("CERTIFICATE REQUEST", req.getEncoded());
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot build the CSR", e);
        }
    }

    /** Enrolls with a one-time join token; {@code trust} verifies the server (null: the JDK's default trust). */
    public Credentials enroll(URI base, String joinToken, List<X509Certificate> trust) {
        KeyPair key = newKey();
        Map<String, String> body = new LinkedHashMap<>();
        body.put("join_token", joinToken);
        body.put("csr", csr(key, "enrolling-service"));
        return post(client(sslContext(trust, null)), base.resolve("/api/v1/enroll"), body, key.getPrivate());
    }

    /** Renews over mTLS with the current, still valid credentials; the new certificate gets a new key. */
    public Credentials renew(URI base, Credentials current, List<X509Certificate> trust) {
        KeyPair key = newKey();
        return post(client(sslContext(trust, current)), base.resolve("/api/v1/renew"), Map.of("csr", csr(key, "renewing-service")),
                key.getPrivate());
    }

    private Credentials post(HttpClient http, URI uri, Map<String, String> body, PrivateKey key) {
        try {
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body))).build();
            HttpResponse<byte[]> res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (res.body().length > MAX_ANSWER_BYTES) {
                throw new IllegalStateException("the server's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
            }
            JsonNode json = Json.mapper().readTree(new String(res.body(), StandardCharsets.UTF_8));
            if (res.statusCode() != 201) {
                throw new IllegalStateException("HTTP " + res.statusCode() + ": " + json.path("detail").asText(json.toString()));
            }
            X509Certificate cert = Pem.certificates(json.path("certificate").asText()).getFirst();
            List<X509Certificate> chain = new ArrayList<>();
            for (JsonNode c : json.path("chain")) {
                chain.addAll(Pem.certificates(c.asText()));
            }
            return new Credentials(key, cert, chain);
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static HttpClient client(SSLContext ssl) {
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(TIMEOUT).build();
    }

    /**
     * A TLS context that trusts {@code trust} (null: the JDK's defaults) and presents {@code client}'s
     * certificate when the server asks (null: none).
     */
    public static SSLContext sslContext(List<X509Certificate> trust, Credentials client) {
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
            KeyManagerFactory kmf = null;
            if (client != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                List<X509Certificate> chain = new ArrayList<>();
                chain.add(client.certificate());
                chain.addAll(client.chain());
                ks.setKeyEntry("client", client.key(), new char[0], chain.toArray(X509Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Writes {@code key.pem} (created 0600 before any byte is written), {@code cert.pem} and {@code chain.pem}. */
    public static void write(Path dir, Credentials c) throws IOException {
        Files.createDirectories(dir);
        writeFile(dir.resolve(KEY_FILE), Pem.privateKey(c.key()), true);
        writeFile(dir.resolve(CERT_FILE), Pem.certificate(c.certificate()), false);
        writeFile(dir.resolve(CHAIN_FILE), String.join("", c.chain().stream().map(Pem::certificate).toList()), false);
    }

    /** Reads what {@link #write} wrote. */
    public static Credentials read(Path dir) throws IOException {
        return new Credentials(Pem.privateKeyFrom(Files.readString(dir.resolve(KEY_FILE))),
                Pem.certificates(Files.readString(dir.resolve(CERT_FILE))).getFirst(),
                Pem.certificates(Files.readString(dir.resolve(CHAIN_FILE))));
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
