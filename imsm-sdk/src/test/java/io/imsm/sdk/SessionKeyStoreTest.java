package io.imsm.sdk;

import io.imsm.testing.MutableClock;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.SessionKeys;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SessionKeyStoreTest {
    private static final Duration GRACE = Duration.ofSeconds(60);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SecureRandom random = new SecureRandom();
    private final SessionKeyStore store = new SessionKeyStore(clock, GRACE, 3);

    private SessionKeyStore.Session session(Duration lifetime) {
        byte[] mac = new byte[32];
        byte[] enc = new byte[32];
        random.nextBytes(mac);
        random.nextBytes(enc);
        return new SessionKeyStore.Session(Kx1.newId(random), new SessionKeys(mac, enc), clock.instant().plus(lifetime),
                "alice", "search:read profile");
    }

    @Test
    void whenSessionAdded_thenFoundUntilSessionExpPlusGrace() {
        SessionKeyStore.Session s = session(Duration.ofMinutes(10));
        assertThat(store.add(s)).isTrue();
        assertThat(store.find(s.sid())).contains(s);
        assertThat(s.scopes()).containsExactly("search:read", "profile");

        clock.advance(Duration.ofMinutes(10).plus(GRACE).minusSeconds(1));
        assertThat(store.find(s.sid())).contains(s);
        clock.advance(Duration.ofSeconds(1));
        assertThat(store.find(s.sid())).isEmpty();
        assertThat(store.size()).isZero(); // removed when the lookup met it
    }

    @Test
    void whenInserting_thenExpiredEntriesArePurged() {
        store.add(session(Duration.ofMinutes(1)));
        store.add(session(Duration.ofMinutes(2)));
        clock.advance(Duration.ofMinutes(5));

        store.add(session(Duration.ofMinutes(10)));

        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void whenRevoked_thenKeysGoneAndTombstoneKeptUntilSessionExp() {
        SessionKeyStore.Session s = session(Duration.ofMinutes(10));
        store.add(s);

        assertThat(store.revoke(s.sid())).isTrue();

        assertThat(store.find(s.sid())).isEmpty();
        assertThat(store.isRevoked(s.sid())).isTrue();
        assertThat(store.revoke(s.sid())).isFalse(); // already revoked
        clock.advance(Duration.ofMinutes(9));
        assertThat(store.isRevoked(s.sid())).isTrue();
        clock.advance(Duration.ofMinutes(1).plus(GRACE));
        assertThat(store.isRevoked(s.sid())).isFalse();
        assertThat(store.revoke(Kx1.newId(random))).isFalse(); // unknown
    }

    @Test
    void whenSidAlreadyKnown_thenAddRefused_liveOrRevoked() {
        SessionKeyStore.Session s = session(Duration.ofMinutes(10));
        store.add(s);
        SessionKeyStore.Session again = new SessionKeyStore.Session(s.sid(), session(Duration.ofMinutes(1)).keys(),
                clock.instant().plus(Duration.ofHours(1)), "mallory", "admin");

        assertThat(store.add(again)).isFalse();
        assertThat(store.find(s.sid())).contains(s);
        store.revoke(s.sid());
        assertThat(store.add(again)).isFalse();
        assertThat(store.isRevoked(s.sid())).isTrue();
    }

    @Test
    void whenFullOfLiveSessions_thenNewOnesRefusedUntilSomeExpire() {
        store.add(session(Duration.ofMinutes(1)));
        store.add(session(Duration.ofMinutes(10)));
        store.add(session(Duration.ofMinutes(10)));

        assertThatThrownBy(() -> store.add(session(Duration.ofMinutes(10)))).isInstanceOf(SessionKeyStore.FullException.class);

        clock.advance(Duration.ofMinutes(1).plus(GRACE));
        assertThat(store.add(session(Duration.ofMinutes(10)))).isTrue();
    }

    @Test
    void whenSessionsAreRevoked_thenTheirSlotsAreFreedAtOnceAndTheyStayRevoked() {
        // A person requesting and revoking tokens in a loop must not fill the store for session_exp.
        List<SessionKeyStore.Session> revoked = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            SessionKeyStore.Session s = session(Duration.ofHours(9));
            assertThat(store.add(s)).isTrue();
            assertThat(store.revoke(s.sid())).isTrue();
            revoked.add(s);
        }
        assertThat(store.size()).isZero();
        SessionKeyStore.Session live = session(Duration.ofHours(9));
        assertThat(store.add(live)).isTrue();
        assertThat(store.find(live.sid())).contains(live);
        // The first tombstones (as many as the store holds sessions) still say revoked; the rest were not kept.
        assertThat(revoked.subList(0, 3)).allSatisfy(s -> {
            assertThat(store.isRevoked(s.sid())).isTrue();
            assertThat(store.find(s.sid())).isEmpty();
        });
        assertThat(revoked.subList(3, 10)).allSatisfy(s -> assertThat(store.find(s.sid())).isEmpty());
        assertThat(store.revokedSize()).isEqualTo(3);

        clock.advance(Duration.ofHours(9).plus(GRACE));
        assertThat(store.isRevoked(revoked.get(0).sid())).isFalse(); // the tombstone expired with the session
    }

    @Test
    void whenSessionExpAlreadyPassed_thenAddRefused() {
        SessionKeyStore.Session s = session(Duration.ofMinutes(1));
        clock.advance(Duration.ofMinutes(1).plus(GRACE));

        assertThatThrownBy(() -> store.add(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenManyThreadsAddTheSameSids_thenEachIsAcceptedOnce() throws Exception {
        SessionKeyStore big = new SessionKeyStore(clock);
        List<SessionKeyStore.Session> sessions = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sessions.add(session(Duration.ofMinutes(10)));
        }
        AtomicInteger accepted = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> sessions.forEach(s -> {
                    if (big.add(s)) {
                        accepted.incrementAndGet();
                    }
                    big.find(s.sid());
                })));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertThat(accepted.get()).isEqualTo(200);
        assertThat(big.size()).isEqualTo(200);
    }

    @Test
    void whenManySessionsAreHeld_thenEachTakesUnder240BytesBesideItsSidAndKeepsItsOwnSubjectAndKeys() {
        int n = 190_000;
        // the lookups, the purge and the revocation run once before, so their classes are loaded
        SessionKeyStore small = new SessionKeyStore(clock, GRACE, 10);
        SessionKeyStore.Session first = session(Duration.ofMinutes(1));
        small.add(first);
        small.find(first.sid());
        small.revoke(first.sid());
        SessionKeyStore big = new SessionKeyStore(clock, GRACE, n);
        String[] sids = new String[n];
        SessionKeys[] keys = new SessionKeys[n];
        for (int i = 0; i < n; i++) {
            sids[i] = Kx1.newId(random);
            keys[i] = session(Duration.ofMinutes(1)).keys();
        }
        // the sid strings are made before: they are the map's keys (about 90 bytes each), counted apart; the
        // heap is measured after half the sessions and after all, so what the JVM allocates once cancels out
        long half = 0;
        for (int i = 0; i < n; i++) {
            if (i == n / 2) {
                half = usedHeapAfterGc();
            }
            // as a key exchange makes them: every string parsed afresh from its offer; 2,000 people
            big.add(new SessionKeyStore.Session(sids[i], keys[i], clock.instant().plus(Duration.ofMinutes(5)),
                    ("person-" + (i % 2000)).trim(), new String("search:read profile".toCharArray())));
        }
        long perSession = (usedHeapAfterGc() - half) / (n - n / 2);

        assertThat(perSession).as("bytes of heap per held session").isLessThan(240);
        assertThat(big.size()).isEqualTo(n);
        for (int i = 0; i < n; i += 997) {
            SessionKeyStore.Session found = big.find(sids[i]).orElseThrow();
            assertThat(found.subject()).isEqualTo("person-" + (i % 2000));
            assertThat(found.scope()).isEqualTo("search:read profile");
            assertThat(found.keys()).isEqualTo(keys[i]);
            assertThat(found.sessionExpiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        }
        assertThatThrownBy(() -> big.add(session(Duration.ofMinutes(1)))).isInstanceOf(SessionKeyStore.FullException.class);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void whenPrinted_thenNoKeyMaterial() {
        SessionKeyStore.Session s = session(Duration.ofMinutes(1));

        assertThat(s.toString()).contains("<hidden>");
    }
}
