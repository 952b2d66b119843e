package io.imsm.server.web;

import io.imsm.server.support.StoredRows;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin API over HTTP: bearer and session auth, users, roles, status, second factor, policy; attacks. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        admin = s.client();
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private Http.Res create(Map<String, Object> body) {
        return admin.postJson("/api/v1/admin/users", body, "Authorization", BEARER);
    }

    @Test
    void whenAdminCreatesUserWithPassword_thenUserMustChangeItAtFirstLogin() {
        Http.Res r = create(Map.of("username", "Olivia", "display_name", "Olivia O.", "email", "olivia@example.org",
                "roles", List.of("analyst", "ops"), "password", "first-password-olivia-Kq7v"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.header("Location")).isEqualTo("/api/v1/admin/users/" + r.json().path("user").path("id").asText());
        JsonNode u = r.json().path("user");
        assertThat(u.path("username").asText()).isEqualTo("Olivia");
        assertThat(u.path("status").asText()).isEqualTo("active");
        assertThat(u.path("must_change_password").asBoolean()).isTrue();
        assertThat(u.path("created_by").asText()).isEqualTo("bootstrap-token");
        assertThat(u.path("roles").toString()).isEqualTo("[\"analyst\",\"ops\"]");
        assertThat(r.body()).doesNotContain("first-password-olivia-Kq7v").doesNotContain("$argon2");
        // usernames are case-insensitive; e-mails unique
        assertThat(create(Map.of("username", "olivia", "password", "another-password-x-Kq7v")).status()).isEqualTo(409);
        assertThat(create(Map.of("username", "olivia2", "email", "OLIVIA@example.org", "password", "another-password-x-Kq7v")).status())
                .isEqualTo(409);
        Http c = s.client();
        Http.Res login = c.postJson("/api/v1/login", Map.of("username", "OLIVIA", "password", "first-password-olivia-Kq7v"));
        assertThat(login.status()).isEqualTo(200);
        c.csrf(login.json().path("csrf").asText());
        assertThat(c.get("/api/v1/me/sessions").code()).isEqualTo("password_change_required");
    }

    @Test
    void whenAdminInvitesUser_thenLinkSetsPasswordOnceAndExpires() {
        Http.Res r = create(Map.of("username", "paul", "invite", true, "roles", List.of()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String url = r.json().path("invite_url").asText();
        assertThat(url).startsWith(s.baseUrl() + "/invite/");
        String token = url.substring(url.lastIndexOf('/') + 1);
        Http anon = s.client();
        Http.Res weak = anon.postJson("/api/v1/invites/" + token, Map.of("password", "paul"));
        assertThat(weak.code()).isEqualTo("weak_password");
        assertThat(anon.postJson("/api/v1/invites/" + token, Map.of("password", "pauls-own-password-Kq7v")).status()).isEqualTo(204);
        assertThat(anon.postJson("/api/v1/invites/" + token, Map.of("password", "pauls-other-password-Kq7v")).status()).isEqualTo(404);
        assertThat(anon.postJson("/api/v1/login", Map.of("username", "paul", "password", "pauls-own-password-Kq7v")).status()).isEqualTo(200);

        Http.Res late = create(Map.of("username", "quinn", "invite", true));
        String lateToken = late.json().path("invite_url").asText().replaceAll(".*/", "");
        s.clock.advance(Duration.ofHours(73));
        assertThat(anon.postJson("/api/v1/invites/" + lateToken, Map.of("password", "quinns-own-password-Kq7v")).status()).isEqualTo(404);
        // neither or both of password and invite is a clear error
        assertThat(create(Map.of("username", "rita")).code()).isEqualTo("invalid_request");
        assertThat(create(Map.of("username", "rita", "invite", true, "password", "some-long-password-Kq7v")).code()).isEqualTo("invalid_request");
    }

    @Test
    void whenRolesStatusAndMfaReset_thenApplied_andLastAdminProtected() {
        People.Person p = People.ready(s, "sam", List.of("viewer"));
        Http.Res roles = admin.putJson("/api/v1/admin/users/" + p.id() + "/roles", Map.of("roles", List.of("ops", "viewer")),
                "Authorization", BEARER);
        assertThat(roles.json().path("roles").toString()).isEqualTo("[\"ops\",\"viewer\"]");
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/roles", Map.of("roles", List.of("Bad Role!")),
                "Authorization", BEARER).code()).isEqualTo("invalid_request");
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "frozen"),
                "Authorization", BEARER).code()).isEqualTo("invalid_request");
        Http.Res archived = admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "archived"), "Authorization", BEARER);
        assertThat(archived.json().path("status").asText()).isEqualTo("archived");
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "active"), "Authorization", BEARER)
                .json().path("status").asText()).isEqualTo("active");

        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res reset = admin.postJson("/api/v1/admin/users/" + p.id() + "/mfa-reset", Map.of(), "Authorization", BEARER);
        assertThat(reset.json().path("mfa_enrolled").asBoolean()).isFalse();
        assertThat(c.get("/api/v1/me").status()).as("sessions end on reset").isEqualTo(401);
        Http again = s.client();
        Http.Res login = again.postJson("/api/v1/login", Map.of("username", "sam", "password", p.password()));
        assertThat(login.status()).as("no code needed after reset").isEqualTo(200);
        again.csrf(login.json().path("csrf").asText());
        assertThat(again.get("/api/v1/me/sessions").code()).as("but enrollment comes first").isEqualTo("mfa_enrollment_required");

        // the bootstrap admin is the only admin: removing its role or deactivating it is refused
        String adminId = admin.get("/api/v1/admin/users?search=" + s.bootstrapAdmin().username(), "Authorization", BEARER)
                .json().path("users").get(0).path("id").asText();
        assertThat(admin.putJson("/api/v1/admin/users/" + adminId + "/roles", Map.of("roles", List.of()), "Authorization", BEARER)
                .status()).isEqualTo(409);
        assertThat(admin.putJson("/api/v1/admin/users/" + adminId + "/status", Map.of("status", "deactivated"), "Authorization", BEARER)
                .status()).isEqualTo(409);
        assertThat(admin.get("/api/v1/admin/users/" + adminId, "Authorization", BEARER).json().path("roles").toString()).contains("admin");
    }

    @Test
    void whenListingUsers_thenSearchAndPagingWork() {
        for (int i = 0; i < 7; i++) {
            assertThat(create(Map.of("username", "page-user-" + i, "display_name", "Pager " + i, "invite", true)).status()).isEqualTo(201);
        }
        Http.Res first = admin.get("/api/v1/admin/users?search=page-user&limit=3&offset=0", "Authorization", BEARER);
        assertThat(first.json().path("total").asLong()).isEqualTo(7);
        assertThat(first.json().path("users")).hasSize(3);
        assertThat(first.json().path("users").get(0).path("username").asText()).isEqualTo("page-user-0");
        Http.Res last = admin.get("/api/v1/admin/users?search=PAGE-USER&limit=3&offset=6", "Authorization", BEARER);
        assertThat(last.json().path("users")).hasSize(1);
        assertThat(admin.get("/api/v1/admin/users?search=pager%205", "Authorization", BEARER).json().path("total").asLong()).isEqualTo(1);
        // LIKE wildcards in the search are literal
        assertThat(admin.get("/api/v1/admin/users?search=%25", "Authorization", BEARER).json().path("total").asLong()).isZero();
        assertThat(admin.get("/api/v1/admin/users?search=_", "Authorization", BEARER).json().path("total").asLong()).isZero();
        assertThat(admin.get("/api/v1/admin/users?limit=0", "Authorization", BEARER).status()).isEqualTo(400);
        assertThat(admin.get("/api/v1/admin/users?limit=abc", "Authorization", BEARER).status()).isEqualTo(400);
    }

    @Test
    void whenMfaPolicyChanged_thenOnlyListedRolesNeedEnrollment() {
        Http.Res p = admin.putJson("/api/v1/admin/policy/mfa", Map.of("required_for_all", false, "required_roles", List.of("ops")),
                "Authorization", BEARER);
        assertThat(p.status()).as(p.toString()).isEqualTo(200);
        try {
            String plainId = People.createUser(s, "tina", "tinas-first-password-Kq7v", List.of("viewer"));
            People.createUser(s, "uma", "umas-first-password-Kq7v", List.of("ops"));
            assertThat(plainId).isNotBlank();
            assertThat(loginAndChange("tina", "tinas-first-password-Kq7v").get("/api/v1/me/sessions").status()).isEqualTo(200);
            assertThat(loginAndChange("uma", "umas-first-password-Kq7v").get("/api/v1/me/sessions").code()).isEqualTo("mfa_enrollment_required");
            assertThat(admin.get("/api/v1/admin/policy/mfa", "Authorization", BEARER).json().path("required_roles").toString())
                    .isEqualTo("[\"ops\"]");
        } finally {
            admin.putJson("/api/v1/admin/policy/mfa", Map.of("required_for_all", true), "Authorization", BEARER);
        }
    }

    private Http loginAndChange(String user, String first) {
        Http c = s.client();
        Http.Res r = c.postJson("/api/v1/login", Map.of("username", user, "password", first));
        c.csrf(r.json().path("csrf").asText());
        assertThat(c.putJson("/api/v1/me/password", Map.of("current_password", first, "new_password", first + "-changed")).status())
                .isEqualTo(204);
        return c;
    }

    @Test
    void whenNoOrBadCredentials_thenUnauthorizedWithProblemJsonAndWwwAuthenticate() {
        Http anon = s.client();
        Http.Res none = anon.get("/api/v1/admin/users");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("Content-Type")).startsWith("application/problem+json");
        assertThat(none.json().path("type").asText()).isEqualTo("urn:imsm:error:unauthenticated");
        Http.Res bad = anon.get("/api/v1/admin/users", "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN + "x");
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.code()).isEqualTo("invalid_token");
        assertThat(bad.header("WWW-Authenticate")).contains("error=\"invalid_token\"");
        assertThat(anon.get("/api/v1/admin/users", "Authorization", "Basic YWRtaW46YWRtaW4=").code()).isEqualTo("invalid_token");
    }

    @Test
    void whenNonAdminCallsAdminApi_thenForbidden() {
        People.Person p = People.ready(s, "victor", List.of("ops"));
        Http c = s.client();
        People.login(s, c, p);
        Http.Res r = c.get("/api/v1/admin/users");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("forbidden");
        assertThat(c.postJson("/api/v1/admin/users", Map.of("username", "mallory", "invite", true)).status()).isEqualTo(403);
    }

    @Test
    void whenBodyIsHostile_thenClearErrorsAndNothingChanges() {
        long before = admin.get("/api/v1/admin/users", "Authorization", BEARER).json().path("total").asLong();
        // unknown field, wrong type, malformed JSON, wrong content type, oversized body, injection attempts
        assertThat(create(Map.of("username", "w1", "invite", true, "is_admin", true)).json().path("detail").asText())
                .contains("unknown field 'is_admin'");
        assertThat(admin.postJson("/api/v1/admin/users", "{\"username\": 5, \"invite\": \"yes\"}", "Authorization", BEARER).status())
                .isEqualTo(400);
        assertThat(admin.postJson("/api/v1/admin/users", "{\"username\":", "Authorization", BEARER).code()).isEqualTo("invalid_request");
        assertThat(admin.postRaw("/api/v1/admin/users", "text/plain", "username=x", "Authorization", BEARER).status()).isEqualTo(415);
        String huge = "{\"username\":\"" + "a".repeat(200_000) + "\",\"invite\":true}";
        Http.Res big = admin.postJson("/api/v1/admin/users", huge, "Authorization", BEARER);
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.code()).isEqualTo("payload_too_large");
        assertThat(create(Map.of("username", "x'; DROP TABLE users; --", "invite", true)).code()).isEqualTo("invalid_request");
        assertThat(create(Map.of("username", "x" + "y".repeat(80), "invite", true)).code()).isEqualTo("invalid_request");
        assertThat(create(Map.of("username", "evil", "display_name", "a\u0000b", "invite", true)).code()).isEqualTo("invalid_request");
        assertThat(create(Map.of("username", "evil", "email", "not-an-email", "invite", true)).code()).isEqualTo("invalid_request");
        Http.Res login = s.client().postJson("/api/v1/login", Map.of("username", "admin' OR '1'='1", "password", "' OR 1=1 --"));
        assertThat(login.status()).isEqualTo(401);
        assertThat(admin.get("/api/v1/admin/users", "Authorization", BEARER).json().path("total").asLong()).isEqualTo(before);
        assertThat(admin.get("/api/v1/admin/users/does-not-exist", "Authorization", BEARER).status()).isEqualTo(404);
        Http.Res wrongMethod = admin.delete("/api/v1/admin/users", "Authorization", BEARER);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.code()).isEqualTo("method_not_allowed");
        assertThat(admin.get("/api/v1/nothing-here", "Authorization", BEARER).code()).isEqualTo("not_found");
    }

    @Test
    void whenBootstrapTokenUsed_thenEveryUseIsAudited() {
        admin.get("/api/v1/admin/users?limit=1", "Authorization", BEARER);
        var events = StoredRows.audit(s.server.wiring(), "bootstrap_token_used", 50);
        assertThat(events).isNotEmpty();
        assertThat(events.get(0).actor()).isEqualTo("bootstrap-token");
        assertThat(events.get(0).detail()).isEqualTo("GET /api/v1/admin/users");
    }

    @Test
    void whenBcryptHashImported_thenUserLogsInWithOldPasswordAndHashBecomesArgon2id() {
        String bcrypt = com.password4j.Password.hash("password-from-the-old-system-Kq7v").withBcrypt().getResult();
        Http.Res r = create(Map.of("username", "wendy", "password_bcrypt", bcrypt));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().path("user").path("must_change_password").asBoolean()).isFalse();
        assertThat(create(Map.of("username", "wendy2", "password_bcrypt", "$1$md5crypt$xyz")).code()).isEqualTo("invalid_request");
        String id = r.json().path("user").path("id").asText();
        var wiring = s.server.wiring();
        assertThat(wiring.ctx().database().read(h -> wiring.userStore().findById(h, id)).orElseThrow().passwordHash()).startsWith("$2");
        Http c = s.client();
        assertThat(c.postJson("/api/v1/login", Map.of("username", "wendy", "password", "password-from-the-old-system-Kq7v")).status())
                .isEqualTo(200);
        assertThat(wiring.ctx().database().read(h -> wiring.userStore().findById(h, id)).orElseThrow().passwordHash())
                .startsWith("$argon2id$");
        assertThat(s.client().postJson("/api/v1/login", Map.of("username", "wendy", "password", "password-from-the-old-system-Kq7v"))
                .status()).as("the rehashed password still works").isEqualTo(200);
    }
}
