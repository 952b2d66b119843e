package io.imsm.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this process can still be trusted to serve. A {@link Error} (out of memory, a stack
 * overflow, a class that fails to load) leaves the JVM in an unknown state: once one is seen, the
 * probes answer {@code 503} so the supervisor takes the instance out and restarts it. (The launcher
 * also runs the JVM with {@code -XX:+ExitOnOutOfMemoryError}, which ends the process at once.)
 */
public final class Health {
    private static final Logger LOG = LoggerFactory.getLogger(Health.class);
    private final AtomicReference<String> fatal = new AtomicReference<>();

    /** Records a fatal error; the first one is kept and reported by the probes. */
    public void fatal(Throwable error) {
        String what = error.getClass().getName();
        if (fatal.compareAndSet(null, what)) {
            LOG.atError().setCause(error).addKeyValue("error", what).log("fatal error: this instance reports itself unhealthy from now on");
        }
    }

    /** Records {@code t} as fatal when it is an {@link Error}; exceptions are not. */
    public void observe(Throwable t) {
        if (t instanceof Error) {
            fatal(t);
        }
    }

    public boolean healthy() {
        return fatal.get() == null;
    }

    /** The class name of the first fatal error, or null. */
    public String fatalError() {
        return fatal.get();
    }
}
