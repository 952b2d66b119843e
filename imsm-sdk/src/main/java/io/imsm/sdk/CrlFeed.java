package io.imsm.sdk;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * IMSM's certificate revocation list ({@code GET /api/v1/ca/crl}, RFC 5280 DER, docs/pki.md) for a
 * service or imsm-proxy that accepts client certificates from IMSM's CA:
 *
 * <ul>
 *   <li>every {@code interval} (default 60 s) one fetch with one deadline (default 5 s) and at most
 *       1 MiB read;</li>
 *   <li>the list is accepted only when a configured CA certificate signed it, its {@code nextUpdate}
 *       has not passed, and its {@code thisUpdate} is not older than the list held;</li>
 *   <li>a failed fetch keeps the last list for {@code maxStaleness} (default 1 h) after it was
 *       fetched; beyond that (or before any list) {@link #isCurrent()} is false and callers refuse
 *       client certificates: a revoked one must not pass because IMSM is unreachable.</li>
 * </ul>
 *
 * <p>Polls on its own thread, or on {@link Pollers} shared with other pollers ({@link Builder#pollers}).
 * Thread-safe; the serials are looked up in a set.
 */
public final class CrlFeed implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_STALENESS = Duration.ofHours(1);
    /** IMSM lists revoked certificates until they expire (a day): far fewer than this fits. */
    static final int MAX_CRL_BYTES = 1024 * 1024;
    private static final Duration MAX_SKEW = Duration.ofMinutes(1);
    private static final System.Logger LOG = System.getLogger(CrlFeed.class.getName());

    private record Snapshot(Set<BigInteger> serials, Instant thisUpdate, Instant fetchedAt) {}

    private final List<X509Certificate> issuers;
    private final Clock clock;
    private final Duration maxStaleness;
    private final PolledFeed feed;
    private volatile Snapshot snapshot;

    private CrlFeed(Builder b) {
        this.issuers = List.copyOf(b.issuers);
        this.clock = b.clock;
        this.maxStaleness = b.maxStaleness;
        this.feed = new PolledFeed(b, b.uri, "application/pkix-crl", MAX_CRL_BYTES);
    }

    /**
     * @param issuer  IMSM's base URL; the list is {@code {issuer}/api/v1/ca/crl}
     * @param issuers the CA certificates a list must be signed by (IMSM's CA, {@code GET /api/v1/ca})
     */
    public static Builder builder(String issuer, List<X509Certificate> issuers) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return new Builder(URI.create(base + "/api/v1/ca/crl"), issuers);
    }

    /**
     * Settings: {@code clock}, {@code interval} (default 60 s), {@code timeout} (default 5 s),
     * {@code maxStaleness} (how long a list is kept when IMSM cannot be reached, default 1 h) and shared
     * {@code pollers} (default: its own thread and client).
     */
    public static final class Builder extends PolledFeed.Settings<Builder> {
        private final URI uri;
        private final List<X509Certificate> issuers;

        private Builder(URI uri, List<X509Certificate> issuers) {
            super(DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_MAX_STALENESS);
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
                throw new IllegalArgumentException("the issuer must be an http(s) URL");
            }
            if (issuers == null || issuers.isEmpty()) {
                throw new IllegalArgumentException("a CRL feed needs the CA certificates that sign the list");
            }
            this.uri = uri;
            this.issuers = issuers;
        }

        @Override
        Builder self() { return this; }

        /** Fetches once now (a failure is logged) and then polls in the background. */
        public CrlFeed start() {
            CrlFeed f = new CrlFeed(this);
            f.feed.start("crl-feed", f::poll);
            return f;
        }
    }

    /** Whether the last accepted list names the certificate (by serial, for a certificate its CA issued). */
    public boolean isRevoked(X509Certificate certificate) {
        Snapshot s = snapshot;
        return s != null && s.serials().contains(certificate.getSerialNumber());
    }

    /** Whether a list was accepted within the last {@code maxStaleness}. */
    public boolean isCurrent() {
        Snapshot s = snapshot;
        return s != null && clock.instant().isBefore(s.fetchedAt().plus(maxStaleness));
    }

    /** Fetches and verifies the list once; returns whether it was accepted. Never throws. */
    public boolean poll() {
        try {
            X509CRL crl = verify(feed.fetch());
            Instant thisUpdate = crl.getThisUpdate().toInstant();
            if (crl.getNextUpdate() != null && clock.instant().isAfter(crl.getNextUpdate().toInstant().plus(MAX_SKEW))) {
                // a list replayed from the past (the CRL travels over plain HTTP): its signature is fine, its news is not
                throw new IllegalStateException("the CRL's nextUpdate " + crl.getNextUpdate().toInstant() + " has passed");
            }
            Snapshot old = snapshot;
            if (old != null && thisUpdate.isBefore(old.thisUpdate())) {
                LOG.log(System.Logger.Level.WARNING, "ignoring a CRL from {0} older than the one held", feed.uri());
                return false;
            }
            Set<BigInteger> serials = new HashSet<>();
            Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
            if (entries != null) {
                entries.forEach(e -> serials.add(e.getSerialNumber()));
            }
            snapshot = new Snapshot(Set.copyOf(serials), thisUpdate, clock.instant());
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "CRL from {0} not updated: {1}", feed.uri(), e.getMessage());
            return false;
        }
    }

    /** Parses the DER list and checks that one of the configured CAs signed it. */
    private X509CRL verify(byte[] der) {
        final X509CRL crl;
        try {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalStateException("not a DER CRL: " + e.getMessage(), e);
        }
        for (X509Certificate ca : issuers) {
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                try {
                    crl.verify(ca.getPublicKey());
                    return crl;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("the CRL's signature does not verify with " + ca.getSubjectX500Principal(), e);
                }
            }
        }
        throw new IllegalStateException("the CRL's issuer " + crl.getIssuerX500Principal() + " is not a configured CA");
    }

    @Override
    public void close() {
        feed.close();
    }
}
