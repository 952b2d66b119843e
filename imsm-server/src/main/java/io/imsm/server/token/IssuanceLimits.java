package io.imsm.server.token;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.store.RateLimitBuckets;

import java.time.Duration;
import java.util.Objects;

/**
 * How many tokens one person, and one service, may be issued per minute (Bucket4j, greedy refill).
 * Without it one person can fill a service's session store and lock everyone else out. Checked
 * before the key exchange, so a refused request costs the service nothing. 0 disables a limit.
 */
public final class IssuanceLimits {
    private final RateLimitBuckets buckets;
    private final BucketConfiguration perPerson;
    private final BucketConfiguration perService;

    public IssuanceLimits(Config.Issuance cfg, RateLimitBuckets buckets) {
        this.buckets = Objects.requireNonNull(buckets);
        this.perPerson = perMinute(cfg.perPersonPerMinute());
        this.perService = perMinute(cfg.perServicePerMinute());
    }

    /**
     * Spends one issuance of this person and then of this service. The person's budget is checked
     * first, so that one person over the limit does not drain the service's budget for everyone; when
     * the service's budget is spent the person's issuance is given back.
     *
     * @throws ImsmException.Throttled {@code rate_limited} with the seconds until a retry can pass
     */
    public void take(String userId, String serviceId) {
        Bucket person = take("issue-person:" + userId, perPerson, "You asked for too many tokens in the last minute.");
        try {
            take("issue-service:" + serviceId, perService, "This service has been issued too many tokens in the last minute.");
        } catch (ImsmException.Throttled e) {
            if (person != null) {
                person.addTokens(1);
            }
            throw e;
        }
    }

    private Bucket take(String key, BucketConfiguration limits, String message) {
        if (limits == null) {
            return null;
        }
        Bucket bucket = buckets.bucket(key, limits);
        ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(1);
        if (!p.isConsumed()) {
            long wait = RateLimitBuckets.seconds(p.getNanosToWaitForRefill());
            throw new ImsmException.Throttled(ErrorCode.RATE_LIMITED, message + " Try again in " + wait + " s.", wait);
        }
        return bucket;
    }

    private static BucketConfiguration perMinute(int n) {
        if (n == 0) {
            return null;
        }
        return BucketConfiguration.builder().addLimit(l -> l.capacity(n).refillGreedy(n, Duration.ofMinutes(1))).build();
    }
}
