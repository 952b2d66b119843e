package io.imsm.sdk;

import io.imsm.protocol.Kx1;
import io.imsm.protocol.SessionKeys;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The service's KX1 sessions: {@code sid -> (mac_key, enc_key, session_exp, sub, scope)}
 * (docs/protocol.md section 6).
 *
 * <ul>
 *   <li>A session is kept until {@code session_exp} plus a grace equal to the clock skew the
 *       {@link TokenVerifier} allows (default 60 s), so a token still inside its skew-tolerant lifetime
 *       is judged by its times (and refused as expired) instead of being reported as an unknown session.
 *       Expired entries are purged on every insert and whenever a lookup meets one; time comes from the
 *       injected {@link Clock}.</li>
 *   <li>{@link #revoke} erases the keys but keeps a tombstone for the same time, so later tokens of the
 *       session fail as revoked rather than unknown (section 8).</li>
 *   <li>{@link #add} refuses a {@code sid} that is already known, live or revoked (section 3).</li>
 *   <li>It holds at most {@code maxSessions} entries; when full of live ones it refuses new sessions
 *       ({@link FullException}) rather than drop a live one.</li>
 * </ul>
 *
 * <p>Thread-safe: lookups are lock-free, inserts take a short lock. Sessions live in this process
 * only; several instances of a service each hold the sessions exchanged with them.
 */
public final class SessionKeyStore {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;

    /**
     * One session as the service keeps it.
     *
     * @param sessionExpiresAt {@code session_exp} of the offer
     * @param scope            the scopes granted by the offer, space-separated
     */
    public record Session(String sid, SessionKeys keys, Instant sessionExpiresAt, String subject, String scope) {
        public Session {
            if (!Kx1.isValidId(sid)) {
                throw new IllegalArgumentException("sid must be 1..128 base64url characters");
            }
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(sessionExpiresAt, "sessionExpiresAt");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(scope, "scope");
        }

        /** The granted scopes as a set. */
        public Set<String> scopes() {
            Set<String> set = new LinkedHashSet<>();
            Arrays.stream(scope.split(" ")).filter(s -> !s.isEmpty()).forEach(set::add);
            return Collections.unmodifiableSet(set);
        }
    }

    /** {@link #add} found the store full of live sessions. */
    public static final class FullException extends RuntimeException {
        FullException(int max) { super("the session store holds " + max + " live sessions"); }
    }

    /** A live session ({@code session != null}) or a tombstone of a revoked one. */
    private record Entry(Session session, Instant keepUntil) {
        boolean revoked() { return session == null; }
    }

    private record Expiry(String sid, Instant keepUntil) {}

    private final Clock clock;
    private final Duration grace;
    private final int maxSessions;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Guarded by {@link #lock}; the purge order. */
    private final PriorityQueue<Expiry> byExpiry = new PriorityQueue<>((a, b) -> a.keepUntil().compareTo(b.keepUntil()));
    private final ReentrantLock lock = new ReentrantLock();

    /** A store with a 60 s grace and {@link #DEFAULT_MAX_SESSIONS}. */
    public SessionKeyStore(Clock clock) { this(clock, Kx1.MAX_CLOCK_SKEW, DEFAULT_MAX_SESSIONS); }

    /**
     * @param grace       how long after {@code session_exp} an entry is kept; use the token verifier's skew
     * @param maxSessions the most entries (live sessions and tombstones) held at once
     */
    public SessionKeyStore(Clock clock, Duration grace, int maxSessions) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.grace = Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be positive");
        }
        this.maxSessions = maxSessions;
    }

    /**
     * Stores a new session.
     *
     * @return {@code false} when the {@code sid} is already known (live or revoked): nothing is changed
     * @throws FullException when the store is full of live entries
     * @throws IllegalArgumentException when {@code session_exp} (plus the grace) has already passed
     */
    public boolean add(Session session) {
        Objects.requireNonNull(session, "session");
        Instant now = clock.instant();
        Instant keepUntil = session.sessionExpiresAt().plus(grace);
        if (!keepUntil.isAfter(now)) {
            throw new IllegalArgumentException("session_exp has passed");
        }
        lock.lock();
        try {
            purge(now);
            if (entries.containsKey(session.sid())) {
                return false;
            }
            if (entries.size() >= maxSessions) {
                throw new FullException(maxSessions);
            }
            entries.put(session.sid(), new Entry(session, keepUntil));
            byExpiry.add(new Expiry(session.sid(), keepUntil));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The live session {@code sid}; empty when it is unknown, expired or revoked. */
    public Optional<Session> find(String sid) {
        Entry e = current(sid);
        return e == null || e.revoked() ? Optional.empty() : Optional.of(e.session());
    }

    /** Whether {@code sid} was revoked (and its tombstone has not yet expired). */
    public boolean isRevoked(String sid) {
        Entry e = current(sid);
        return e != null && e.revoked();
    }

    /**
     * Revokes {@code sid}: its keys are dropped and a tombstone is kept until the session would have
     * expired.
     *
     * @return {@code true} when a live session was revoked, {@code false} when it was unknown, expired
     *         or already revoked
     */
    public boolean revoke(String sid) {
        if (current(sid) == null) {
            return false;
        }
        boolean[] revoked = {false};
        entries.computeIfPresent(sid, (k, e) -> {
            if (!e.revoked()) {
                revoked[0] = true;
                return new Entry(null, e.keepUntil());
            }
            return e;
        });
        return revoked[0];
    }

    /** Number of entries, live sessions and tombstones, including expired ones not purged yet. */
    public int size() { return entries.size(); }

    /** The entry for {@code sid} if it has not expired; an expired one met here is removed. */
    private Entry current(String sid) {
        if (sid == null) {
            return null;
        }
        Entry e = entries.get(sid);
        if (e != null && !e.keepUntil().isAfter(clock.instant())) {
            entries.remove(sid, e);
            return null;
        }
        return e;
    }

    private void purge(Instant now) {
        Expiry head;
        while ((head = byExpiry.peek()) != null && !head.keepUntil().isAfter(now)) {
            byExpiry.poll();
            String sid = head.sid();
            Instant until = head.keepUntil();
            entries.computeIfPresent(sid, (k, e) -> e.keepUntil().equals(until) ? null : e);
        }
    }
}
