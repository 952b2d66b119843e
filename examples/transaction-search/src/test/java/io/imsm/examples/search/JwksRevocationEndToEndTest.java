package io.imsm.examples.search;

import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.RemoteJwks;
import io.imsm.sdk.RevocationFeed;
import io.imsm.sdk.TokenVerifier;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Revoking a jwks-binding token reaches the service: the real server signs the per-service
 * revocation list, the SDK's verifier polls it and refuses the token as revoked within its interval.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JwksRevocationEndToEndTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final Duration POLL = Duration.ofMillis(200);
    TestServer s;
    Http olga;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        Http.Res r = s.client().putJson("/api/v1/admin/services/reports", Map.of("name", "Reports", "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("reports:read"), "default_ttl_seconds", 600, "max_ttl_seconds", 3600),
                "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        olga = s.client();
        People.login(s, olga, People.ready(s, "olga", List.of("ops")));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenAJwksTokenIsRevoked_thenTheSdkRefusesItWithinThePollInterval() throws Exception {
        JwksSource keys = RemoteJwks.forIssuer(s.baseUrl(), s.clock, Duration.ofSeconds(30));
        try (RevocationFeed feed = RevocationFeed.builder(s.baseUrl(), "reports", keys).clock(s.clock).interval(POLL).start()) {
            TokenVerifier verifier = new TokenVerifier(s.baseUrl(), "reports", null, keys, s.clock, Duration.ofSeconds(60), feed);
            Http.Res issued = olga.postJson("/api/v1/services/reports/tokens", Map.of());
            assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
            String token = issued.json().path("token").asText();
            String other = olga.postJson("/api/v1/services/reports/tokens", Map.of()).json().path("token").asText();
            assertThat(verifier.verify(token).subject()).isEqualTo("olga");

            assertThat(olga.delete("/api/v1/sessions/" + issued.json().path("sid").asText()).status()).isEqualTo(204);
            long revokedAt = System.nanoTime();
            AccessDeniedException refused = null;
            while (refused == null && System.nanoTime() - revokedAt < POLL.multipliedBy(10).toNanos()) {
                refused = catchThrowableOfType(AccessDeniedException.class, () -> verifier.verify(token));
                Thread.sleep(20);
            }
            assertThat(refused).as("refused within 10 poll intervals").isNotNull();
            assertThat(refused.code()).isEqualTo("revoked");
            assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(POLL.multipliedBy(3));
            assertThat(verifier.verify(other).subject()).isEqualTo("olga"); // only the revoked one
        }
    }

    @Test
    void whenTheListIsFetched_thenItIsASignedJwsForThatServiceOnly() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/services/reports/revocations"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/jwt");
        assertThat(r.body()).startsWith("eyJ").contains(".");
        HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/services/nope/revocations"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    @Test
    void whenNoFreshListForTooLong_thenJwksTokensAreRefusedAsUnavailable() {
        JwksSource keys = RemoteJwks.forIssuer(s.baseUrl(), s.clock, Duration.ofSeconds(30));
        try (RevocationFeed feed = RevocationFeed.builder(s.baseUrl(), "reports", keys).clock(s.clock)
                .interval(Duration.ofHours(1)).maxStaleness(Duration.ofMinutes(2)).start()) {
            TokenVerifier verifier = new TokenVerifier(s.baseUrl(), "reports", null, keys, s.clock, Duration.ofSeconds(60), feed);
            String token = olga.postJson("/api/v1/services/reports/tokens", Map.of()).json().path("token").asText();
            assertThat(verifier.verify(token).subject()).isEqualTo("olga");
            s.clock.advance(Duration.ofMinutes(3)); // no poll happens within the hour-long interval
            AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class, () -> verifier.verify(token));
            assertThat(e.code()).isEqualTo("revocations_unavailable");
            assertThat(e.status()).isEqualTo(503);
            assertThat(feed.poll()).isTrue();
            assertThat(verifier.verify(token).subject()).isEqualTo("olga");
        }
    }
}
