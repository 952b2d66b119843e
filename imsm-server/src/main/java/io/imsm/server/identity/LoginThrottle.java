package io.imsm.server.identity;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.imsm.server.config.Config;
import io.imsm.server.store.RateLimitBuckets;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Brute-force limits (Bucket4j token buckets): per client address, every login attempt costs one
 * token; per account name, every credential check costs one token taken <em>before</em> the check
 * (atomically, so parallel attempts cannot all pass a check made before the slow hash), a correct
 * answer gives it back, and an empty bucket is a temporary lockout. Keys are account names as typed
 * (lower-cased), existing or not, so a lockout never tells whether an account exists. On PostgreSQL
 * the buckets live in the database and every instance shares them; on the embedded H2 default one
 * process keeps them in memory.
 */
public final class LoginThrottle {
    private final Function<String, Bucket> buckets;

    private LoginThrottle(Config.Login cfg, RateLimitBuckets store) {
        BucketConfiguration ipConfig = BucketConfiguration.builder()
                .addLimit(l -> l.capacity(cfg.attemptsPerIpPerMinute()).refillGreedy(cfg.attemptsPerIpPerMinute(), Duration.ofMinutes(1)))
                .build();
        BucketConfiguration accountConfig = BucketConfiguration.builder()
                .addLimit(l -> l.capacity(cfg.maxFailuresPerAccount())
                        .refillIntervally(cfg.maxFailuresPerAccount(), Duration.ofSeconds(cfg.lockoutSeconds())))
                .build();
        this.buckets = key -> store.bucket(key, key.startsWith("ip:") ? ipConfig : accountConfig);
    }

    public static LoginThrottle inMemory(Config.Login cfg, Clock clock) {
        return new LoginThrottle(cfg, RateLimitBuckets.inMemory(clock,
                Duration.ofSeconds(Math.max(cfg.lockoutSeconds(), 60) * 2), 100_000));
    }

    public static LoginThrottle shared(DataSource dataSource, Config.Login cfg, Clock clock) {
        return new LoginThrottle(cfg, RateLimitBuckets.shared(dataSource, clock));
    }

    /** Spends one attempt of this client address; returns seconds to wait, 0 when allowed. */
    public long consumeIpAttempt(String ip) {
        ConsumptionProbe p = buckets.apply("ip:" + Objects.requireNonNullElse(ip, "unknown")).tryConsumeAndReturnRemaining(1);
        return p.isConsumed() ? 0 : seconds(p.getNanosToWaitForRefill());
    }

    /** Seconds until the account name may try again; 0 when not locked. */
    public long accountLockedFor(String accountKey) {
        EstimationProbe p = buckets.apply(accountKey(accountKey)).estimateAbilityToConsume(1);
        return p.canBeConsumed() ? 0 : seconds(p.getNanosToWaitForRefill());
    }

    /**
     * Takes one attempt of this account name before its credential is checked; returns 0 when taken,
     * else the seconds of lockout left (nothing taken). Atomic, so N parallel attempts against a
     * limit of M evaluate at most M credentials.
     */
    public long takeAccountAttempt(String accountKey) {
        ConsumptionProbe p = buckets.apply(accountKey(accountKey)).tryConsumeAndReturnRemaining(1);
        return p.isConsumed() ? 0 : seconds(p.getNanosToWaitForRefill());
    }

    /** Gives back an attempt whose credential was right (the attempt did not fail). */
    public void refundAccountAttempt(String accountKey) {
        buckets.apply(accountKey(accountKey)).addTokens(1);
    }

    /** A successful login clears the failures of that account name. */
    public void resetAccount(String accountKey) {
        buckets.apply(accountKey(accountKey)).reset();
    }

    private static String accountKey(String k) {
        return "acct:" + k;
    }

    private static long seconds(long nanos) {
        return RateLimitBuckets.seconds(nanos);
    }
}
