package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The OAuth clients page over plain HTTP: its guards (admin role, CSRF) and the confirmation without script. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminClientPagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    private TestServer s;
    private Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        admin = loggedIn(People.ready(s, "clio", List.of("admin")));
        assertThat(s.client().postJson("/api/v1/admin/clients", Map.of("client_id", "keeper", "name", "Keeper",
                "grant_types", List.of("client_credentials")), "Authorization", BEARER).status()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenCsrfIsWrongOrCallerIsNoAdmin_thenForbiddenAndNothingChanges() {
        assertThat(admin.postForm("/admin/clients", Http.form("_csrf", "not-the-token", "name", "Sneaky",
                "grant_types", "client_credentials")).status()).isEqualTo(403);
        assertThat(admin.postForm("/admin/clients/keeper/delete", Http.form("confirmed", "yes")).status()).isEqualTo(403);

        Http user = loggedIn(People.ready(s, "ulrik", List.of("analyst")));
        assertThat(user.get("/").body()).doesNotContain("href=\"/admin/clients\"");
        Http.Res list = user.get("/admin/clients");
        assertThat(list.status()).isEqualTo(403);
        assertThat(list.body()).doesNotContain("id=\"clients\"");
        assertThat(user.postForm("/admin/clients", Http.form("_csrf", user.csrf(), "name", "Sneaky",
                "grant_types", "client_credentials")).status()).isEqualTo(403);
        assertThat(user.postForm("/admin/clients/keeper/rotate-secret", Http.form("_csrf", user.csrf(), "confirmed", "yes")).status())
                .isEqualTo(403);
        assertThat(user.postForm("/admin/clients/keeper/delete", Http.form("_csrf", user.csrf(), "confirmed", "yes")).status())
                .isEqualTo(403);

        String clients = s.client().get("/api/v1/admin/clients", "Authorization", BEARER).body();
        assertThat(clients).contains("keeper").doesNotContain("Sneaky");
    }

    @Test
    void whenDeleteIsPostedWithoutScript_thenThePageAsksFirstAndOnlyConfirmedDeletes() {
        assertThat(s.client().postJson("/api/v1/admin/clients", Map.of("client_id", "brief", "name", "Brief",
                "grant_types", List.of("client_credentials")), "Authorization", BEARER).status()).isEqualTo(201);
        Http.Res asked = admin.postForm("/admin/clients/brief/delete", Http.form("_csrf", admin.csrf()));
        assertThat(asked.status()).isEqualTo(200);
        assertThat(asked.body()).contains("Delete the client brief?");
        assertThat(s.client().get("/api/v1/admin/clients/brief", "Authorization", BEARER).status()).isEqualTo(200);

        Http.Res rotateAsked = admin.postForm("/admin/clients/brief/rotate-secret", Http.form("_csrf", admin.csrf()));
        assertThat(rotateAsked.body()).contains("Make a new secret for brief?").doesNotContain("id=\"secret\"");

        Http.Res deleted = admin.postForm("/admin/clients/brief/delete", Http.form("_csrf", admin.csrf(), "confirmed", "yes"));
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body()).contains("Client brief deleted.");
        assertThat(s.client().get("/api/v1/admin/clients/brief", "Authorization", BEARER).status()).isEqualTo(404);
    }

    private Http loggedIn(People.Person p) {
        Http c = s.client();
        Http.Res r = People.login(s, c, p);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        s.clock.advance(java.time.Duration.ofSeconds(30));
        return c;
    }
}
