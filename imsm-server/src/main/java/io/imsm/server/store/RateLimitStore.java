package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;

/** The shared login-limit buckets on PostgreSQL (written by Bucket4j; only their retention is here). */
public final class RateLimitStore {
    /** Deletes buckets whose expiry (Bucket4j's {@code expires_at}, epoch millis) has passed. */
    public int purgeExpired(Handle h, Instant now) {
        return h.createUpdate("DELETE FROM rate_limit_buckets WHERE expires_at IS NOT NULL AND expires_at < :now")
                .bind("now", now.toEpochMilli()).execute();
    }
}
