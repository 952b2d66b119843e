package io.imsm.server.hooks;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.imsm.server.audit.Retention;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.StoredRows;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The housekeeping's retention of the event outbox (retention.events_days), on H2 and PostgreSQL:
 * deliveries delivered or dead-lettered longer ago go, with the events nothing refers to any more;
 * pending deliveries, however old, and young ones stay; and the purge does not wait for a delivery
 * that is in flight.
 */
class EventRetentionTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenRetentionRuns_thenOldDeliveredAndDeadDeliveriesGo_andPendingOrYoungOnesStay(TestDatabases.Kind kind) throws Exception {
        WireMockServer target = HookTargets.start();
        // two attempts; the retry waits 50 to 100 days, so a failed delivery stays pending across a 31-day step
        try (TestServer s = TestServer.start(kind, Map.of("hooks.poll_millis", "100", "hooks.max_attempts", "2",
                "hooks.retry_base_seconds", "8640000", "hooks.retry_max_seconds", "8640000", "hooks.timeout_seconds", "10",
                "retention.events_days", "30"))) {
            target.stubFor(post(urlEqualTo("/ok")).willReturn(ok()));
            target.stubFor(post(urlEqualTo("/broken")).willReturn(aResponse().withStatus(503)));
            hook(s, target, "sink", "/ok");
            hook(s, target, "broken", "/broken");

            People.createUser(s, "old-1", "initial-Kq7v-pass-old-1", List.of("ops"));
            await(s, d -> d.user().equals("old-1") && d.hookId().equals("sink") && d.state().equals("delivered"));
            await(s, d -> d.user().equals("old-1") && d.hookId().equals("broken") && d.attempts() == 1);

            s.clock.advance(Duration.ofDays(101));   // broken's retry is due: its second failure makes it dead
            await(s, d -> d.user().equals("old-1") && d.hookId().equals("broken") && d.state().equals("dead"));
            People.createUser(s, "mid-1", "initial-Kq7v-pass-mid-1", List.of("ops"));
            await(s, d -> d.user().equals("mid-1") && d.hookId().equals("sink") && d.state().equals("delivered"));
            await(s, d -> d.user().equals("mid-1") && d.hookId().equals("broken") && d.attempts() == 1);

            s.clock.advance(Duration.ofDays(31));    // old-1's rows and mid-1's delivered one are now past 30 days
            target.stubFor(post(urlEqualTo("/slow")).willReturn(ok().withFixedDelay(4000)));
            hook(s, target, "slow", "/slow");
            People.createUser(s, "new-1", "initial-Kq7v-pass-new-1", List.of("ops"));
            await(s, d -> d.user().equals("new-1") && d.hookId().equals("sink") && d.state().equals("delivered"));
            await(s, d -> d.user().equals("new-1") && d.hookId().equals("broken") && d.attempts() == 1);
            await(s, d -> d.user().equals("new-1") && d.hookId().equals("slow") && d.attempts() == 1); // its call is under way

            long t0 = System.nanoTime();
            Retention.Purged purged = s.server.wiring().retention().purge();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).as("the purge does not wait for the slow target's 4 s call").isLessThan(2500);
            assertThat(purged.eventDeliveries()).isEqualTo(3);
            assertThat(purged.events()).isEqualTo(1);
            assertThat(StoredRows.eventDeliveries(s.server.wiring())).extracting(d -> d.hookId() + " " + d.user() + " " + d.state())
                    .containsExactlyInAnyOrder("broken mid-1 pending", "sink new-1 delivered", "broken new-1 pending", "slow new-1 pending");
            assertThat(StoredRows.eventUsers(s.server.wiring())).containsExactlyInAnyOrder("mid-1", "new-1");
            Http.Res dead = s.client().get("/api/v1/admin/events/dead-letters", "Authorization", BEARER);
            assertThat(dead.json().path("dead_letters")).isEmpty();
            // the slow delivery finishes after the purge
            await(s, d -> d.user().equals("new-1") && d.hookId().equals("slow") && d.state().equals("delivered"));

            // a second run finds nothing more to delete
            Retention.Purged again = s.server.wiring().retention().purge();
            assertThat(again.eventDeliveries() + again.events()).isZero();
        } finally {
            target.stop();
        }
    }

    static void hook(TestServer s, WireMockServer target, String id, String path) {
        Http.Res r = s.client().postJson("/api/v1/admin/hooks", Map.of("id", id, "kind", "webhook",
                "url", "http://127.0.0.1:" + target.port() + path, "events", List.of("user.created")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    static void await(TestServer s, Predicate<StoredRows.EventDelivery> which) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        List<StoredRows.EventDelivery> rows;
        do {
            rows = StoredRows.eventDeliveries(s.server.wiring());
            if (rows.stream().anyMatch(which)) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        throw new AssertionError("no such delivery within " + WAIT + ": " + rows);
    }
}
