package io.imsm.sdk;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetParseException;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.proc.SecurityContext;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The IMS key set fetched from {@code {issuer}/.well-known/jwks.json}, through Nimbus' JWK set
 * source chain ({@link JWKSourceBuilder}): a cache, refresh ahead of expiry, a rate limit on fetches
 * and outage tolerance. What this class adds is the SDK's contract ({@link JwksSource}) and its
 * failure ({@link JwksUnavailableException}).
 *
 * <ul>
 *   <li>The first {@link #keys()} fetches (the only time a request waits for the IMS's key set, with
 *       {@link #refresh()}). From {@value #REFRESH_AHEAD_SECONDS} s before the copy is {@code maxAge} old
 *       (default 1 h) a request starts a fetch in the background and is answered from the copy at once;
 *       the fetched set replaces the copy. While the IMS cannot be reached each later request starts
 *       another background fetch (the rate limit below spaces them) and the copy keeps being used, for at
 *       most {@link #DEFAULT_OUTAGE_TOLERANCE} (or {@code maxAge} if longer) after it was fetched; past
 *       that a request fetches itself and fails when the IMS still cannot be reached.</li>
 *   <li>{@link #refresh()} (an unknown {@code kid}: the IMS may have rotated its key) fetches at most
 *       once per {@code minRefreshInterval} (default 30 s), counted from the last attempt, successful
 *       or not, so tokens with made-up {@code kid}s cannot make the service hammer the IMS. Nimbus'
 *       own rate limit (two fetches per interval) bounds every other fetch.</li>
 *   <li>One deadline of {@link #DEFAULT_TIMEOUT} for each fetch, connection to last byte ({@link BoundedGet});
 *       redirects are not followed; the answer must be 200 with at most {@value #MAX_DOCUMENT_BYTES} bytes;
 *       private key parts in it are dropped. Fetches go through the client of shared {@link Pollers} when
 *       given ({@link #forIssuer(String, Clock, Duration, Pollers)}), else through its own.</li>
 * </ul>
 *
 * <p>Thread-safe. Times come from the given {@link Clock}, so tests can move them.
 */
public final class RemoteJwks implements JwksSource, AutoCloseable {
    public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** How long a copy is still used while the IMS cannot be reached (its keys may have been rotated meanwhile). */
    public static final Duration DEFAULT_OUTAGE_TOLERANCE = Duration.ofHours(24);
    /** A key set is a few keys of a few hundred bytes each. */
    public static final int MAX_DOCUMENT_BYTES = 64 * 1024;
    static final long REFRESH_AHEAD_SECONDS = 30;
    private static final long NEVER = Long.MIN_VALUE;

    private static final System.Logger LOG = System.getLogger(RemoteJwks.class.getName());

    private final URI uri;
    private final Clock clock;
    private final Duration minRefreshInterval;
    private final JWKSetBasedJWKSource<SecurityContext> nimbus;
    private final JWKSetSource<SecurityContext> source;
    /** When the last fetch from the IMS began (epoch millis of {@link #clock}); {@link #NEVER} before the first. */
    private final AtomicLong lastAttempt = new AtomicLong(NEVER);
    private final ReentrantLock refreshLock = new ReentrantLock();
    private final Pollers pollers;
    private final boolean ownPollers;
    /** The last set Nimbus returned and its public-only copy, so a cached set is not copied on every call. */
    private volatile JWKSet[] lastSeen = new JWKSet[2];

    /** {@code {issuer}/.well-known/jwks.json} with the system clock and the defaults. */
    public static RemoteJwks forIssuer(String issuer) {
        return new RemoteJwks(jwksUri(issuer), Clock.systemUTC(), DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_MAX_AGE);
    }

    /** {@code {issuer}/.well-known/jwks.json} with the given clock and refresh interval. */
    public static RemoteJwks forIssuer(String issuer, Clock clock, Duration minRefreshInterval) {
        return new RemoteJwks(jwksUri(issuer), clock, minRefreshInterval, DEFAULT_MAX_AGE);
    }

    public RemoteJwks(URI jwksUri, Clock clock, Duration minRefreshInterval, Duration maxAge) {
        this(jwksUri, clock, minRefreshInterval, maxAge, null);
    }

    /**
     * {@code {issuer}/.well-known/jwks.json} with the given clock and refresh interval, fetched through
     * the shared pollers' client; closing this leaves the pollers to their owner.
     */
    public static RemoteJwks forIssuer(String issuer, Clock clock, Duration minRefreshInterval, Pollers pollers) {
        return new RemoteJwks(jwksUri(issuer), clock, minRefreshInterval, DEFAULT_MAX_AGE, Objects.requireNonNull(pollers, "pollers"));
    }

    private RemoteJwks(URI jwksUri, Clock clock, Duration minRefreshInterval, Duration maxAge, Pollers shared) {
        this.uri = Objects.requireNonNull(jwksUri, "jwksUri");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.minRefreshInterval = Objects.requireNonNull(minRefreshInterval, "minRefreshInterval");
        Objects.requireNonNull(maxAge, "maxAge");
        if (minRefreshInterval.isNegative() || maxAge.compareTo(DEFAULT_TIMEOUT.plusSeconds(REFRESH_AHEAD_SECONDS)) <= 0) {
            throw new IllegalArgumentException("the refresh interval must not be negative and the maximum age must exceed "
                    + DEFAULT_TIMEOUT.plusSeconds(REFRESH_AHEAD_SECONDS).toSeconds() + " s");
        }
        this.ownPollers = shared == null;
        this.pollers = ownPollers ? Pollers.create() : shared;
        JWKSetSource<SecurityContext> fetch = new BoundedGetSource(jwksUri, pollers);
        // background refreshes on virtual threads (daemon: a library must not keep the service's JVM alive)
        ExecutorService refresher = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("imsm-jwks-refresh").factory());
        // Nimbus' cache fetches on the request path once a copy has expired, so the copy is kept for the
        // whole outage tolerance and refreshed in the background from (maxAge - 30 s) of age on: a
        // failed refresh keeps the copy and the next request starts another (rate-limited) one.
        Duration keep = maxAge.compareTo(DEFAULT_OUTAGE_TOLERANCE) > 0 ? maxAge : DEFAULT_OUTAGE_TOLERANCE;
        Duration refreshAhead = keep.minus(maxAge).plusSeconds(REFRESH_AHEAD_SECONDS);
        this.nimbus = (JWKSetBasedJWKSource<SecurityContext>) JWKSourceBuilder.create(new AttemptRecorder(fetch, lastAttempt))
                .cache(keep.toMillis(), DEFAULT_TIMEOUT.toMillis())
                .refreshAheadCache(refreshAhead.toMillis(), null, refresher, true, null, false)
                .rateLimited(minRefreshInterval.toMillis())
                .outageTolerant(false)
                .build();
        this.source = nimbus.getJWKSetSource();
    }

    /** The JWKS URL of an issuer: {@code {issuer}/.well-known/jwks.json}. */
    public static URI jwksUri(String issuer) {
        Objects.requireNonNull(issuer, "issuer");
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        URI uri = URI.create(base + "/.well-known/jwks.json");
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("the issuer must be an http(s) URL");
        }
        return uri;
    }

    public URI uri() { return uri; }

    @Override
    public JWKSet keys() {
        try {
            return publicCopy(source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), clock.millis(), null));
        } catch (KeySourceException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Optional<JWKSet> refresh() {
        long seen = lastAttempt.get();
        refreshLock.lock();
        try {
            long now = clock.millis();
            long last = lastAttempt.get();
            if (last != seen) {
                return Optional.of(keys()); // another thread fetched while this one waited
            }
            if (last != NEVER && now < last + minRefreshInterval.toMillis()) {
                return Optional.empty();
            }
            return Optional.of(publicCopy(source.getJWKSet(JWKSetCacheRefreshEvaluator.forceRefresh(), now, null)));
        } catch (RateLimitReachedException e) {
            return Optional.empty();
        } catch (KeySourceException | JwksUnavailableException e) {
            LOG.log(System.Logger.Level.WARNING, "IMS key set refresh failed: {0}", e.getMessage());
            return Optional.empty();
        } finally {
            refreshLock.unlock();
        }
    }

    /** Stops the background refresh (and the client, unless it belongs to shared pollers). */
    @Override
    public void close() {
        try {
            nimbus.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the JWK source: {0}", e.getMessage());
        }
        if (ownPollers) {
            pollers.close();
        }
    }

    private JWKSet publicCopy(JWKSet fetched) {
        JWKSet[] seen = lastSeen;
        if (seen[0] == fetched) {
            return seen[1];
        }
        JWKSet pub = fetched.toPublicJWKSet();
        lastSeen = new JWKSet[] {fetched, pub};
        return pub;
    }

    /** Nimbus' failures as the SDK's one unavailability, with a message saying which one it was. */
    private JwksUnavailableException unavailable(KeySourceException e) {
        if (e instanceof RateLimitReachedException) {
            return new JwksUnavailableException("the IMS key set could not be fetched recently; retrying after "
                    + minRefreshInterval.toSeconds() + " s", e);
        }
        if (e instanceof JWKSetParseException) {
            return new JwksUnavailableException(uri + " did not send a JWK set: " + e.getMessage(), e);
        }
        return new JwksUnavailableException("cannot fetch " + uri + ": " + e.getMessage(), e);
    }

    /** One fetch of the key set: a {@link BoundedGet} (one deadline for the whole answer, a byte cap, no redirects). */
    private record BoundedGetSource(URI uri, Pollers pollers) implements JWKSetSource<SecurityContext> {
        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, SecurityContext context)
                throws KeySourceException {
            final byte[] body;
            try {
                body = BoundedGet.get(pollers.http(), uri, "application/json", DEFAULT_TIMEOUT, MAX_DOCUMENT_BYTES);
            } catch (IllegalStateException e) {
                throw new JWKSetUnavailableException(e.getMessage(), e);
            }
            try {
                return JWKSet.parse(new String(body, StandardCharsets.UTF_8));
            } catch (ParseException e) {
                throw new JWKSetParseException("not a JWK set: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            // the client belongs to the pollers
        }
    }

    /** Notes when a fetch begins, so {@link #refresh()} can space forced fetches from any fetch. */
    private record AttemptRecorder(JWKSetSource<SecurityContext> delegate, AtomicLong lastAttempt)
            implements JWKSetSource<SecurityContext> {
        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, SecurityContext context)
                throws KeySourceException {
            lastAttempt.set(currentTime);
            return delegate.getJWKSet(refreshEvaluator, currentTime, context);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
