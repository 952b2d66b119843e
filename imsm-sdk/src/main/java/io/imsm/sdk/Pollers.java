package io.imsm.sdk;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the SDK's background pollers ({@link RevocationFeed}, {@link CrlFeed}, {@link CertificateRenewer},
 * the key set fetches of {@link RemoteJwks}) need, made once and shared by as many of them as a process
 * runs (imsm-proxy runs them all on one):
 *
 * <ul>
 *   <li>ONE daemon platform thread ({@value #TIMER_THREAD}) that only keeps time: each run of a job is
 *       handed to a virtual thread of its own, so a fetch that hangs until its deadline delays no other
 *       job. A job never overlaps itself: its next run is due {@code delay} after the previous one ended.</li>
 *   <li>ONE JDK {@link HttpClient} (no redirects, JDK trust store, virtual threads for its work) for their
 *       GETs to IMSM; each GET keeps its own deadline and byte cap ({@link BoundedGet}).</li>
 * </ul>
 *
 * <p>A poller built without one makes its own and closes it with itself (one thread and one client per
 * poller, as a service with a single feed needs). Closing this stops every job scheduled on it.
 * Thread-safe.
 */
public final class Pollers implements AutoCloseable {
    /** The name of the one timer thread. */
    public static final String TIMER_THREAD = "imsm-pollers";
    private static final System.Logger LOG = System.getLogger(Pollers.class.getName());

    private final ScheduledExecutorService timer;
    private final ExecutorService virtualThreads;
    private final Duration connectTimeout;
    /** Made at the first GET: the client starts a selector thread, which a job that fetches nothing does not need. */
    private HttpClient http;
    private boolean closed;

    private Pollers(Duration connectTimeout) {
        // the timer thread starts with the first job, the client with the first GET
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name(TIMER_THREAD).unstarted(r));
        this.virtualThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("imsm-poll-", 0).factory());
        this.connectTimeout = connectTimeout;
    }

    /** One timer thread and one HTTP client; connections to IMSM are given up after 5 s (each GET also has its own deadline). */
    public static Pollers create() {
        return new Pollers(BoundedGet.DEFAULT_CONNECT_TIMEOUT);
    }

    /** The client the pollers' GETs go through. */
    public synchronized HttpClient http() {
        if (closed) {
            throw new IllegalStateException("the pollers are closed");
        }
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER)
                    .executor(virtualThreads).build();
        }
        return http;
    }

    /** Virtual threads for background work that may block (one per task). */
    public ExecutorService virtualThreads() { return virtualThreads; }

    /**
     * Runs {@code job} on a virtual thread after {@code initialDelay}, then again {@code delay} after each
     * run ended, until the returned job is closed (or this is). A job that throws is logged and kept.
     */
    public Job every(String name, Duration initialDelay, Duration delay, Runnable job) {
        Job j = new Job(Objects.requireNonNull(name, "name"), positive(delay, "delay"), Objects.requireNonNull(job, "job"));
        j.schedule(initialDelay.isNegative() ? Duration.ZERO : initialDelay);
        return j;
    }

    /** Stops every job and the client. */
    @Override
    public void close() {
        timer.shutdownNow();
        virtualThreads.shutdownNow();
        synchronized (this) {
            closed = true;
            if (http != null) {
                http.shutdownNow();
            }
        }
    }

    private static Duration positive(Duration d, String name) {
        if (d == null || !d.isPositive()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return d;
    }

    /** One scheduled job; {@link #close()} cancels its next run (a run under way ends on its own deadline). */
    public final class Job implements AutoCloseable {
        private final String name;
        private final Duration delay;
        private final Runnable body;
        private volatile boolean closed;
        private volatile ScheduledFuture<?> next;

        private Job(String name, Duration delay, Runnable body) {
            this.name = name;
            this.delay = delay;
            this.body = body;
        }

        private void schedule(Duration after) {
            if (closed) {
                return;
            }
            try {
                next = timer.schedule(this::handOff, after.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                closed = true; // the pollers were closed
            }
        }

        /** On the timer thread: start the run on a virtual thread and return at once. */
        private void handOff() {
            if (closed) {
                return;
            }
            try {
                virtualThreads.execute(this::run);
            } catch (RejectedExecutionException e) {
                closed = true;
            }
        }

        private void run() {
            Thread.currentThread().setName("imsm-poll-" + name);
            try {
                body.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "background job {0} failed: {1}", name, e.toString());
            } finally {
                schedule(delay);
            }
        }

        @Override
        public void close() {
            closed = true;
            ScheduledFuture<?> f = next;
            if (f != null) {
                f.cancel(false);
            }
        }
    }
}
