package io.imsm.server.token;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link Outbox} delivery rounds on one daemon thread: every 5 s once started, and at once when
 * a new revocation asks for it ({@link #deliverSoon()}). A round only starts per-service delivery
 * tasks, so it is short; purges run elsewhere and never wait behind it. Built with the other services, so the token
 * service gets a working trigger at construction; before {@link #start()} a trigger does nothing
 * (nothing listens yet; the first scheduled run picks the message up).
 */
public final class OutboxWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxWorker.class);
    private final Outbox outbox;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "imsm-outbox");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean started;

    public OutboxWorker(Outbox outbox) {
        this.outbox = Objects.requireNonNull(outbox);
    }

    public void start() {
        started = true;
        thread.scheduleWithFixedDelay(this::deliver, 5, 5, TimeUnit.SECONDS);
    }

    /** Asks for a delivery run now instead of at the next tick. */
    public void deliverSoon() {
        if (!started) {
            return;
        }
        try {
            thread.execute(this::deliver);
        } catch (RejectedExecutionException e) {
            // Shutting down: the message stays in the outbox for the next start.
        }
    }

    private void deliver() {
        try {
            outbox.deliverDue();
        } catch (RuntimeException | Error e) {
            // a periodic task that throws is never run again: log and stay scheduled
            LOG.atWarn().setCause(e).log("outbox delivery failed; will retry");
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
