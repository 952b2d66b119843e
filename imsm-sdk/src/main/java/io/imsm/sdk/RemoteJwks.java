package io.imsm.sdk;

import com.nimbusds.jose.jwk.JWKSet;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The IMS key set fetched from {@code {issuer}/.well-known/jwks.json} with the JDK
 * {@link HttpClient}, cached.
 *
 * <ul>
 *   <li>The first {@link #keys()} fetches; the copy is used until it is {@code maxAge} old (default
 *       1 h), then fetched again. If that fails the old copy is kept and used.</li>
 *   <li>{@link #refresh()} (an unknown {@code kid}: the IMS may have rotated its key) fetches at most
 *       once per {@code minRefreshInterval} (default 30 s), counted from the last attempt, successful
 *       or not, so tokens with made-up {@code kid}s cannot make the service hammer the IMS.</li>
 *   <li>Redirects are not followed; the answer must be 200 with at most 256 KiB; private key parts in
 *       it are dropped.</li>
 * </ul>
 *
 * <p>Thread-safe. The fetch happens under a lock (not {@code synchronized}, so virtual threads are
 * not pinned); readers of a fresh copy take no lock.
 */
public final class RemoteJwks implements JwksSource {
    public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    private static final System.Logger LOG = System.getLogger(RemoteJwks.class.getName());

    private record Snapshot(JWKSet keys, Instant fetchedAt) {}

    private final URI uri;
    private final HttpClient http;
    private final Clock clock;
    private final Duration minRefreshInterval;
    private final Duration maxAge;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Snapshot snapshot;
    /** Guarded by {@link #lock}. */
    private Instant lastAttempt;

    /** {@code {issuer}/.well-known/jwks.json} with the system clock and the defaults. */
    public static RemoteJwks forIssuer(String issuer) {
        return new RemoteJwks(jwksUri(issuer), defaultClient(), Clock.systemUTC(), DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_MAX_AGE);
    }

    /** {@code {issuer}/.well-known/jwks.json} with the given clock and refresh interval. */
    public static RemoteJwks forIssuer(String issuer, Clock clock, Duration minRefreshInterval) {
        return new RemoteJwks(jwksUri(issuer), defaultClient(), clock, minRefreshInterval, DEFAULT_MAX_AGE);
    }

    public RemoteJwks(URI jwksUri, HttpClient http, Clock clock, Duration minRefreshInterval, Duration maxAge) {
        this.uri = Objects.requireNonNull(jwksUri, "jwksUri");
        this.http = Objects.requireNonNull(http, "http");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.minRefreshInterval = Objects.requireNonNull(minRefreshInterval, "minRefreshInterval");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        if (minRefreshInterval.isNegative() || !maxAge.isPositive()) {
            throw new IllegalArgumentException("the refresh interval must not be negative and the maximum age must be positive");
        }
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

    private static HttpClient defaultClient() {
        return HttpClient.newBuilder().connectTimeout(DEFAULT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public URI uri() { return uri; }

    @Override
    public JWKSet keys() {
        Snapshot s = snapshot;
        if (fresh(s, clock.instant())) {
            return s.keys();
        }
        lock.lock();
        try {
            Instant now = clock.instant();
            s = snapshot;
            if (fresh(s, now)) {
                return s.keys();
            }
            if (rateLimited(now)) {
                if (s != null) {
                    return s.keys();
                }
                throw new JwksUnavailableException("the IMS key set could not be fetched recently; retrying after "
                        + minRefreshInterval.toSeconds() + " s");
            }
            try {
                return fetch(now).keys();
            } catch (JwksUnavailableException e) {
                if (s != null) {
                    LOG.log(System.Logger.Level.WARNING, "keeping the cached IMS key set: {0}", e.getMessage());
                    return s.keys();
                }
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<JWKSet> refresh() {
        Snapshot before = snapshot;
        lock.lock();
        try {
            Snapshot s = snapshot;
            if (s != null && s != before) {
                return Optional.of(s.keys()); // another thread fetched while this one waited
            }
            Instant now = clock.instant();
            if (rateLimited(now)) {
                return Optional.empty();
            }
            try {
                return Optional.of(fetch(now).keys());
            } catch (JwksUnavailableException e) {
                LOG.log(System.Logger.Level.WARNING, "IMS key set refresh failed: {0}", e.getMessage());
                return Optional.empty();
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean fresh(Snapshot s, Instant now) {
        return s != null && now.isBefore(s.fetchedAt().plus(maxAge));
    }

    private boolean rateLimited(Instant now) {
        return lastAttempt != null && now.isBefore(lastAttempt.plus(minRefreshInterval));
    }

    /** Called with the lock held. */
    private Snapshot fetch(Instant now) {
        lastAttempt = now;
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(DEFAULT_TIMEOUT).header("Accept", "application/json").GET().build();
        final String body;
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw new JwksUnavailableException(uri + " answered " + response.statusCode());
                }
                byte[] bytes = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
                if (bytes.length > MAX_DOCUMENT_BYTES) {
                    throw new JwksUnavailableException(uri + " sent more than " + MAX_DOCUMENT_BYTES + " bytes");
                }
                body = new String(bytes, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new JwksUnavailableException("cannot fetch " + uri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JwksUnavailableException("interrupted while fetching " + uri, e);
        }
        final JWKSet keys;
        try {
            keys = JWKSet.parse(body).toPublicJWKSet();
        } catch (ParseException e) {
            throw new JwksUnavailableException(uri + " did not send a JWK set: " + e.getMessage(), e);
        }
        Snapshot s = new Snapshot(keys, now);
        snapshot = s;
        LOG.log(System.Logger.Level.DEBUG, "fetched {0} IMS keys from {1}", keys.size(), uri);
        return s;
    }
}
