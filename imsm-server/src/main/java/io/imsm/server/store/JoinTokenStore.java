package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.ts;

/** One-time join tokens for service enrollment (only the SHA-256 of the token is stored). */
public final class JoinTokenStore {
    public void insert(Handle h, String tokenHash, String serviceId, String createdBy, Instant createdAt, Instant expiresAt) {
        h.createUpdate("INSERT INTO join_tokens (token_hash, service_id, created_by, created_at, expires_at) VALUES (:t, :s, :b, :c, :e)")
                .bind("t", tokenHash).bind("s", serviceId).bind("b", createdBy).bind("c", ts(createdAt)).bind("e", ts(expiresAt))
                .execute();
    }

    /**
     * Consumes a live join token and returns its service id; empty when unknown, used or expired. One
     * conditional UPDATE claims it, so of two concurrent enrollments with the same token exactly one wins.
     */
    public Optional<String> consume(Handle h, String tokenHash, Instant now) {
        int claimed = h.createUpdate("UPDATE join_tokens SET used_at = :now WHERE token_hash = :t AND used_at IS NULL AND expires_at > :now")
                .bind("now", ts(now)).bind("t", tokenHash).execute();
        if (claimed != 1) {
            return Optional.empty();
        }
        return h.createQuery("SELECT service_id FROM join_tokens WHERE token_hash = :t")
                .bind("t", tokenHash).mapTo(String.class).findOne();
    }
}
