package io.imsm.server.apitoken;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Two IMSM instances on one PostgreSQL: a token deleted on one is refused by the other within a second. */
class TwoInstancesTest {
    @Test
    void whenTokenIsDeletedOnOneInstance_thenTheOtherRefusesItWithinASecond() throws Exception {
        Map<String, String> config = Map.of("scopes", TestScopes.MAPPING);
        try (TestServer a = TestServer.start(TestDatabases.Kind.POSTGRES, config);
             TestServer b = TestServer.start(a.db, Files.createTempDirectory("imsm-test-b"), config, a.env)) {
            People.Person p = People.ready(a, "sam", List.of("analyst"));
            Http c = a.client();
            assertThat(People.login(a, c, p).status()).isEqualTo(200);
            Http.Res made = c.postJson("/api/v1/tokens", Map.of("name", "both", "scopes", List.of("read:data")));
            assertThat(made.status()).as(made.toString()).isEqualTo(201);
            String bearer = "Bearer " + made.json().path("token").asText();
            Http other = b.client();
            for (int i = 0; i < 3; i++) {
                // answered from b's cache after the first
                assertThat(other.get("/ingress/auth?scope=read:data", "Authorization", bearer).status()).isEqualTo(200);
            }
            assertThat(c.delete("/api/v1/tokens/" + made.json().path("key").asText()).status()).isEqualTo(204);
            long start = System.nanoTime();
            int status;
            do {
                status = other.get("/ingress/auth?scope=read:data", "Authorization", bearer).status();
            } while (status == 200 && System.nanoTime() - start < Duration.ofSeconds(1).toNanos());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(status).as("refused after " + millis + " ms").isEqualTo(401);

            // deactivation on b stops a token on a (a has it cached) just as fast
            Http.Res second = c.postJson("/api/v1/tokens", Map.of("name", "second", "scopes", List.of()));
            String bearer2 = "Bearer " + second.json().path("token").asText();
            assertThat(a.client().get("/ingress/auth", "Authorization", bearer2).status()).isEqualTo(200);
            assertThat(b.client().putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "deactivated"),
                    "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN).status()).isEqualTo(200);
            start = System.nanoTime();
            do {
                status = a.client().get("/ingress/auth", "Authorization", bearer2).status();
            } while (status == 200 && System.nanoTime() - start < Duration.ofSeconds(1).toNanos());
            assertThat(status).isEqualTo(401);
        }
    }

    @Test
    void whenOAuthAccessTokenIsRevokedOnOneInstance_thenTheOtherRefusesItAtOnce() throws Exception {
        // one public address for both, as behind a load balancer: one issuer
        Map<String, String> config = Map.of("server.public_url", "https://imsm.example.org");
        try (TestServer a = TestServer.start(TestDatabases.Kind.POSTGRES, config);
             TestServer b = TestServer.start(a.db, Files.createTempDirectory("imsm-test-b"), config, a.env)) {
            Http.Res reg = a.client().postJson("/api/v1/admin/clients", Map.of("client_id", "robot", "name", "Robot", "type", "confidential",
                    "grant_types", List.of("client_credentials"), "audiences", List.of("data"), "token_endpoint_auth_method", "client_secret_post"),
                    "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
            assertThat(reg.status()).as(reg.toString()).isEqualTo(201);
            String secret = reg.json().path("client_secret").asText();
            String at = a.client().postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", "robot",
                    "client_secret", secret)).json().path("access_token").asText();
            for (int i = 0; i < 3; i++) {
                assertThat(b.client().get("/ingress/auth?service=data", "Authorization", "Bearer " + at).status()).isEqualTo(200);
            }
            assertThat(a.client().postForm("/oauth2/revoke", Http.form("token", at, "client_id", "robot", "client_secret", secret)).status())
                    .isEqualTo(200);
            assertThat(b.client().get("/ingress/auth?service=data", "Authorization", "Bearer " + at).status()).isEqualTo(401);
        }
    }
}
