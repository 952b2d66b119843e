package io.imsm.server.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.local.LocalBucketBuilder;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Where Bucket4j token buckets live (decision 0003): on PostgreSQL in {@code rate_limit_buckets},
 * shared by every instance through Bucket4j's {@code SELECT … FOR UPDATE} proxy manager; on the
 * embedded H2 default in one process's memory. Callers pick key prefixes that keep their limits apart
 * (login uses {@code ip:} and {@code acct:}). Both measure time with the injected clock.
 */
public final class RateLimitBuckets {
    /** How long a full bucket row is kept on PostgreSQL before the housekeeping may delete it. */
    private static final Duration KEEP_FULL_BUCKETS = Duration.ofMinutes(5);
    private final BiFunction<String, BucketConfiguration, Bucket> factory;

    private RateLimitBuckets(BiFunction<String, BucketConfiguration, Bucket> factory) {
        this.factory = factory;
    }

    /**
     * @param idle    a bucket untouched this long is forgotten; longer than the slowest refill, since a
     *                forgotten bucket starts full again
     * @param maxKeys bounds the memory strangers can make us spend on keys
     */
    public static RateLimitBuckets inMemory(Clock clock, Duration idle, long maxKeys) {
        TimeMeter meter = meter(clock);
        Cache<String, Bucket> cache = Caffeine.newBuilder().maximumSize(maxKeys).expireAfterAccess(idle).build();
        return new RateLimitBuckets((key, limits) -> cache.get(key, k -> {
            LocalBucketBuilder b = Bucket.builder().withCustomTimePrecision(meter);
            for (Bandwidth limit : limits.getBandwidths()) {
                b.addLimit(limit);
            }
            return b.build();
        }));
    }

    public static RateLimitBuckets shared(DataSource dataSource, Clock clock) {
        // expires_at (V11, epoch millis of this clock) lets the housekeeping delete rows of buckets that
        // have refilled to full, which are indistinguishable from a new bucket (RateLimitStore.purgeExpired);
        // without it the table grows with every key used.
        ProxyManager<String> proxies = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_buckets").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKETS))
                .clientClock(meter(clock))
                .build();
        return new RateLimitBuckets((key, limits) -> proxies.builder().build(key, () -> limits));
    }

    /** The bucket for {@code key}, made with {@code limits} when it does not exist yet. */
    public Bucket bucket(String key, BucketConfiguration limits) {
        return factory.apply(Objects.requireNonNull(key), Objects.requireNonNull(limits));
    }

    /** Whole seconds until {@code nanos} have passed, at least 1 (for {@code Retry-After}). */
    public static long seconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    private static TimeMeter meter(Clock clock) {
        return new TimeMeter() {
            @Override public long currentTimeNanos() { return clock.millis() * 1_000_000L; }
            @Override public boolean isWallClockBased() { return true; }
        };
    }
}
