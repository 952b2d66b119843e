package io.imsm.server.token;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.RoundRobinProxy;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A protected service running as two replicas behind a round-robin proxy without sticky sessions
 * (docs/decisions/0016-service-replicas.md): the IMS reaches one replica for the key exchange, yet the
 * token works on both, on a replica restarted mid-session too, and a revocation is honoured by both
 * within a second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServiceReplicasTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final Duration POLL = Duration.ofMillis(400);
    final HttpClient http = HttpClient.newHttpClient();
    TestServer s;
    ECKey key;
    SdkService a;
    SdkService b;
    RoundRobinProxy proxy;
    Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        key = SdkService.newKey("ledger");
        a = SdkService.replica(s, "ledger", key, POLL);
        b = SdkService.replica(s, "ledger", key, POLL);
        proxy = new RoundRobinProxy(List.of(a.baseUrl(), b.baseUrl()));
        admin = s.client();
        Http.Res r = admin.putJson("/api/v1/admin/services/ledger", Map.of("name", "ledger", "kx_url", proxy.baseUrl() + "/imsm/kx",
                "public_jwk", a.publicJwk(), "roles", List.of("analyst"), "scopes", List.of("read")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        proxy.close();
        a.close();
        b.close();
        s.close();
    }

    Http.Res token(String person) {
        return token(People.ready(s, person, List.of("analyst")));
    }

    Http.Res token(People.Person p) {
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res r = c.postJson("/api/v1/services/ledger/tokens", Map.of());
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r;
    }

    /** Status and body of {@code GET /whoami} at {@code baseUrl} with the token. */
    String whoami(String baseUrl, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/whoami"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void whenTokenExchangedThroughOneReplica_thenEveryReplicaAndTheProxyAcceptIt() throws Exception {
        String token = token("rita").json().path("token").asText();
        assertThat(a.offers.get() + b.offers.get()).as("offers").isGreaterThanOrEqualTo(1);

        assertThat(whoami(a.baseUrl(), token)).startsWith("200 ").contains("rita");
        assertThat(whoami(b.baseUrl(), token)).startsWith("200 ").contains("rita");
        for (int i = 0; i < 4; i++) {
            assertThat(whoami(proxy.baseUrl(), token)).startsWith("200 ");
        }
    }

    @Test
    void whenReplicaRestartsMidSession_thenItStillAcceptsLiveTokens() throws Exception {
        String token = token("rolf").json().path("token").asText();
        assertThat(whoami(b.baseUrl(), token)).startsWith("200 ");

        b.close();
        b = SdkService.replica(s, "ledger", key, POLL); // a new process: no sessions in memory
        proxy.replace(1, b.baseUrl());
        assertThat(b.sessions.size()).isZero();

        assertThat(whoami(b.baseUrl(), token)).startsWith("200 ").contains("rolf");
        assertThat(whoami(proxy.baseUrl(), token)).startsWith("200 ");
        assertThat(whoami(proxy.baseUrl(), token)).startsWith("200 ");
    }

    @Test
    void whenTokenRevoked_thenBothReplicasRefuseItWithinOneSecond() throws Exception {
        People.Person rosa = People.ready(s, "rosa", List.of("analyst"));
        Http.Res issued = token(rosa);
        String token = issued.json().path("token").asText();
        String sid = issued.json().path("sid").asText();
        assertThat(whoami(a.baseUrl(), token)).startsWith("200 ");
        assertThat(whoami(b.baseUrl(), token)).startsWith("200 ");

        assertThat(admin.delete("/api/v1/admin/users/" + rosa.id() + "/tokens/" + sid, "Authorization", BEARER).status()).isEqualTo(204);
        long revokedAt = System.nanoTime();
        boolean aRefuses = false;
        boolean bRefuses = false;
        while ((!aRefuses || !bRefuses) && System.nanoTime() - revokedAt < Duration.ofSeconds(3).toNanos()) {
            aRefuses = aRefuses || whoami(a.baseUrl(), token).equals("401 revoked");
            bRefuses = bRefuses || whoami(b.baseUrl(), token).equals("401 revoked");
            Thread.sleep(20);
        }
        long tookMs = Duration.ofNanos(System.nanoTime() - revokedAt).toMillis();
        System.out.println("ServiceReplicasTest: both replicas refused the revoked token after " + tookMs + " ms");
        assertThat(aRefuses && bRefuses).as("both replicas refuse the revoked token").isTrue();
        assertThat(tookMs).as("milliseconds until both refused").isLessThan(1000);
        assertThat(whoami(proxy.baseUrl(), token)).isEqualTo("401 revoked");
        assertThat(whoami(proxy.baseUrl(), token)).isEqualTo("401 revoked");
    }
}
