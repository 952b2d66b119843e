package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The bootstrap bearer token is for the JSON API: HTML form routes refuse it cleanly and change nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BearerOnPagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenFormRoutePostedWithBootstrapBearer_thenForbiddenAndNothingChanges() {
        Http c = s.client();
        Http.Res created = c.postRaw("/admin/users", "application/x-www-form-urlencoded",
                "username=formbearer&roles=&password=", "Authorization", BEARER);
        assertThat(created.status()).as(created.toString()).isEqualTo(403);
        assertThat(created.body()).contains("JSON API");
        Http.Res users = c.get("/api/v1/admin/users?search=formbearer", "Authorization", BEARER);
        assertThat(users.status()).isEqualTo(200);
        assertThat(users.body()).doesNotContain("formbearer");

        Http.Res api = c.postJson("/api/v1/admin/users", Map.of("username", "apibearer", "invite", true), "Authorization", BEARER);
        assertThat(api.status()).as(api.toString()).isEqualTo(201);
        String id = api.json().path("user").path("id").asText();
        for (String path : new String[] {"/admin/users/" + id + "/roles", "/admin/users/" + id + "/status",
                "/admin/users/" + id + "/mfa-reset", "/settings/phone", "/logout", "/settings/totp"}) {
            Http.Res r = c.postRaw(path, "application/x-www-form-urlencoded", "roles=ops&status=archived&phone=%2B4912345",
                    "Authorization", BEARER);
            assertThat(r.status()).as(path + " " + r).isEqualTo(403);
        }
        Http.Res user = c.get("/api/v1/admin/users/" + id, "Authorization", BEARER);
        assertThat(user.json().path("roles").toString()).isEqualTo("[]");
        assertThat(user.json().path("status").asText()).isEqualTo("active");
    }
}
