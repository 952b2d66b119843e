package io.imsm.server.token;

import io.imsm.server.store.Database;
import io.imsm.server.store.TokenSessionStore;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two IMSM instances (two servers in this JVM, each with its own pool, port and data directory) on
 * one PostgreSQL database: both issue tokens, the per-account login limit counts failures at either,
 * each outbox message is claimed by one instance per attempt, and a purge does not wait behind a
 * claimed delivery.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeveralInstancesTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer one;
    TestServer two;

    @BeforeAll
    void start() throws Exception {
        one = TestServer.start(TestDatabases.Kind.POSTGRES, Map.of("login.max_failures_per_account", "4"));
        two = TestServer.start(one.db, Files.createTempDirectory("imsm-test"), Map.of("login.max_failures_per_account", "4"), one.env);
    }

    @AfterAll
    void stop() {
        two.close();
        one.close();
    }

    @Test
    void whenEachInstanceIssues_thenBothTokensWorkAtTheirService() throws Exception {
        Http admin = one.client();
        try (SdkService viaOne = new SdkService(one, "ledger-one"); SdkService viaTwo = new SdkService(two, "ledger-two")) {
            for (SdkService svc : List.of(viaOne, viaTwo)) {
                Http.Res r = admin.putJson("/api/v1/admin/services/" + svc.id, Map.of("name", svc.id, "kx_url", svc.kxUrl(),
                        "public_jwk", svc.publicJwk(), "roles", List.of("analyst"), "scopes", List.of("read")), "Authorization", BEARER);
                assertThat(r.status()).as(r.toString()).isEqualTo(201);
            }
            People.Person p = People.ready(one, "ines", List.of("analyst"));
            for (var pair : List.of(Map.entry(one, viaOne), Map.entry(two, viaTwo))) {
                Http c = pair.getKey().client();
                // A TOTP step is used once, at either instance: each login uses a later step than any before.
                Instant latest = one.clock.instant().isAfter(two.clock.instant()) ? one.clock.instant() : two.clock.instant();
                pair.getKey().clock.advance(Duration.between(pair.getKey().clock.instant(), latest).plusSeconds(30));
                Http.Res login = People.login(pair.getKey(), c, p);
                assertThat(login.status()).as(login.toString()).isEqualTo(200);
                Http.Res t = c.postJson("/api/v1/services/" + pair.getValue().id + "/tokens", Map.of());
                assertThat(t.status()).as(t.toString()).isEqualTo(201);
                assertThat(pair.getValue().call(t.json().path("token").asText()).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void whenFailuresSpreadOverBothInstances_thenTheAccountLocksAtTheSharedLimit() {
        People.Person p = People.ready(one, "lars", List.of("analyst"));
        TestServer[] order = {one, two, one, two};
        for (TestServer s : order) {
            Http.Res r = s.client().postJson("/api/v1/login", Map.of("username", p.username(), "password", "wrong-password-1", "otp", "000000"));
            assertThat(r.status()).as(r.toString()).isIn(401, 429);
        }
        // Four failures in all, two at each: the account is locked at both, even for the right password.
        assertThat(People.login(two, two.client(), p).status()).isEqualTo(429);
        assertThat(People.login(one, one.client(), p).status()).isEqualTo(429);
    }

    @Test
    void whenBothInstancesClaimTheOutboxAtOnce_thenEachMessageIsClaimedOnce() throws Exception {
        TokenSessionStore store = new TokenSessionStore();
        Database a = one.server.wiring().ctx().database();
        Database b = two.server.wiring().ctx().database();
        Instant now = Instant.now();
        a.inTransaction(h -> {
            for (int i = 0; i < 60; i++) {
                store.enqueue(h, Outbox.REVOKE, "claim-test", "sid-" + i, now.minusSeconds(1));
            }
            return null;
        });
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> runs = new ArrayList<>();
            for (Database db : List.of(a, b, a, b)) {
                Callable<List<String>> claimer = () -> {
                    go.await();
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        var m = db.inTransaction(h -> store.claimDue(h, "claim-test", now, now.plus(Outbox.LEASE), db.isPostgres()));
                        if (m.isEmpty()) {
                            return mine;
                        }
                        mine.add(m.get().payload());
                    }
                };
                runs.add(pool.submit(claimer));
            }
            go.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> r : runs) {
                all.addAll(r.get(30, TimeUnit.SECONDS));
            }
            Set<String> distinct = new HashSet<>(all);
            assertThat(all).as("claims in all").hasSize(60);
            assertThat(distinct).as("distinct messages").hasSize(60);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void whenADeliveryHoldsItsClaimTransaction_thenAnotherInstanceClaimsTheNextAndPurgesDoNotWait() throws Exception {
        TokenSessionStore store = new TokenSessionStore();
        Database a = one.server.wiring().ctx().database();
        Database b = two.server.wiring().ctx().database();
        Instant now = Instant.now();
        a.inTransaction(h -> {
            store.enqueue(h, Outbox.REVOKE, "slow-test", "first", now.minusSeconds(2));
            store.enqueue(h, Outbox.REVOKE, "slow-test", "second", now.minusSeconds(1));
            return null;
        });
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // Instance one claims "first" and keeps its transaction (and the row lock) open.
            Future<String> holder = pool.submit(() -> a.inTransaction(h -> {
                String p = store.claimDue(h, "slow-test", now, now.plus(Outbox.LEASE), true).orElseThrow().payload();
                claimed.countDown();
                release.await(10, TimeUnit.SECONDS);
                return p;
            }));
            assertThat(claimed.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            var other = b.inTransaction(h -> store.claimDue(h, "slow-test", now, now.plus(Outbox.LEASE), true));
            int purged = b.inTransaction(h -> store.purgeExpired(h, now.minus(Duration.ofDays(1))));
            long tookMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            release.countDown();
            assertThat(holder.get(10, TimeUnit.SECONDS)).isEqualTo("first");
            assertThat(other).map(TokenSessionStore.OutboxRow::payload).contains("second");
            assertThat(purged).isGreaterThanOrEqualTo(0);
            assertThat(tookMs).as("ms the other instance waited").isLessThan(2000);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
