package io.imsm.server.audit;

import io.imsm.server.config.Config;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.RateLimitStore;
import io.imsm.server.store.SessionStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The retention policy the housekeeping applies (config {@code retention.*}): audit rows older than
 * {@code audit_days}, browser sessions ended or expired more than {@code sessions_days} ago, invites
 * used or expired more than {@code invites_days} ago, and shared rate-limit buckets that have
 * refilled. Each kind is deleted in its own transaction, so one failing does not keep the others.
 */
public final class Retention {
    /** What one run deleted. */
    public record Purged(int auditRows, int sessions, int invites, int rateLimitBuckets) {
        public int total() { return auditRows + sessions + invites + rateLimitBuckets; }
    }

    private final Database db;
    private final AuditStore audit;
    private final SessionStore sessions;
    private final InviteStore invites;
    private final RateLimitStore rateLimits;
    private final Clock clock;
    private final Config.Retention cfg;

    public Retention(Database db, AuditStore audit, SessionStore sessions, InviteStore invites, RateLimitStore rateLimits,
                     Clock clock, Config.Retention cfg) {
        this.db = Objects.requireNonNull(db);
        this.audit = Objects.requireNonNull(audit);
        this.sessions = Objects.requireNonNull(sessions);
        this.invites = Objects.requireNonNull(invites);
        this.rateLimits = Objects.requireNonNull(rateLimits);
        this.clock = Objects.requireNonNull(clock);
        this.cfg = Objects.requireNonNull(cfg);
    }

    public Purged purge() {
        Instant now = clock.instant();
        // whole prefixes of the hash chain only, with the anchor moved in the same transaction (docs/audit.md)
        int a = db.inTransaction(h -> audit.purgeChainedBefore(h, now.minus(Duration.ofDays(cfg.auditDays())), audit.lockChain(h)));
        int s = db.inTransaction(h -> sessions.purge(h, now.minus(Duration.ofDays(cfg.sessionsDays()))));
        int i = db.inTransaction(h -> invites.purge(h, now.minus(Duration.ofDays(cfg.invitesDays()))));
        // the buckets live in the database only on PostgreSQL; in memory they expire from their cache
        int b = db.isPostgres() ? db.inTransaction(h -> rateLimits.purgeExpired(h, now)) : 0;
        return new Purged(a, s, i, b);
    }
}
