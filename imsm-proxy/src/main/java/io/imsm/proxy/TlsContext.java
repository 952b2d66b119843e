package io.imsm.proxy;

import io.imsm.protocol.ServiceCredentials;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

/** The listener's TLS from PEM files. */
final class TlsContext {
    private static final char[] NO_PASSWORD = new char[0];

    private TlsContext() {}

    /** An SSLContext with the server's certificate chain and key, trusting {@code clientCa} (when given) for client certificates. */
    static SSLContext create(ProxyConfig.Tls tls) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = certificates(tls.certFile());
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(tls.certFile() + " holds no certificate");
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", privateKey(tls.keyFile()), NO_PASSWORD, chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, NO_PASSWORD);
        TrustManagerFactory tmf = null;
        if (tls.clientCaFile() != null) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (X509Certificate ca : certificates(tls.clientCaFile())) {
                trusted.setCertificateEntry("ca-" + i++, ca);
            }
            if (i == 0) {
                throw new IllegalArgumentException(tls.clientCaFile() + " holds no certificate");
            }
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return ctx;
    }

    static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        return cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))).stream()
                .map(X509Certificate.class::cast).toList();
    }

    /** A PKCS#8 private key ({@code BEGIN PRIVATE KEY}), EC or RSA. */
    static PrivateKey privateKey(Path file) throws IOException {
        try {
            return ServiceCredentials.privateKey(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
