package io.imsm.sdk;

import io.imsm.protocol.ExpiryQueue;
import io.imsm.protocol.Scopes;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.SessionKeys;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;
import java.util.Optional;
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
 *   <li>{@link #revoke} erases the keys and frees the session's slot at once. It keeps a tombstone
 *       (the {@code sid} and its expiry, no keys) in a separate, equally bounded table until the session
 *       would have expired, so later tokens of the session fail as {@code revoked} rather than
 *       {@code unknown_session} (section 8). When that table is full the tombstone is not kept: the
 *       session's tokens are still refused, as {@code unknown_session}.</li>
 *   <li>{@link #add} refuses a {@code sid} that is already known, live or revoked (section 3).</li>
 *   <li>It holds at most {@code maxSessions} live sessions; when full it refuses new sessions
 *       ({@link FullException}, the endpoint answers 503) rather than drop a live one. Revoked and
 *       expired sessions do not count.</li>
 * </ul>
 *
 * <p>Thread-safe: lookups are lock-free, inserts and revocations take a short lock. Sessions live in
 * this process only; several instances of a service each hold the sessions exchanged with them.
 *
 * <p>Memory: a service at full issuance speed holds tens of thousands of sessions (one per token for
 * their whole lifetime), so each is kept compactly, about 200 bytes beside its sid with its map and purge-queue entries (290 before)
 * (the two keys in one array, one time, subject and scope strings shared between the sessions that
 * have the same ones); {@link #find} builds the {@link Session} it returns.
 */
public final class SessionKeyStore {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    private static final System.Logger LOG = System.getLogger(SessionKeyStore.class.getName());

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
            return Scopes.parse(scope);
        }
    }

    /** {@link #add} found the store full of live sessions. */
    public static final class FullException extends RuntimeException {
        FullException(int max) { super("the session store holds " + max + " live sessions"); }
    }

    /**
     * A live session until {@code keepUntil} ({@code session_exp} plus the grace): {@code mac_key ||
     * enc_key}, and the subject and scope as shared by {@link #shared}.
     */
    private record Entry(byte[] keys, String subject, String scope, Instant keepUntil) {
        Session session(String sid, Duration grace) {
            return new Session(sid, new SessionKeys(Arrays.copyOfRange(keys, 0, SessionKeys.KEY_LENGTH),
                    Arrays.copyOfRange(keys, SessionKeys.KEY_LENGTH, 2 * SessionKeys.KEY_LENGTH)), keepUntil.minus(grace), subject, scope);
        }
    }

    /** At most this many distinct subject and scope strings are shared; then sharing starts afresh. */
    private static final int MAX_SHARED_STRINGS = 4096;

    private final Clock clock;
    private final Duration grace;
    private final int maxSessions;
    /** Live sessions; at most {@link #maxSessions}. */
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Revoked sessions: sid to the time their tombstone expires; at most {@link #maxSessions}. */
    private final ConcurrentHashMap<String, Instant> tombstones = new ConcurrentHashMap<>();
    /** Guarded by {@link #lock}; the purge order of both tables. */
    private final ExpiryQueue<String> byExpiry = new ExpiryQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}; one instance of each subject and scope string the live sessions use. */
    private final HashMap<String, String> strings = new HashMap<>();

    /** A store with a 60 s grace and {@link #DEFAULT_MAX_SESSIONS}. */
    public SessionKeyStore(Clock clock) { this(clock, Kx1.MAX_CLOCK_SKEW, DEFAULT_MAX_SESSIONS); }

    /**
     * @param grace       how long after {@code session_exp} an entry is kept; use the token verifier's skew
     * @param maxSessions the most live sessions held at once (and, separately, the most tombstones)
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
            if (entries.containsKey(session.sid()) || tombstones.containsKey(session.sid())) {
                return false;
            }
            if (entries.size() >= maxSessions) {
                throw new FullException(maxSessions);
            }
            byte[] keys = new byte[2 * SessionKeys.KEY_LENGTH];
            byte[] mac = session.keys().macKey();
            byte[] enc = session.keys().encKey();
            System.arraycopy(mac, 0, keys, 0, SessionKeys.KEY_LENGTH);
            System.arraycopy(enc, 0, keys, SessionKeys.KEY_LENGTH, SessionKeys.KEY_LENGTH);
            Arrays.fill(mac, (byte) 0);
            Arrays.fill(enc, (byte) 0);
            entries.put(session.sid(), new Entry(keys, shared(session.subject()), shared(session.scope()), keepUntil));
            byExpiry.add(session.sid(), keepUntil);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The live session {@code sid}; empty when it is unknown, expired or revoked. */
    public Optional<Session> find(String sid) {
        if (sid == null) {
            return Optional.empty();
        }
        Entry e = entries.get(sid);
        if (e != null && !e.keepUntil().isAfter(clock.instant())) {
            entries.remove(sid, e);
            return Optional.empty();
        }
        return e == null ? Optional.empty() : Optional.of(e.session(sid, grace));
    }

    /** Whether {@code sid} was revoked (and its tombstone has not yet expired). */
    public boolean isRevoked(String sid) {
        if (sid == null) {
            return false;
        }
        Instant until = tombstones.get(sid);
        if (until != null && !until.isAfter(clock.instant())) {
            tombstones.remove(sid, until);
            return false;
        }
        return until != null;
    }

    /**
     * Revokes {@code sid}: its keys are dropped, its slot freed, and a tombstone is kept until the
     * session would have expired (when the tombstone table has room).
     *
     * @return {@code true} when a live session was revoked, {@code false} when it was unknown, expired
     *         or already revoked
     */
    public boolean revoke(String sid) {
        if (find(sid).isEmpty()) {
            return false;
        }
        lock.lock();
        try {
            Entry e = entries.remove(sid);
            if (e == null) {
                return false; // revoked or purged meanwhile
            }
            if (tombstones.size() < maxSessions) {
                tombstones.put(sid, e.keepUntil());
            } else {
                LOG.log(System.Logger.Level.WARNING, "tombstone table full ({0}): tokens of a revoked session will read as unknown_session",
                        maxSessions);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Number of live sessions, including expired ones not purged yet. */
    public int size() { return entries.size(); }

    /** Number of tombstones of revoked sessions, including expired ones not purged yet. */
    public int revokedSize() { return tombstones.size(); }

    /** Guarded by {@link #lock}: the one instance of {@code value} (many sessions share a subject or scope). */
    private String shared(String value) {
        if (strings.size() >= MAX_SHARED_STRINGS) {
            strings.clear();
        }
        String known = strings.putIfAbsent(value, value);
        return known == null ? value : known;
    }

    private void purge(Instant now) {
        byExpiry.removeExpired(now, (sid, until) -> {
            entries.computeIfPresent(sid, (k, e) -> e.keepUntil().equals(until) ? null : e);
            tombstones.remove(sid, until);
        });
    }
}
