package io.imsm.server.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One delivery task per target (a service, a hook) on a virtual thread, at most one at a time per
 * target in this process: a slow or dead target holds up only its own task while the others run.
 * Used by the outboxes, which start a round of tasks for the targets with work due.
 */
public final class PerTargetTasks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PerTargetTasks.class);
    private final String what;
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;

    /** @param what names the threads and the log lines, e.g. {@code outbox} */
    public PerTargetTasks(String what) {
        this.what = what;
        this.workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("imsm-" + what + "-", 0).factory());
    }

    /**
     * Starts {@code task} for every target that has none running; returns at once with the number
     * started. A target whose task is still at work is skipped: that task picks up what is due next time.
     */
    public int start(Collection<String> targets, Consumer<String> task) {
        int started = 0;
        for (String target : targets) {
            if (!busy.add(target)) {
                continue;
            }
            try {
                workers.execute(() -> {
                    try {
                        task.accept(target);
                    } catch (RuntimeException e) {
                        LOG.atWarn().setCause(e).addKeyValue("target", target).log(what + " delivery failed; will retry");
                    } finally {
                        busy.remove(target);
                    }
                });
                started++;
            } catch (RejectedExecutionException e) {
                busy.remove(target); // shutting down
            }
        }
        return started;
    }

    /** Targets with a task running now. */
    public int inFlight() {
        return busy.size();
    }

    /** Stops the tasks (their calls are interrupted); what they did not deliver stays for the next start. */
    @Override
    public void close() {
        workers.shutdownNow();
    }
}
