package io.imsm.server.audit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Keeps strangers from writing to the database once per request: of the failures with one key (e.g.
 * "bad bearer token from this address"), at most one per window becomes an audit row; the others are
 * only counted, and the next row says how many there were. Windows follow the injected clock; the
 * counters live in a bounded cache (an address unseen for two windows is forgotten, and with it at
 * most one window's count, which the caller's metric still holds).
 */
public final class FailureSampler {
    private record Window(Instant start, long suppressed) {}

    private final Cache<String, Window> windows;
    private final Clock clock;
    private final Duration window;

    public FailureSampler(Clock clock, Duration window) {
        this.clock = Objects.requireNonNull(clock);
        this.window = Objects.requireNonNull(window);
        this.windows = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(window.multipliedBy(2)).build();
    }

    /**
     * Whether this failure should be written: empty when it is only counted; else how many failures
     * with this key were counted without a row since the last written one.
     */
    public OptionalLong admit(String key) {
        Instant now = clock.instant();
        long[] earlier = {-1};
        windows.asMap().compute(key, (k, w) -> {
            if (w == null || !now.isBefore(w.start().plus(window))) {
                earlier[0] = w == null ? 0 : w.suppressed();
                return new Window(now, 0);
            }
            return new Window(w.start(), w.suppressed() + 1);
        });
        return earlier[0] < 0 ? OptionalLong.empty() : OptionalLong.of(earlier[0]);
    }
}
