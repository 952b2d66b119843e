package io.imsm.server.token;

import io.imsm.server.config.ConfigLoader;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.store.RateLimitBuckets;
import io.imsm.server.support.Http;
import io.imsm.testing.MutableClock;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Token requests per person and per service and minute, refused with 429 before any key exchange. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IssuanceLimitTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    SdkService kxService;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("issuance.per_person_per_minute", "3", "issuance.per_service_per_minute", "5"));
        Http admin = s.client();
        for (String id : List.of("reports", "wide", "spare")) {
            assertThat(admin.putJson("/api/v1/admin/services/" + id, Map.of("name", id, "binding", "jwks", "roles", List.of("ops"),
                    "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(201);
        }
        kxService = new SdkService(s, "exchanging");
        assertThat(admin.putJson("/api/v1/admin/services/exchanging", Map.of("name", "exchanging", "kx_url", kxService.kxUrl(),
                "public_jwk", kxService.publicJwk(), "roles", List.of("ops"), "scopes", List.of("read")), "Authorization", BEARER).status())
                .isEqualTo(201);
    }

    @AfterAll
    void stop() {
        s.close();
        kxService.close();
    }

    /** Every test starts with full buckets: the services' minute has passed. */
    @BeforeEach
    void nextMinute() {
        s.clock.advance(Duration.ofSeconds(61));
    }

    Http loggedIn(String name) {
        People.Person p = People.ready(s, name, List.of("ops"));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        return c;
    }

    @Test
    void whenPersonAsksTooOften_then429WithRetryAfter_andAMinuteLaterAgain() {
        Http c = loggedIn("pia");
        for (int i = 0; i < 3; i++) {
            assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of()).status()).isEqualTo(201);
        }
        Http.Res r = c.postJson("/api/v1/services/reports/tokens", Map.of());
        assertThat(r.status()).as(r.toString()).isEqualTo(429);
        assertThat(r.code()).isEqualTo("rate_limited");
        assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
        assertThat(c.get("/api/v1/sessions").json().path("sessions")).hasSize(3);
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of()).status()).isEqualTo(201);
    }

    @Test
    void whenServiceIssuedTooMany_thenEveryoneWaits() {
        Http a = loggedIn("quin");
        Http b = loggedIn("rosa");
        for (int i = 0; i < 3; i++) {
            assertThat(a.postJson("/api/v1/services/wide/tokens", Map.of()).status()).isEqualTo(201);
        }
        assertThat(b.postJson("/api/v1/services/wide/tokens", Map.of()).status()).isEqualTo(201);
        assertThat(b.postJson("/api/v1/services/wide/tokens", Map.of()).status()).isEqualTo(201);
        Http.Res r = b.postJson("/api/v1/services/wide/tokens", Map.of());
        assertThat(r.status()).as(r.toString()).isEqualTo(429);
        assertThat(r.json().path("detail").asText()).contains("service");
        assertThat(b.postJson("/api/v1/services/spare/tokens", Map.of()).status()).as("other services are not affected").isEqualTo(201);
    }

    @Test
    void whenOverTheLimit_thenTheServiceSeesNoOffer() {
        Http c = loggedIn("sven");
        int before = kxService.offers.get();
        for (int i = 0; i < 3; i++) {
            assertThat(c.postJson("/api/v1/services/exchanging/tokens", Map.of()).status()).isEqualTo(201);
        }
        assertThat(c.postJson("/api/v1/services/exchanging/tokens", Map.of()).status()).isEqualTo(429);
        assertThat(kxService.offers.get() - before).isEqualTo(3);
        assertThat(kxService.sessions.size()).isEqualTo(3);
    }

    @Test
    void whenTokenPageOverTheLimit_thenFormShowsTheReason() {
        Http c = loggedIn("tove");
        for (int i = 0; i < 3; i++) {
            assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of()).status()).isEqualTo(201);
        }
        Http.Res page = c.postForm("/services/reports", Http.form("_csrf", c.csrf()));
        assertThat(page.status()).isEqualTo(429);
        assertThat(page.header("Retry-After")).isNotNull();
        assertThat(page.body()).contains("too many tokens");
    }

    @Test
    void whenLimitIsZero_thenUnlimited_andTheEnvironmentCanSetIt() {
        Config cfg = ConfigLoader.load(Optional.empty(), Map.of("IMSM_ISSUANCE_PER_PERSON_PER_MINUTE", "0"), Map.of());
        assertThat(cfg.issuance().perPersonPerMinute()).isZero();
        assertThat(cfg.issuance().perServicePerMinute()).isEqualTo(600);
        assertThat(ConfigLoader.load(Optional.empty(), Map.of(), Map.of()).issuance().perPersonPerMinute()).isEqualTo(30);
        IssuanceLimits unlimited = new IssuanceLimits(new Config.Issuance(0, 0),
                RateLimitBuckets.inMemory(MutableClock.startingNow(), Duration.ofMinutes(2), 100));
        for (int i = 0; i < 10_000; i++) {
            unlimited.take("u", "svc");
        }
        IssuanceLimits one = new IssuanceLimits(new Config.Issuance(1, 0),
                RateLimitBuckets.inMemory(MutableClock.startingNow(), Duration.ofMinutes(2), 100));
        one.take("u", "svc");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> one.take("u", "svc")).isInstanceOf(ImsmException.Throttled.class);
    }
}
