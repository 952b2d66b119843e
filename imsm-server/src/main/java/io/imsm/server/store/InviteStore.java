package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.ts;

/** One-time invite links (only the SHA-256 of the token is stored). */
public final class InviteStore {
    public void insert(Handle h, String tokenHash, String userId, Instant expiresAt) {
        h.createUpdate("INSERT INTO invites (token_hash, user_id, expires_at) VALUES (:t, :u, :e)")
                .bind("t", tokenHash).bind("u", userId).bind("e", ts(expiresAt)).execute();
    }

    /**
     * Consumes a live invite and returns its user id; empty when unknown, used or expired. One
     * conditional UPDATE claims the invite, so of two concurrent acceptances exactly one sees a row
     * count of 1 (the other waits on the row lock and then no longer matches {@code used_at IS NULL}).
     */
    public Optional<String> consume(Handle h, String tokenHash, Instant now) {
        int claimed = h.createUpdate("UPDATE invites SET used_at = :now WHERE token_hash = :t AND used_at IS NULL AND expires_at > :now")
                .bind("now", ts(now)).bind("t", tokenHash).execute();
        if (claimed != 1) {
            return Optional.empty();
        }
        return h.createQuery("SELECT user_id FROM invites WHERE token_hash = :t")
                .bind("t", tokenHash).mapTo(String.class).findOne();
    }

    public Optional<String> peek(Handle h, String tokenHash, Instant now) {
        return h.createQuery("SELECT user_id FROM invites WHERE token_hash = :t AND used_at IS NULL AND expires_at > :now")
                .bind("t", tokenHash).bind("now", ts(now)).mapTo(String.class).findOne();
    }

    /** Voids the person's unused invites (a new one replaces them); returns how many. */
    public int voidUnused(Handle h, String userId) {
        return h.createUpdate("DELETE FROM invites WHERE user_id = :u AND used_at IS NULL").bind("u", userId).execute();
    }

    /** When the person's newest unused invite expires; empty when there is none. */
    public Optional<Instant> unusedExpiry(Handle h, String userId) {
        return h.createQuery("SELECT MAX(expires_at) AS e FROM invites WHERE user_id = :u AND used_at IS NULL")
                .bind("u", userId).map((rs, ctx) -> Optional.ofNullable(UserStore.instant(rs, "e"))).one();
    }

    /** Deletes invites used or expired before {@code before} (retention). */
    public int purge(Handle h, Instant before) {
        return h.createUpdate("DELETE FROM invites WHERE expires_at < :b OR used_at < :b").bind("b", ts(before)).execute();
    }
}
