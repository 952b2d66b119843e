package io.imsm.server.hooks;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.StoredRows;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two IMSM instances on one PostgreSQL: hooks and service definitions are cached per configuration
 * version (decision 0019), and an edit on one instance counts on the other from its very next request.
 */
class ConfigCacheTwoInstancesTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenHooksOrServicesChangeOnOneInstance_thenTheOthersNextTokenRequestFollowsTheChange() throws Exception {
        WireMockServer target = HookTargets.start();
        try (TestServer a = TestServer.start(TestDatabases.Kind.POSTGRES);
             TestServer b = TestServer.start(a.db, Files.createTempDirectory("imsm-test-b"), Map.of(), a.env)) {
            target.stubFor(post(urlEqualTo("/opa")).willReturn(okJson("{\"result\":{\"allow\":false,\"reason\":\"frozen\"}}")));
            target.stubFor(post(urlEqualTo("/issued")).willReturn(ok()));
            Http adminA = a.client();
            assertThat(adminA.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks",
                    "roles", List.of("ops"), "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(201);
            People.Person p = People.ready(a, "cache-cat", List.of("ops"));
            Http onB = b.client();
            b.clock.advance(java.time.Duration.ofSeconds(30)); // a fresh TOTP step: the enrollment on a used the current one
            assertThat(People.login(b, onB, p).status()).isEqualTo(200);
            // b reads and caches the catalog and the (empty) hook lists
            for (int i = 0; i < 3; i++) {
                assertThat(ask(onB).status()).isEqualTo(201);
            }

            // a decision hook made on a decides b's next token
            Http.Res hook = adminA.postJson("/api/v1/admin/hooks", Map.of("id", "freeze", "kind", "decision",
                    "url", "http://127.0.0.1:" + target.port() + "/opa"), "Authorization", BEARER);
            assertThat(hook.status()).as(hook.toString()).isEqualTo(201);
            Http.Res denied = ask(onB);
            assertThat(denied.status()).as(denied.toString()).isEqualTo(403);
            assertThat(denied.json().path("detail").asText()).isEqualTo("Refused by policy: frozen");
            assertThat(adminA.delete("/api/v1/admin/hooks/freeze", "Authorization", BEARER).status()).isEqualTo(204);
            assertThat(ask(onB).status()).isEqualTo(201);

            // a notification hook made on a gets b's next token event, written in that token's transaction
            assertThat(adminA.postJson("/api/v1/admin/hooks", Map.of("id", "issued", "kind", "webhook",
                    "url", "http://127.0.0.1:" + target.port() + "/issued", "events", List.of("token.issued")),
                    "Authorization", BEARER).status()).isEqualTo(201);
            assertThat(StoredRows.eventDeliveries(b.server.wiring())).noneMatch(d -> d.hookId().equals("issued"));
            assertThat(ask(onB).status()).isEqualTo(201);
            assertThat(StoredRows.eventDeliveries(b.server.wiring())).filteredOn(d -> d.hookId().equals("issued")).hasSize(1);

            // the service closed to the person's role on a: b's next request finds no such service
            assertThat(adminA.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks",
                    "roles", List.of("auditors"), "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(200);
            assertThat(ask(onB).status()).isEqualTo(404);
            // and opened again on a, then deleted there
            assertThat(adminA.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks",
                    "roles", List.of("ops"), "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(200);
            assertThat(ask(onB).status()).isEqualTo(201);
            assertThat(adminA.delete("/api/v1/admin/services/reports", "Authorization", BEARER).status()).isEqualTo(204);
            assertThat(ask(onB).status()).isEqualTo(404);

            // an API token caller (no session statement) on b reads the version itself: the same holds
            assertThat(adminA.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks",
                    "roles", List.of("ops"), "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(201);
            assertThat(b.client().get("/api/v1/admin/services/reports", "Authorization", BEARER).json().path("roles").toString())
                    .contains("ops");
            assertThat(adminA.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks",
                    "roles", List.of("auditors"), "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(200);
            assertThat(b.client().get("/api/v1/admin/services/reports", "Authorization", BEARER).json().path("roles").toString())
                    .contains("auditors").doesNotContain("ops");
        } finally {
            target.stop();
        }
    }

    private static Http.Res ask(Http user) {
        return user.postJson("/api/v1/services/reports/tokens", Map.of("scopes", List.of("read"), "ttl_seconds", 600));
    }
}
