package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The change counter of the configuration every token request reads (hooks, the service catalog;
 * decision 0019), and the version the current HTTP request saw of it.
 *
 * <p>Every write to those tables calls {@link #bump} in its own transaction. A request learns the
 * counter once: the session authentication returns it in its one statement ({@link #observed}), any
 * other request reads it at the first cached lookup ({@link #current}). Caches ({@link Cached}) serve
 * an entry only when it was loaded at that version or later, so an edit committed on any instance
 * counts from the next request on every instance, and a request sees the configuration as of a
 * moment within it, as a read of the rows would. A request that wrote the configuration itself reads
 * the rows for the rest of the request, so an uncommitted change never reaches a cache. Outside an
 * HTTP request (background work) each lookup reads the counter, and a thread outside a request that
 * wrote the configuration reads the rows from then on.
 */
public final class ConfigVersion {
    /** The statement's column: append to a select list to learn the counter in the same statement. */
    public static final String COLUMN = "(SELECT version FROM config_version WHERE id = 1) AS config_version";
    private static final long UNKNOWN = -1;
    /** This request changed the configuration: read the rows, never fill a cache. */
    private static final long WRITTEN = -2;
    private static final ThreadLocal<long[]> REQUEST = new ThreadLocal<>();

    private ConfigVersion() {}

    /** Called by the web layer before each request (one virtual thread per request). */
    public static void beginRequest() {
        REQUEST.set(new long[] {UNKNOWN});
    }

    /** Called by the web layer after each request. */
    public static void endRequest() {
        REQUEST.remove();
    }

    /** The counter as read in this request's authentication statement. */
    public static void observed(long version) {
        long[] r = REQUEST.get();
        if (r != null && r[0] == UNKNOWN) {
            r[0] = version;
        }
    }

    /** Bumps the counter in {@code h}'s transaction; every write to hooks or services calls it. */
    static void bump(Handle h) {
        h.createUpdate("UPDATE config_version SET version = version + 1 WHERE id = 1").execute();
        long[] r = REQUEST.get();
        if (r != null) {
            r[0] = WRITTEN;
        } else {
            // outside a request (start-up, background work): this thread reads the rows from now on
            REQUEST.set(new long[] {WRITTEN});
        }
    }

    /**
     * The version this request may serve cached configuration at (reads the counter on {@code h}
     * when the request has not learnt it yet); negative when the request must read the rows.
     */
    static long current(Handle h) {
        long[] r = REQUEST.get();
        if (r != null && r[0] != UNKNOWN) {
            return r[0];
        }
        long v = h.createQuery("SELECT version FROM config_version WHERE id = 1").mapTo(Long.class).one();
        if (r != null) {
            r[0] = v;
        }
        return v;
    }

    /** The same, opening a connection only when the counter must be read. */
    static long current(Database db) {
        long[] r = REQUEST.get();
        return r != null && r[0] != UNKNOWN ? r[0] : db.read(ConfigVersion::current);
    }

    /** What a grouped write carries to the thread that commits the group: this request's version. */
    public static long capture() {
        long[] r = REQUEST.get();
        return r == null ? UNKNOWN : r[0];
    }

    /** Runs {@code work} as if in the request whose {@link #capture} gave {@code version}. */
    public static <T> T with(long version, Supplier<T> work) {
        long[] saved = REQUEST.get();
        REQUEST.set(new long[] {version});
        try {
            return work.get();
        } finally {
            if (saved == null) {
                REQUEST.remove();
            } else {
                REQUEST.set(saved);
            }
        }
    }

    /**
     * One value of configuration cached with the version it was loaded at: served while the request's
     * version is not newer. Thread-safe; a load racing a newer one never replaces it.
     */
    public static final class Cached<T> {
        private record Entry<T>(long version, T value) {}

        private volatile Entry<T> entry;

        /** The value for this request: cached, or loaded on {@code h} (and cached when allowed). */
        public T get(Handle h, Function<Handle, T> load) {
            long v = current(h);
            Entry<T> e = entry;
            if (v >= 0 && e != null && e.version() >= v) {
                return e.value();
            }
            T value = load.apply(h);
            keep(v, value);
            return value;
        }

        /** The same, opening a connection only on a miss. */
        public T get(Database db, Function<Handle, T> load) {
            long v = current(db);
            Entry<T> e = entry;
            if (v >= 0 && e != null && e.version() >= v) {
                return e.value();
            }
            T value = db.read(load::apply);
            keep(v, value);
            return value;
        }

        private synchronized void keep(long version, T value) {
            if (version >= 0 && (entry == null || entry.version() < version)) {
                entry = new Entry<>(version, value);
            }
        }
    }
}
