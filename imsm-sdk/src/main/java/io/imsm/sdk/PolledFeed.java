package io.imsm.sdk;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link RevocationFeed} and {@link CrlFeed} share: one document fetched from IMSM with a bounded
 * GET ({@link BoundedGet}: one deadline, a byte cap, no redirects) once at start and then every
 * {@code interval} on {@link Pollers} (shared ones, or its own), and the builder settings of both.
 */
final class PolledFeed implements AutoCloseable {
    private final URI uri;
    private final String accept;
    private final int maxBytes;
    private final Duration timeout;
    private final Duration interval;
    private final Pollers pollers;
    private final boolean ownPollers;
    private volatile Pollers.Job job;

    PolledFeed(Settings<?> settings, URI uri, String accept, int maxBytes) {
        this.uri = uri;
        this.accept = accept;
        this.maxBytes = maxBytes;
        this.timeout = settings.timeout;
        this.interval = settings.interval;
        this.ownPollers = settings.pollers == null;
        this.pollers = ownPollers ? Pollers.create() : settings.pollers;
    }

    URI uri() { return uri; }

    /** The document's bytes (a 200 answer within the deadline, at most {@code maxBytes}); throws {@link IllegalStateException} otherwise. */
    byte[] fetch() {
        return BoundedGet.get(pollers.http(), uri, accept, timeout, maxBytes);
    }

    /** Runs {@code poll} once now (on the caller's thread), then every {@code interval} after the previous run ended. */
    void start(String name, Runnable poll) {
        poll.run();
        job = pollers.every(name, interval, interval, poll);
    }

    @Override
    public void close() {
        Pollers.Job j = job;
        if (j != null) {
            j.close();
        }
        if (ownPollers) {
            pollers.close();
        }
    }

    /** The settings both feeds' builders offer; the defaults are the feed's. */
    abstract static class Settings<B extends Settings<B>> {
        Clock clock = Clock.systemUTC();
        Duration interval;
        Duration timeout;
        Duration maxStaleness;
        Pollers pollers;

        Settings(Duration interval, Duration timeout, Duration maxStaleness) {
            this.interval = interval;
            this.timeout = timeout;
            this.maxStaleness = maxStaleness;
        }

        abstract B self();

        public B clock(Clock clock) { this.clock = Objects.requireNonNull(clock, "clock"); return self(); }

        /** How often to fetch the list (default: the feed's {@code DEFAULT_INTERVAL}). */
        public B interval(Duration interval) { this.interval = positive(interval, "interval"); return self(); }

        /** Deadline of one fetch, connection to last byte (default: the feed's {@code DEFAULT_TIMEOUT}). */
        public B timeout(Duration timeout) { this.timeout = positive(timeout, "timeout"); return self(); }

        /** How long the last list is used when no fresh one can be had (default: the feed's {@code DEFAULT_MAX_STALENESS}). */
        public B maxStaleness(Duration maxStaleness) { this.maxStaleness = positive(maxStaleness, "maxStaleness"); return self(); }

        /**
         * Polls on these shared pollers (their one timer thread and one HTTP client) instead of its own;
         * closing the feed then stops only its job, the pollers stay with their owner.
         */
        public B pollers(Pollers pollers) { this.pollers = Objects.requireNonNull(pollers, "pollers"); return self(); }

        static Duration positive(Duration d, String name) {
            if (d == null || !d.isPositive()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
