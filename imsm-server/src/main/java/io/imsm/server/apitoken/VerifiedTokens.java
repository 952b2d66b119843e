package io.imsm.server.apitoken;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.imsm.server.model.ApiToken;
import io.imsm.server.model.ApiTokenEvent;
import io.imsm.server.model.User;
import io.imsm.server.store.ApiTokenStore;
import io.imsm.server.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Decisions about API tokens, cached per SHA-256 of the whole token for a short time, so the ingress
 * answers most requests without the database. A token that is deleted, disabled or changed leaves the
 * cache at once: on this instance right after the commit ({@link #catchUp()}), on the others (several
 * instances on one PostgreSQL) at their next look at the token history, every {@code pollInterval}.
 * The history's growing id says what is new; ids of transactions that commit out of order are caught
 * by re-reading a window of recent ids.
 */
final class VerifiedTokens implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VerifiedTokens.class);
    private static final int WINDOW = 200;

    /** A verified token: its row, its owner, the scopes it carries now, and use tracking. */
    record Verified(ApiToken token, User user, Set<String> scopes, Set<String> addresses, AtomicLong lastTouchMillis) {}

    private final Database db;
    private final ApiTokenStore store;
    private final Cache<String, Verified> byDigest;
    private final Cache<String, Boolean> refused;
    private final List<Consumer<String>> dropListeners = new CopyOnWriteArrayList<>();
    private final Object pollLock = new Object();
    private final Set<Long> recentIds = new HashSet<>();
    private final ArrayDeque<Long> recentOrder = new ArrayDeque<>();
    private long lastId = -1;
    private final Optional<Duration> pollInterval;
    private ScheduledExecutorService poller;

    VerifiedTokens(Database db, ApiTokenStore store, Duration ttl, Optional<Duration> pollInterval) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.byDigest = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).build();
        // refusals are cached too, so a stranger repeating a bad token does not reach the database each time
        this.refused = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(5)).maximumSize(100_000).build();
        this.pollInterval = pollInterval;
    }

    /** Notes where the history stands, then (several instances) starts looking for what others revoke. */
    synchronized void start() {
        catchUp();
        if (poller == null && pollInterval.isPresent()) {
            long every = pollInterval.get().toMillis();
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "imsm-token-revocation-watch");
                t.setDaemon(true);
                return t;
            });
            poller.scheduleWithFixedDelay(this::catchUpQuietly, every, every, TimeUnit.MILLISECONDS);
        }
    }

    Verified cached(String digest) {
        return byDigest.getIfPresent(digest);
    }

    boolean refusedRecently(String digest) {
        return refused.getIfPresent(digest) != null;
    }

    void remember(String digest, Verified v) {
        byDigest.put(digest, v);
    }

    void rememberRefusal(String digest) {
        refused.put(digest, Boolean.TRUE);
    }

    /** Called with the key of every token dropped (and of its parent's drops): for caches built on top. */
    void onDrop(Consumer<String> listener) {
        dropListeners.add(listener);
    }

    /** Drops the token and every token delegated from it. */
    void drop(String key) {
        byDigest.asMap().values().removeIf(v -> v.token().key().equals(key) || key.equals(v.token().parentKey()));
        dropListeners.forEach(l -> l.accept(key));
    }

    /** Reads the history entries this instance has not seen and drops the tokens they change. */
    void catchUp() {
        synchronized (pollLock) {
            if (lastId < 0) {
                lastId = db.read(store::lastEventId);
                return;
            }
            List<ApiTokenEvent> events = db.read(h -> store.invalidationsAfter(h, Math.max(0, lastId - WINDOW), 1000));
            for (ApiTokenEvent e : events) {
                if (recentIds.add(e.id())) {
                    recentOrder.addLast(e.id());
                    drop(e.tokenKey());
                }
                lastId = Math.max(lastId, e.id());
            }
            while (recentOrder.size() > 4 * WINDOW) {
                recentIds.remove(recentOrder.removeFirst());
            }
        }
    }

    private void catchUpQuietly() {
        try {
            catchUp();
        } catch (RuntimeException e) {
            LOG.warn("reading token revocations failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    static Set<String> concurrentSet() {
        return ConcurrentHashMap.newKeySet();
    }
}
