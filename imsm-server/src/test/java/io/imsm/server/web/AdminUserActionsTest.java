package io.imsm.server.web;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What admins do to an account beyond roles and status, over HTTP: unlock a locked account, edit the
 * profile, reset the password, resend an invite (API and page forms), and what the account page
 * shows (current status, invited, locked, confirmations on destructive buttons).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminUserActionsTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private static final Pattern SECRET = Pattern.compile("<p class=\"secret\" id=\"secret\">([^<]+)</p>");

    private TestServer s;
    private Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("login.max_failures_per_account", "3", "login.lockout_seconds", "600"));
        People.Person ada = People.ready(s, "ada", List.of("admin"));
        admin = s.client();
        assertThat(People.login(s, admin, ada).status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    // ------------------------------------------------------------ unlock

    @Test
    void whenAccountIsLocked_thenPageShowsUntilWhen_andUnlockFormLetsThePersonIn() {
        String id = People.createUser(s, "lou", "lou-initial-pass-1", List.of("analyst"));
        lockOut("lou");
        assertThat(login("lou", "lou-initial-pass-1").status()).isEqualTo(429);

        Http.Res page = admin.get("/admin/users/" + id);
        assertThat(page.body()).contains("id=\"locked\"").contains("id=\"locked-until\">Logins are refused until ")
                .contains("id=\"failed-attempts\">3<");

        Http.Res unlocked = admin.postForm("/admin/users/" + id + "/unlock", Http.form("_csrf", admin.csrf()));
        assertThat(unlocked.status()).isEqualTo(302);
        assertThat(unlocked.header("Location")).isEqualTo("/admin/users/" + id + "?done=Account+unlocked.");
        Http.Res after = admin.get(unlocked.header("Location"));
        assertThat(after.body()).contains("id=\"message\">Account unlocked.").doesNotContain("id=\"locked\"")
                .contains("id=\"failed-attempts\">0<");
        assertThat(login("lou", "lou-initial-pass-1").status()).isEqualTo(200);
    }

    @Test
    void whenAdminUnlocksOverApi_thenRowAndLockoutBucketAreCleared() {
        String id = People.createUser(s, "lena", "lena-initial-pass-1", List.of("analyst"));
        lockOut("lena");
        Http.Res before = s.client().get("/api/v1/admin/users/" + id, "Authorization", BEARER);
        assertThat(before.json().path("failed_attempts").asInt()).isEqualTo(3);
        assertThat(before.json().path("locked_until").isNull()).isFalse();

        Http.Res r = s.client().postJson("/api/v1/admin/users/" + id + "/unlock", Map.of(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("failed_attempts").asInt()).isZero();
        assertThat(r.json().path("locked_until").isNull()).isTrue();
        assertThat(login("lena", "lena-initial-pass-1").status()).isEqualTo(200);

        assertThat(s.client().postJson("/api/v1/admin/users/nobody/unlock", Map.of(), "Authorization", BEARER).status()).isEqualTo(404);
    }

    // ------------------------------------------------------------ password reset

    @Test
    void whenAdminResetsPasswordOverApi_thenOldOneFails_sessionsEnd_andNewOneMustBeChanged() {
        String id = People.createUser(s, "pia", "pia-initial-pass-1", List.of("analyst"));
        Http pia = s.client();
        assertThat(login(pia, "pia", "pia-initial-pass-1").status()).isEqualTo(200);

        Http.Res r = s.client().postJson("/api/v1/admin/users/" + id + "/password-reset", Map.of(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.header("Cache-Control")).isEqualTo("no-store");
        String once = r.json().path("one_time_password").asText();
        assertThat(once).hasSizeGreaterThanOrEqualTo(16);
        assertThat(r.json().path("user").path("must_change_password").asBoolean()).isTrue();

        assertThat(pia.get("/api/v1/me").status()).isEqualTo(401);
        assertThat(login("pia", "pia-initial-pass-1").status()).isEqualTo(401);
        Http fresh = s.client();
        assertThat(login(fresh, "pia", once).status()).isEqualTo(200);
        assertThat(fresh.get("/api/v1/me").json().path("user").path("must_change_password").asBoolean()).isTrue();
    }

    @Test
    void whenAdminResetsPasswordOnThePage_thenOneTimePasswordIsShownOnce() {
        String id = People.createUser(s, "paul", "paul-initial-pass-1", List.of("analyst"));
        Http.Res page = admin.get("/admin/users/" + id);
        assertThat(page.body()).contains("action=\"/admin/users/" + id + "/password-reset\" data-confirm=\"Reset the password of paul?");

        Http.Res r = admin.postForm("/admin/users/" + id + "/password-reset", Http.form("_csrf", admin.csrf(), "confirmed", "yes"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Cache-Control")).isEqualTo("no-store");
        assertThat(r.body()).contains("<h2>One-time password</h2>");
        Matcher m = SECRET.matcher(r.body());
        assertThat(m.find()).isTrue();
        assertThat(login("paul", m.group(1)).status()).isEqualTo(200);
        assertThat(admin.get("/admin/users/" + id).body()).doesNotContain(m.group(1)).doesNotContain("id=\"secret\"");

        assertThat(admin.postForm("/admin/users/" + id + "/password-reset", Http.form("_csrf", "wrong")).status()).isEqualTo(403);
    }

    // ------------------------------------------------------------ invites

    @Test
    void whenPersonIsInvited_thenShownInvited_andResendVoidsTheOldLink() {
        Http.Res created = s.client().postJson("/api/v1/admin/users", Map.of("username", "ivy", "invite", true, "roles", List.of("analyst")),
                "Authorization", BEARER);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("user").path("id").asText();
        assertThat(created.json().path("user").path("invited").asBoolean()).isTrue();
        String oldLink = path(created.json().path("invite_url").asText());
        assertThat(admin.get("/admin/users?search=ivy").body()).contains("<span class=\"badge invited\">invited</span>");
        Http.Res page = admin.get("/admin/users/" + id);
        assertThat(page.body()).contains("id=\"status\">invited<").contains("invite link valid until").contains("id=\"resend-invite\"");

        Http.Res resent = admin.postForm("/admin/users/" + id + "/invite", Http.form("_csrf", admin.csrf(), "confirmed", "yes"));
        assertThat(resent.status()).isEqualTo(200);
        Matcher m = SECRET.matcher(resent.body());
        assertThat(m.find()).isTrue();
        String pageLink = path(m.group(1));
        assertThat(s.client().get(oldLink).status()).isEqualTo(404);
        assertThat(s.client().get(pageLink).status()).isEqualTo(200);

        Http.Res api = s.client().postJson("/api/v1/admin/users/" + id + "/invite", Map.of(), "Authorization", BEARER);
        assertThat(api.status()).as(api.toString()).isEqualTo(200);
        String apiLink = path(api.json().path("invite_url").asText());
        assertThat(api.json().path("invite_expires_at").asText()).isNotEmpty();
        assertThat(s.client().get(pageLink).status()).isEqualTo(404);
        assertThat(s.client().get(apiLink).status()).isEqualTo(200);

        // accepting ends "invited"
        Http.Res accepted = s.client().postForm(apiLink, Http.form("password", "ivy-chosen-pass-1", "password_confirm", "ivy-chosen-pass-1"));
        assertThat(accepted.status()).as(accepted.toString()).isIn(200, 302);
        Http.Res now = s.client().get("/api/v1/admin/users/" + id, "Authorization", BEARER);
        assertThat(now.json().path("invited").asBoolean()).isFalse();
        assertThat(now.json().path("status").asText()).isEqualTo("active");
        assertThat(admin.get("/admin/users/" + id).body()).contains("id=\"status\">active<").doesNotContain("id=\"resend-invite\"");
    }

    @Test
    void whenPersonHasPassword_thenResendInviteIsRefused() {
        String id = People.createUser(s, "hal", "hal-initial-pass-1", List.of("analyst"));
        Http.Res api = s.client().postJson("/api/v1/admin/users/" + id + "/invite", Map.of(), "Authorization", BEARER);
        assertThat(api.status()).isEqualTo(409);
        assertThat(api.json().path("detail").asText()).contains("has no pending invite");
        Http.Res page = admin.postForm("/admin/users/" + id + "/invite", Http.form("_csrf", admin.csrf(), "confirmed", "yes"));
        assertThat(page.status()).isEqualTo(409);
        assertThat(page.body()).contains("id=\"error\">hal has no pending invite");
    }

    // ------------------------------------------------------------ profile

    @Test
    void whenAdminEditsProfile_thenNameEmailPhoneAndRolesChange() {
        String id = People.createUser(s, "pat", "pat-initial-pass-1", List.of("analyst"));
        Http.Res r = admin.postForm("/admin/users/" + id + "/profile", Http.form("_csrf", admin.csrf(), "display_name", "Pat Doe",
                "email", "pat@example.com", "phone", "+41791234567", "roles", "analyst", "other_roles", "auditor, ops"));
        assertThat(r.status()).as(r.toString()).isEqualTo(302);
        assertThat(r.header("Location")).isEqualTo("/admin/users/" + id + "?done=Profile+saved.");
        Http.Res api = s.client().get("/api/v1/admin/users/" + id, "Authorization", BEARER);
        assertThat(api.json().path("display_name").asText()).isEqualTo("Pat Doe");
        assertThat(api.json().path("email").asText()).isEqualTo("pat@example.com");
        assertThat(api.json().path("phone").asText()).isEqualTo("+41791234567");
        assertThat(api.json().path("roles").toString()).isEqualTo("[\"analyst\",\"auditor\",\"ops\"]");
        Http.Res page = admin.get(r.header("Location"));
        assertThat(page.body()).contains("id=\"message\">Profile saved.")
                .contains("<input type=\"checkbox\" name=\"roles\" value=\"ops\" checked>");

        Http.Res put = s.client().putJson("/api/v1/admin/users/" + id + "/profile",
                Map.of("display_name", "Pat D.", "roles", List.of("analyst")), "Authorization", BEARER);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().path("display_name").asText()).isEqualTo("Pat D.");
        assertThat(put.json().path("email").isNull()).isTrue();
        assertThat(put.json().path("roles").toString()).isEqualTo("[\"analyst\"]");

        Http.Res bad = admin.postForm("/admin/users/" + id + "/profile", Http.form("_csrf", admin.csrf(), "display_name", "Pat",
                "email", "not-an-email", "roles", "analyst"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("id=\"error\">");
        assertThat(s.client().putJson("/api/v1/admin/users/" + id + "/profile", Map.of("phone", "12"), "Authorization", BEARER).status())
                .isEqualTo(400);
    }

    @Test
    void whenProfileEditWouldRemoveTheLastAdmin_thenConflict() {
        // a fresh server: its only active admin is the bootstrap admin
        try (TestServer lone = TestServer.start(TestDatabases.Kind.H2)) {
            Http.Res found = lone.client().get("/api/v1/admin/users?search=" + lone.bootstrapAdmin().username(), "Authorization", BEARER);
            String adminId = found.json().path("users").path(0).path("id").asText();
            Http.Res r = lone.client().putJson("/api/v1/admin/users/" + adminId + "/profile",
                    Map.of("display_name", "Ada", "roles", List.of("analyst")), "Authorization", BEARER);
            assertThat(r.status()).as(r.toString()).isEqualTo(409);
            Http.Res after = lone.client().get("/api/v1/admin/users/" + adminId, "Authorization", BEARER);
            assertThat(after.json().path("roles").toString()).contains("admin");
            assertThat(after.json().path("display_name").asText()).isNotEqualTo("Ada");
        }
    }

    // ------------------------------------------------------------ status control and confirmations

    @Test
    void whenDestructiveFormPostedWithoutConfirmation_thenConfirmationPageAndNothingChanges() {
        // Without script the data-confirm dialog never runs: the server asks instead, carrying the form's fields.
        String id = People.createUser(s, "nojs", "nojs-initial-pass-1", List.of("analyst"));
        for (String action : List.of("password-reset", "invite", "mfa-reset", "tokens/revoke")) {
            Http.Res asked = admin.postForm("/admin/users/" + id + "/" + action, Http.form("_csrf", admin.csrf()));
            assertThat(asked.status()).as(action).isEqualTo(200);
            assertThat(asked.body()).as(action).contains("id=\"question\"").contains("name=\"confirmed\" value=\"yes\"")
                    .contains("action=\"/admin/users/" + id + "/" + action + "\"").doesNotContain("id=\"secret\"");
        }
        Http.Res asked = admin.postForm("/admin/users/" + id + "/status", Http.form("_csrf", admin.csrf(), "status", "deleted"));
        assertThat(asked.body()).contains("Delete this person?").contains("name=\"status\" value=\"deleted\"");
        assertThat(admin.get("/admin/users/" + id).body()).contains("id=\"status\">active<");
        assertThat(login("nojs", "nojs-initial-pass-1").status()).as("the password was not reset").isEqualTo(200);
    }

    @Test
    void whenAccountIsArchivedOrDeleted_thenPageShowsThatStatus() {
        String id = People.createUser(s, "arch", "arch-initial-pass-1", List.of("analyst"));
        assertThat(admin.postForm("/admin/users/" + id + "/status", Http.form("_csrf", admin.csrf(), "status", "archived")).status())
                .isEqualTo(302);
        Http.Res archived = admin.get("/admin/users/" + id);
        assertThat(archived.body()).contains("<option value=\"archived\" selected>archived</option>")
                .contains("<option value=\"active\">active</option>").contains("id=\"status\">archived<")
                .contains("data-confirm=\"Delete arch? This cannot be undone.\"")
                .contains("data-confirm=\"Remove the authenticator of arch, end their sessions and revoke their tokens?\"")
                .contains("<script src=\"/static/imsm.js\" defer></script>");

        assertThat(admin.postForm("/admin/users/" + id + "/status", Http.form("_csrf", admin.csrf(), "status", "deleted", "confirmed", "yes")).status())
                .isEqualTo(302);
        Http.Res deleted = admin.get("/admin/users/" + id);
        assertThat(deleted.body()).contains("id=\"status\">deleted<").contains("id=\"deleted-note\"")
                .doesNotContain("<option value=\"active\"").doesNotContain("id=\"delete-user\"");

        Http.Res js = s.client().get("/static/imsm.js");
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.body()).contains("window.confirm");
    }

    // ------------------------------------------------------------ helpers

    private void lockOut(String username) {
        for (int i = 0; i < 3; i++) {
            assertThat(login(username, "wrong-password-" + i).status()).isIn(401, 429);
        }
    }

    private Http.Res login(String username, String password) {
        return login(s.client(), username, password);
    }

    private static Http.Res login(Http c, String username, String password) {
        Http.Res r = c.postJson("/api/v1/login", Map.of("username", username, "password", password));
        if (r.status() == 200) {
            c.csrf(r.json().path("csrf").asText());
        }
        return r;
    }

    private static String path(String url) {
        return java.net.URI.create(url).getPath();
    }
}
