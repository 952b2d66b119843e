package io.imsm.server.hooks;

import io.imsm.server.delivery.PerTargetTasks;
import io.imsm.server.store.Database;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.UserStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Delivers the event outbox to notification hooks, at least once. Like the revocation outbox, each
 * hook has its own delivery task on a virtual thread (at most one per hook and process), so a slow
 * or dead target delays only its own events; each call has one deadline. Unlike it, several
 * instances share the work: an attempt is claimed in its own transaction (row lock, skipping rows
 * another instance holds) and its next attempt moved past the call's deadline before the call, so
 * no two instances make the same attempt. A failed attempt is retried after an exponentially
 * growing, jittered delay; after the last one the delivery is dead (the dead-letter list).
 */
public final class EventDelivery implements AutoCloseable {
    /** Hooks started per round and events per hook per task: a backlog drains over rounds. */
    static final int HOOKS_PER_ROUND = 200;
    static final int EVENTS_PER_TASK = 50;
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(EventDelivery.class);

    /** Retry policy: attempts in all, the first delay, the longest delay. */
    public record Retries(int maxAttempts, Duration base, Duration max) {}

    private final Database db;
    private final EventStore store;
    private final HookService hooks;
    private final Notifications notifications;
    private final Retries retries;
    private final Duration callTimeout;
    private final Duration pollEvery;
    private final Clock clock;
    private final SecureRandom random;
    private final PerTargetTasks tasks = new PerTargetTasks("events");
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "imsm-events");
        t.setDaemon(true);
        return t;
    });

    public EventDelivery(Database db, EventStore store, HookService hooks, HookHttp http, UserStore users,
                         Retries retries, Duration callTimeout, Duration pollEvery, Clock clock, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.hooks = Objects.requireNonNull(hooks);
        this.retries = Objects.requireNonNull(retries);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.pollEvery = Objects.requireNonNull(pollEvery);
        this.notifications = new Notifications(http, db, users, clock, callTimeout);
        this.callTimeout = Objects.requireNonNull(callTimeout);
    }

    /** Runs a delivery round every poll interval. */
    public void start() {
        ticker.scheduleWithFixedDelay(this::round, pollEvery.toMillis(), pollEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void round() {
        try {
            deliverDue();
        } catch (RuntimeException | Error e) {
            // a periodic task that throws is never run again: log and stay scheduled
            LOG.atWarn().setCause(e).log("event delivery round failed; will retry");
        }
    }

    /** Starts a task for each hook with deliveries due and none running here; returns how many started. */
    public int deliverDue() {
        return tasks.start(db.read(h -> store.dueHooks(h, clock.instant(), HOOKS_PER_ROUND)), this::deliverTo);
    }

    private void deliverTo(String hookId) {
        Optional<HookService.Loaded> target = db.read(h -> hooks.load(h, hookId));
        // the claim must outlast the one call of a delivery (an SMS hook's text to each recipient is a delivery
        // of its own), and no more: after a crash mid-call the delivery is due again when the claim runs out
        Duration lease = callTimeout.plus(LEASE_MARGIN);
        for (int i = 0; i < EVENTS_PER_TASK && !Thread.currentThread().isInterrupted(); i++) {
            Instant now = clock.instant();
            Optional<EventStore.Due> claimed = db.inTransaction(h -> store.claim(h, hookId, now, now.plus(lease)));
            if (claimed.isEmpty()) {
                return;
            }
            EventStore.Due due = claimed.get();
            if (target.isEmpty()) {
                db.inTransaction(h -> { store.dead(h, due.id(), clock.instant(), "the hook was deleted"); return null; });
                continue;
            }
            try {
                notifications.send(target.get(), due);
                db.inTransaction(h -> { store.delivered(h, due.id(), clock.instant()); return null; });
            } catch (Notifications.Failed e) {
                failed(due, e.getMessage());
            }
        }
    }

    private void failed(EventStore.Due due, String why) {
        Instant now = clock.instant();
        if (due.attempts() >= retries.maxAttempts()) {
            db.inTransaction(h -> { store.dead(h, due.id(), now, why); return null; });
            LOG.atWarn().addKeyValue("hook", due.hookId()).addKeyValue("event", due.eventId()).addKeyValue("attempts", due.attempts())
                    .addKeyValue("reason", why).log("event undeliverable; moved to the dead-letter list");
            return;
        }
        Duration delay = delay(due.attempts());
        db.inTransaction(h -> { store.retryAt(h, due.id(), now.plus(delay), why); return null; });
        LOG.atInfo().addKeyValue("hook", due.hookId()).addKeyValue("event", due.eventId()).addKeyValue("attempt", due.attempts())
                .addKeyValue("retry_in_ms", delay.toMillis()).addKeyValue("reason", why).log("event not delivered yet");
    }

    /** base × 2^(attempts-1), at most max, then a random half of it added or not ("equal jitter"). */
    Duration delay(int attempts) {
        long base = retries.base().toMillis();
        long exp = Math.min(retries.max().toMillis(), base << Math.min(attempts - 1, 30));
        long half = exp / 2;
        return Duration.ofMillis(half + (half > 0 ? (long) (random.nextDouble() * (half + 1)) : 0));
    }

    /** Hooks with a delivery task running in this process. */
    public int inFlight() {
        return tasks.inFlight();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        tasks.close();
    }
}
