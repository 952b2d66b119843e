package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for small, frequent write transactions (a token session and its audit record): the
 * writes that arrive while one commit is in progress are written and committed together in the next
 * transaction, by whichever of their callers gets the writer lock first (no extra thread). Each caller
 * returns only after the transaction holding its write committed, so a write is as durable as with a
 * transaction of its own; what is saved is one commit (on embedded H2, one store write), one
 * connection checkout and one wait for the audit chain's row lock per write grouped.
 *
 * <p>Every write in a group runs in order in the same transaction, with the {@link Database#beforeCommit}
 * tasks (the audit chain's appends) after all of them, so the chain's order is the group's order.
 * When the group's transaction fails, nothing of it was written and each write is run again in a
 * transaction of its own: only the writes that fail alone fail. A write may therefore run more than
 * once; it must do nothing outside its handle but what may happen twice (a log line).
 *
 * <p>Callers must not hold a connection of the same pool while they wait (the group's writer needs one).
 */
public final class GroupCommit {
    /** One write; runs in the group's transaction. */
    @FunctionalInterface
    public interface Write {
        void run(Handle h);
    }

    /** Writes per transaction at most: bounds how long one caller waits behind a burst. */
    static final int MAX_GROUP = 32;

    private final Database db;
    private final ReentrantLock writer = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

    GroupCommit(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    private static final class Pending {
        final Write write;
        // written and read under the writer lock only
        boolean done;
        Throwable failure;

        Pending(Write write) {
            this.write = write;
        }
    }

    /** Writes queued and not yet taken into a group (for tests). */
    int queued() {
        return queue.size();
    }

    /** Runs {@code write} in a transaction, possibly shared with concurrent writes; returns once it committed. */
    public void run(Write write) {
        Objects.requireNonNull(write);
        // The write may run on another caller's thread: it keeps its own request's configuration version.
        long version = ConfigVersion.capture();
        Pending me = new Pending(h -> ConfigVersion.with(version, () -> {
            write.run(h);
            return null;
        }));
        queue.add(me);
        writer.lock();
        try {
            while (!me.done) {
                writeGroup();
            }
        } finally {
            writer.unlock();
        }
        if (me.failure instanceof RuntimeException r) {
            throw r;
        }
        if (me.failure instanceof Error e) {
            throw e;
        }
        if (me.failure != null) {
            throw new IllegalStateException(me.failure);
        }
    }

    /** Under the writer lock: the oldest queued writes, in one transaction. */
    private void writeGroup() {
        List<Pending> group = new ArrayList<>();
        for (Pending p; group.size() < MAX_GROUP && (p = queue.poll()) != null; ) {
            group.add(p);
        }
        if (group.size() == 1) {
            alone(group.get(0));
            return;
        }
        try {
            db.inTransaction(h -> {
                for (Pending p : group) {
                    p.write.run(h);
                }
                return null;
            });
        } catch (RuntimeException | Error e) {
            // rolled back whole: find the failing writes by running each alone
            group.forEach(this::alone);
            return;
        }
        group.forEach(p -> p.done = true);
    }

    private void alone(Pending p) {
        try {
            db.inTransaction(h -> {
                p.write.run(h);
                return null;
            });
        } catch (RuntimeException | Error e) {
            p.failure = e;
        }
        p.done = true;
    }
}
