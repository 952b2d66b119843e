package io.imsm.server.audit;

import io.imsm.server.config.Config;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.RateLimitStore;
import io.imsm.server.store.SessionStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * The retention policy the housekeeping applies (config {@code retention.*}): audit rows older than
 * {@code audit_days}, browser sessions ended or expired more than {@code sessions_days} ago, invites
 * used or expired more than {@code invites_days} ago, and shared rate-limit buckets that have
 * refilled, and event deliveries delivered or dead-lettered more than {@code events_days} ago (with
 * the events no delivery needs any more). Each kind is deleted in its own transaction (events in
 * batches), so one failing does not keep the others.
 */
public final class Retention {
    /** What one run deleted. */
    public record Purged(int auditRows, int sessions, int invites, int rateLimitBuckets, int eventDeliveries, int events) {
        public int total() { return auditRows + sessions + invites + rateLimitBuckets + eventDeliveries + events; }
    }

    /** Event rows deleted per transaction, and transactions per run: a backlog drains over hourly runs. */
    static final int EVENT_BATCH = 5_000;
    static final int EVENT_BATCHES_PER_RUN = 200;

    private final Database db;
    private final AuditStore audit;
    private final SessionStore sessions;
    private final InviteStore invites;
    private final RateLimitStore rateLimits;
    private final Clock clock;
    private final Config.Retention cfg;
    private final EventStore events;

    public Retention(Database db, AuditStore audit, SessionStore sessions, InviteStore invites, RateLimitStore rateLimits,
                     Clock clock, Config.Retention cfg, EventStore events) {
        this.db = Objects.requireNonNull(db);
        this.audit = Objects.requireNonNull(audit);
        this.sessions = Objects.requireNonNull(sessions);
        this.invites = Objects.requireNonNull(invites);
        this.rateLimits = Objects.requireNonNull(rateLimits);
        this.clock = Objects.requireNonNull(clock);
        this.cfg = Objects.requireNonNull(cfg);
        this.events = Objects.requireNonNull(events);
    }

    public Purged purge() {
        Instant now = clock.instant();
        // whole prefixes of the hash chain only, with the anchor moved in the same transaction (docs/audit.md)
        int a = db.inTransaction(h -> audit.purgeChainedBefore(h, now.minus(Duration.ofDays(cfg.auditDays())), audit.lockChain(h)));
        int s = db.inTransaction(h -> sessions.purge(h, now.minus(Duration.ofDays(cfg.sessionsDays()))));
        int i = db.inTransaction(h -> invites.purge(h, now.minus(Duration.ofDays(cfg.invitesDays()))));
        // the buckets live in the database only on PostgreSQL; in memory they expire from their cache
        int b = db.isPostgres() ? db.inTransaction(h -> rateLimits.purgeExpired(h, now)) : 0;
        Instant eventsBefore = now.minus(Duration.ofDays(cfg.eventsDays()));
        // deliveries first: an event goes once no delivery refers to it
        int d = inBatches(() -> db.inTransaction(h -> events.purgeFinished(h, eventsBefore, EVENT_BATCH)));
        int e = inBatches(() -> db.inTransaction(h -> events.purgeUnreferenced(h, eventsBefore, EVENT_BATCH)));
        return new Purged(a, s, i, b, d, e);
    }

    private static int inBatches(IntSupplier batch) {
        int total = 0;
        for (int round = 0; round < EVENT_BATCHES_PER_RUN; round++) {
            int n = batch.getAsInt();
            total += n;
            if (n < EVENT_BATCH) {
                break;
            }
        }
        return total;
    }
}
