package io.imsm.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.BiConsumer;

/**
 * Keys in the order their time is up, so a bounded in-memory table (the replay guard, the SDK's
 * session store) can drop what expired in O(log n) per entry instead of scanning. Not thread-safe:
 * the owning table guards it with its own lock.
 */
public final class ExpiryQueue<K> {
    private record Entry<K>(K key, Instant keepUntil) {}

    private final PriorityQueue<Entry<K>> byExpiry = new PriorityQueue<>((a, b) -> a.keepUntil().compareTo(b.keepUntil()));

    /** Remembers that {@code key} may be dropped once {@code keepUntil} has come. */
    public void add(K key, Instant keepUntil) {
        byExpiry.add(new Entry<>(Objects.requireNonNull(key, "key"), Objects.requireNonNull(keepUntil, "keepUntil")));
    }

    /**
     * Takes every entry whose {@code keepUntil} is not after {@code now}, oldest first, and hands each
     * to {@code expired} with the time it was added with (so the table can tell it from a newer entry
     * under the same key).
     */
    public void removeExpired(Instant now, BiConsumer<K, Instant> expired) {
        Entry<K> head;
        while ((head = byExpiry.peek()) != null && !head.keepUntil().isAfter(now)) {
            byExpiry.poll();
            expired.accept(head.key(), head.keepUntil());
        }
    }

    public int size() { return byExpiry.size(); }
}
