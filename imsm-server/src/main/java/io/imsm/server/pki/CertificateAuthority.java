package io.imsm.server.pki;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.store.CaStore;
import io.imsm.server.store.Database;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * IMSM's certificate authority (BouncyCastle): a P-256 key that is either a root IMSM generated or an
 * intermediate signed once by an operator's root ({@code pki.root_cert_file}/{@code root_key_file}).
 * The key is stored as JWE under the key-encryption key, like the signing keys. Issues client
 * certificates for services, the development server certificate, and the CRL.
 */
public final class CertificateAuthority {
    /** Certificates are valid from a minute before issuance, for clocks slightly behind ours. */
    static final Duration BACKDATE = Duration.ofMinutes(1);
    static final Duration CA_LIFETIME = Duration.ofDays(3650);
    static final Duration SERVER_CERT_LIFETIME = Duration.ofDays(30);
    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

    private final Database db;
    private final CaStore store;
    private final KeyEncryptionKey kek;
    private final Config.Pki cfg;
    private final Clock clock;
    private final SecureRandom random;
    private volatile Loaded loaded;

    private record Loaded(X509Certificate certificate, List<X509Certificate> above, PrivateKey key) {}

    public CertificateAuthority(Database db, CaStore store, KeyEncryptionKey kek, Config.Pki cfg, Clock clock, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.kek = Objects.requireNonNull(kek);
        this.cfg = Objects.requireNonNull(cfg);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    /** Loads the CA, creating it at first start; returns true if it was created. */
    public boolean loadOrGenerate() {
        boolean created = db.inTransaction(h -> {
            if (store.active(h).isPresent()) {
                return false;
            }
            KeyPair pair = newKeyPair();
            Instant now = clock.instant();
            X509Certificate cert;
            List<X509Certificate> above;
            String name = "CN=IMSM service CA " + cfg.trustDomain() + ",O=IMSM";
            if (cfg.operatorRoot()) {
                X509Certificate root = readRoot();
                PrivateKey rootKey = readRootKey();
                Instant notAfter = min(now.plus(CA_LIFETIME), root.getNotAfter().toInstant());
                cert = caCertificate(new X500Name(name), pair.getPublic(),
                        X500Name.getInstance(root.getSubjectX500Principal().getEncoded()), root.getPublicKey(), rootKey, now, notAfter);
                above = List.of(root);
            } else {
                X500Name subject = new X500Name(name);
                cert = caCertificate(subject, pair.getPublic(), subject, pair.getPublic(), pair.getPrivate(), now, now.plus(CA_LIFETIME));
                above = List.of();
            }
            String id = Pem.serialHex(cert.getSerialNumber());
            String keyText = Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded());
            store.insert(h, new CaStore.StoredCa(id, Pem.certificate(cert), above.stream().map(Pem::certificate).reduce("", String::concat),
                    kek.encrypt(keyText, CaStore.privateKeyContext(id)), "active", now));
            return true;
        });
        CaStore.StoredCa stored = db.read(store::active).orElseThrow(() -> new IllegalStateException("no active CA"));
        X509Certificate cert = Pem.certificates(stored.certificatePem()).getFirst();
        List<X509Certificate> above = stored.chainPem().isBlank() ? List.of() : Pem.certificates(stored.chainPem());
        try {
            byte[] pkcs8 = Base64.getDecoder().decode(kek.decrypt(stored.privateKeyEnc(), CaStore.privateKeyContext(stored.id())));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            loaded = new Loaded(cert, above, key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the stored CA key cannot be read", e);
        }
        return created;
    }

    private X509Certificate readRoot() {
        try {
            List<X509Certificate> certs = Pem.certificates(Files.readString(Path.of(cfg.rootCertFile())));
            if (certs.size() != 1) {
                throw bad("pki.root_cert_file", "must hold exactly one certificate, found " + certs.size());
            }
            X509Certificate root = certs.getFirst();
            if (root.getBasicConstraints() < 0) {
                throw bad("pki.root_cert_file", "is not a CA certificate (basic constraints)");
            }
            return root;
        } catch (IOException | IllegalArgumentException e) {
            throw bad("pki.root_cert_file", "cannot be read: " + e.getMessage());
        }
    }

    private PrivateKey readRootKey() {
        try {
            return Pem.privateKeyFrom(Files.readString(Path.of(cfg.rootKeyFile())));
        } catch (IOException | IllegalArgumentException e) {
            throw bad("pki.root_key_file", "cannot be read: " + e.getMessage());
        }
    }

    private static ImsmException bad(String key, String message) {
        return new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "configuration key '" + key + "' " + message);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** A new P-256 key pair (also for the development server certificate). */
    KeyPair newKeyPair() {
        return newP256(random);
    }

    /** A new EC P-256 key pair: the one key type this CA signs and issues for. */
    static KeyPair newP256(SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A positive 128-bit serial whose first byte is not zero (so it prints as 32 hex digits). */
    private BigInteger newSerial() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        b[0] = (byte) (1 + ((b[0] & 0xff) % 0x7f));
        return new BigInteger(1, b);
    }

    private X509Certificate caCertificate(X500Name subject, PublicKey key, X500Name issuer, PublicKey issuerKey, PrivateKey signer,
                                          Instant now, Instant notAfter) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, newSerial(), Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter), subject, key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey));
            return sign(b, signer);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create the CA certificate", e);
        }
    }

    /**
     * A client certificate for a service: URI SAN {@code spiffe://TRUST_DOMAIN/service/ID}, digital
     * signature only, extended key usage clientAuth, not a CA.
     */
    X509Certificate issueClient(String serviceId, PublicKey key, Instant notBefore, Instant notAfter) {
        Loaded ca = current();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), newSerial(), Date.from(notBefore),
                    Date.from(notAfter), new X500Name("CN=" + serviceId), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId(serviceId))))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
            return sign(b, ca.key());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a client certificate", e);
        }
    }

    /** The development server certificate: SANs for the given host names and addresses, serverAuth. */
    public X509Certificate issueServer(Set<String> hosts, PublicKey key) {
        Loaded ca = current();
        Instant now = clock.instant();
        try {
            List<GeneralName> names = new ArrayList<>();
            for (String host : new LinkedHashSet<>(hosts)) {
                boolean literal = host.matches("[0-9.]+") || host.contains(":");
                names.add(literal ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(host).getHostAddress())
                        : new GeneralName(GeneralName.dNSName, host));
            }
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), newSerial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(SERVER_CERT_LIFETIME)), new X500Name("CN=" + hosts.iterator().next()), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
            return sign(b, ca.key());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue the server certificate", e);
        }
    }

    /** A CRL (RFC 5280 §5) listing the given serials with their revocation times; valid for {@code validity}. */
    byte[] crl(List<Revoked> revoked, long number, Duration validity) {
        Loaded ca = current();
        Instant now = clock.instant();
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                    Date.from(now));
            b.setNextUpdate(Date.from(now.plus(validity)));
            for (Revoked r : revoked) {
                b.addCRLEntry(r.serial(), Date.from(r.at()), org.bouncycastle.asn1.x509.CRLReason.unspecified);
            }
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            b.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(ca.key());
            return b.build(signer).getEncoded();
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign the CRL", e);
        }
    }

    record Revoked(BigInteger serial, Instant at) {}

    /** True when {@code cert} carries a valid signature of this CA (not a statement about time or revocation). */
    public boolean signed(X509Certificate cert) {
        Loaded ca = current();
        if (!cert.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(ca.certificate().getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public String spiffeId(String serviceId) {
        return "spiffe://" + cfg.trustDomain() + "/service/" + serviceId;
    }

    /** The CA certificate IMSM signs with. */
    public X509Certificate certificate() {
        return current().certificate();
    }

    /** The CA certificate followed by the certificates above it (the operator's root), as issued chains carry. */
    public List<X509Certificate> chain() {
        Loaded ca = current();
        List<X509Certificate> out = new ArrayList<>();
        out.add(ca.certificate());
        out.addAll(ca.above());
        return out;
    }

    /** The root operators pin: the operator's root when there is one, else IMSM's own. */
    public X509Certificate anchor() {
        Loaded ca = current();
        return ca.above().isEmpty() ? ca.certificate() : ca.above().getLast();
    }

    private Loaded current() {
        Loaded l = loaded;
        if (l == null) {
            throw new IllegalStateException("the CA is not loaded");
        }
        return l;
    }

    private X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws CertificateException {
        try {
            // an operator's root may be RSA; everything IMSM's own key signs is ECDSA
            String algorithm = "RSA".equals(signer.getAlgorithm()) ? "SHA256withRSA" : SIGNATURE_ALGORITHM;
            X509CertificateHolder holder = b.build(new JcaContentSignerBuilder(algorithm).build(signer));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }
}
