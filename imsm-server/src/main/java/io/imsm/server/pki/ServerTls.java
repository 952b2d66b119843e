package io.imsm.server.pki;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The TLS side of IMSM's own HTTPS listener: the server certificate (from {@code tls.cert_file} and
 * {@code tls.key_file}, or for development issued by the CA for server.host) and a trust manager that
 * takes client certificates signed by the CA. The handshake checks only the CA's signature; validity
 * time, revocation and which service a certificate names are checked per request by
 * {@link ServiceCertificates#verify}, against the database and the injected clock, so the answer is
 * a clear error rather than a failed handshake.
 */
public final class ServerTls {
    private ServerTls() {}

    public static SSLContext context(Config cfg, CertificateAuthority ca, SecureRandom random) {
        try {
            PrivateKey key;
            List<X509Certificate> chain;
            if (cfg.tls().ownCertificate()) {
                KeyPair pair = ca.newKeyPair();
                Set<String> hosts = new LinkedHashSet<>();
                addHost(hosts, cfg.publicUri().getHost());
                addHost(hosts, cfg.server().host());
                hosts.add("localhost");
                hosts.add("127.0.0.1");
                key = pair.getPrivate();
                chain = new java.util.ArrayList<>();
                chain.add(ca.issueServer(hosts, pair.getPublic()));
                chain.addAll(ca.chain());
            } else {
                chain = Pem.certificates(read(cfg.tls().certFile(), "tls.cert_file"));
                if (chain.isEmpty()) {
                    throw bad("tls.cert_file", "holds no certificate");
                }
                key = Pem.privateKeyFrom(read(cfg.tls().keyFile(), "tls.key_file"));
            }
            char[] password = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, password, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[]{new CaSignedClients(ca)}, random);
            return ctx;
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw bad("tls", "cannot set up HTTPS: " + e.getMessage());
        }
    }

    private static void addHost(Set<String> hosts, String host) {
        if (host != null && !host.isBlank() && !host.equals("0.0.0.0") && !host.equals("::") && !host.equals("[::]")) {
            hosts.add(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        }
    }

    private static String read(String file, String key) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw bad(key, "cannot be read: " + e.getMessage());
        }
    }

    private static ImsmException bad(String key, String message) {
        return new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "configuration key '" + key + "' " + message);
    }

    /** Client certificates: signed by the CA (the rest is checked per request). Never used for servers. */
    static final class CaSignedClients extends X509ExtendedTrustManager {
        private final CertificateAuthority ca;

        CaSignedClients(CertificateAuthority ca) {
            this.ca = Objects.requireNonNull(ca);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0 || !ca.signed(chain[0])) {
                throw new CertificateException("client certificate not issued by this CA");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("this trust manager is for client certificates only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[]{ca.certificate()};
        }
    }
}
