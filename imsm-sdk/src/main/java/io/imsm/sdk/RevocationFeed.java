package io.imsm.sdk;

import com.nimbusds.jose.jwk.JWKSet;
import io.imsm.protocol.KxException;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.ProtocolException;
import io.imsm.protocol.RevocationList;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Polls the IMS's signed revocation list for this service (docs/protocol.md section 8.1,
 * {@code GET {issuer}/api/v1/services/{id}/revocations}) in the background, so that
 * {@link TokenVerifier} refuses tokens the IMS revoked as {@code revoked}. This is the only way a
 * {@code jwks}-binding service learns of revocations; a KX1 service gets them pushed and may use the
 * feed as a second path.
 *
 * <ul>
 *   <li>Every {@code interval} (default 10 s) one fetch with one overall deadline (default 5 s,
 *       including the body), at most {@link RevocationList#MAX_COMPACT_LENGTH} characters read,
 *       no redirects.</li>
 *   <li>The list is verified with the IMS keys ({@code alg} pinned to ES256, {@code typ}, {@code iss},
 *       {@code aud} = this service, {@code exp}, at most 60 s of lifetime) and a list older than the
 *       one held is ignored, so an old list cannot be replayed to un-revoke a session.</li>
 *   <li>A failed fetch keeps the last list. When no list has been obtained for {@code maxStaleness}
 *       (default 2 min), {@link #isCurrent()} turns false and the verifier refuses tokens with
 *       {@code revocations_unavailable} (503) rather than accept tokens that may have been revoked.</li>
 * </ul>
 *
 * <p>Worst-case delay between a revocation at the IMS and its refusal here: {@code interval} plus the
 * fetch deadline (15 s with the defaults). A service running as several replicas learns here the
 * revocations pushed to another replica: poll every 500 ms to refuse them within a second
 * (docs/decisions/0016-service-replicas.md). Polls on its own thread, or on {@link Pollers} shared with
 * other pollers ({@link Builder#pollers}). Thread-safe; {@link #close()} stops the poller.
 */
public final class RevocationFeed implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_STALENESS = Duration.ofMinutes(2);

    private static final System.Logger LOG = System.getLogger(RevocationFeed.class.getName());

    private record Snapshot(Set<String> sids, Set<String> jtis, Instant listIssuedAt, Instant fetchedAt) {}

    private final String issuer;
    private final String serviceId;
    private final JwksSource imsKeys;
    private final Clock clock;
    private final Duration maxStaleness;
    private final PolledFeed feed;
    private volatile Snapshot snapshot;

    private RevocationFeed(Builder b) {
        this.issuer = b.issuer;
        this.serviceId = b.serviceId;
        this.imsKeys = b.imsKeys;
        this.clock = b.clock;
        this.maxStaleness = b.maxStaleness;
        this.feed = new PolledFeed(b, listUri(issuer, serviceId), "application/jwt", RevocationList.MAX_COMPACT_LENGTH);
    }

    /**
     * @param issuer    the IMS issuer (pinned)
     * @param serviceId this service's id: the list's expected {@code aud}
     * @param imsKeys   the IMS key set the list is verified with
     */
    public static Builder builder(String issuer, String serviceId, JwksSource imsKeys) {
        return new Builder(issuer, serviceId, imsKeys);
    }

    /**
     * Settings: {@code clock}, {@code interval} (default 10 s), {@code timeout} (default 5 s),
     * {@code maxStaleness} (how long without a fresh list before tokens are refused, default 2 min) and
     * shared {@code pollers} (default: its own thread and client).
     */
    public static final class Builder extends PolledFeed.Settings<Builder> {
        private final String issuer;
        private final String serviceId;
        private final JwksSource imsKeys;

        private Builder(String issuer, String serviceId, JwksSource imsKeys) {
            super(DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_MAX_STALENESS);
            this.issuer = Objects.requireNonNull(issuer, "issuer");
            this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
            this.imsKeys = Objects.requireNonNull(imsKeys, "imsKeys");
        }

        @Override
        Builder self() { return this; }

        /** Fetches once now (a failure is logged) and then polls in the background. */
        public RevocationFeed start() {
            RevocationFeed f = new RevocationFeed(this);
            f.feed.start("revocation-feed", f::poll);
            return f;
        }
    }

    /** {@code {issuer}/api/v1/services/{serviceId}/revocations}. */
    public static URI listUri(String issuer, String serviceId) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        URI uri = URI.create(base + "/api/v1/services/" + URLEncoder.encode(serviceId, StandardCharsets.UTF_8) + "/revocations");
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("the issuer must be an http(s) URL");
        }
        return uri;
    }

    /** Whether the session {@code sid} or the token {@code jti} is on the last verified list. */
    public boolean isRevoked(String sid, String jti) {
        Snapshot s = snapshot;
        return s != null && ((sid != null && s.sids().contains(sid)) || (jti != null && s.jtis().contains(jti)));
    }

    /** Whether a list was obtained within the last {@code maxStaleness}. */
    public boolean isCurrent() {
        Snapshot s = snapshot;
        return s != null && clock.instant().isBefore(s.fetchedAt().plus(maxStaleness));
    }

    /** Fetches and verifies the list once; returns whether a list was accepted. Never throws. */
    public boolean poll() {
        try {
            String compact = fetch();
            RevocationList list = verify(compact);
            Snapshot old = snapshot;
            if (old != null && list.issuedAt().isBefore(old.listIssuedAt())) {
                LOG.log(System.Logger.Level.WARNING, "ignoring a revocation list older than the one held");
                return false;
            }
            Set<String> sids = new HashSet<>();
            Set<String> jtis = new HashSet<>();
            list.revoked().forEach(e -> {
                sids.add(e.sid());
                jtis.add(e.jti());
            });
            snapshot = new Snapshot(Set.copyOf(sids), Set.copyOf(jtis), list.issuedAt(), clock.instant());
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "revocation list from {0} not updated: {1}", feed.uri(), e.getMessage());
            return false;
        }
    }

    private RevocationList verify(String compact) {
        try {
            return RevocationList.verify(compact, imsKeys.keys(), issuer, serviceId, clock, Kx1.MAX_CLOCK_SKEW);
        } catch (KxException e) {
            if (e.reason() != ProtocolException.Reason.UNKNOWN_KEY) {
                throw e;
            }
            Optional<JWKSet> fresh = imsKeys.refresh();
            if (fresh.isEmpty()) {
                throw e;
            }
            return RevocationList.verify(compact, fresh.get(), issuer, serviceId, clock, Kx1.MAX_CLOCK_SKEW);
        }
    }

    /** One GET with one deadline that covers the body too, so a dripping answer cannot hold the poller. */
    private String fetch() {
        return new String(feed.fetch(), StandardCharsets.US_ASCII).strip();
    }

    @Override
    public void close() {
        feed.close();
    }
}
