package io.imsm.protocol;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A bounded in-process {@link ReplayGuard}: ids are kept until their time is up and purged on each
 * insert, oldest expiry first. When it is full of live ids it refuses new ones
 * ({@link ProtocolException.Reason#REPLAY_CACHE_FULL}) rather than forget a live one, which would let
 * that one be replayed. Offers live at most 60 s plus skew, so the bound is the number of offers
 * accepted in about two minutes.
 */
public final class InMemoryReplayGuard implements ReplayGuard {
    public static final int DEFAULT_MAX_ENTRIES = 100_000;

    private final Clock clock;
    private final int maxEntries;
    private final Map<String, Instant> seen = new HashMap<>();
    private final ExpiryQueue<String> byExpiry = new ExpiryQueue<>();

    public InMemoryReplayGuard(Clock clock, int maxEntries) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.maxEntries = maxEntries;
    }

    public InMemoryReplayGuard(Clock clock) { this(clock, DEFAULT_MAX_ENTRIES); }

    @Override
    public synchronized boolean firstUse(String id, Instant keepUntil) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(keepUntil, "keepUntil");
        Instant now = clock.instant();
        purge(now);
        Instant known = seen.get(id);
        if (known != null) {
            return false;
        }
        if (seen.size() >= maxEntries) {
            throw new KxException(ProtocolException.Reason.REPLAY_CACHE_FULL,
                    "the replay guard holds " + maxEntries + " live ids; try again later");
        }
        seen.put(id, keepUntil);
        byExpiry.add(id, keepUntil);
        return true;
    }

    /** Number of ids currently remembered (including ones expired since the last insert). */
    public synchronized int size() { return seen.size(); }

    private void purge(Instant now) {
        byExpiry.removeExpired(now, seen::remove);
    }
}
