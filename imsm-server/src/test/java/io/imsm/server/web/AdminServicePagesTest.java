package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin pages for the service catalog over plain HTTP: register, replace, list, show, delete, and their guards. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminServicePagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private static final Pattern SERVICE_ROW = Pattern.compile("<tr><td><a href=\"/admin/services/[^\"]+\">([^<]+)</a>");

    private TestServer s;
    private Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        admin = loggedIn(People.ready(s, "cato", List.of("admin")));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenAdminPastesDefinition_thenServiceIsCreatedListedShownAndReplaced() {
        String def = jwks("reports", "Reports", "read");
        Http.Res created = save(admin, def);
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.body()).contains("id=\"message\">Created: reports.");
        assertThat(created.header("Cache-Control")).isEqualTo("no-store");

        Http.Res list = admin.get("/admin/services");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains("href=\"/admin/services\"");
        assertThat(servicesOf(list.body())).contains("reports");
        assertThat(list.body()).contains("<td data-label=\"Name\">Reports</td>").contains("<td data-label=\"Binding\">jwks</td>")
                .contains("<td data-label=\"Roles\">analyst</td><td data-label=\"Scopes\">read</td>")
                .contains("<td data-label=\"Max TTL\">1 h</td>")
                .contains("action=\"/admin/services/reports/delete\"");

        Http.Res one = admin.get("/admin/services/reports");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body()).contains("name=\"id\" value=\"reports\"").contains("name=\"max_ttl\" inputmode=\"decimal\" value=\"1\"");
        Http.Res exported = admin.get("/admin/services/reports/export");
        assertThat(exported.status()).isEqualTo(200);
        assertThat(exported.header("Content-Disposition")).isEqualTo("attachment; filename=\"reports.json\"");
        assertThat(exported.body()).startsWith("{\n  \"id\" : \"reports\"").contains("\"max_ttl_seconds\" : 3600").doesNotContain("kx_url");

        assertThat(save(admin, def).body()).contains("Unchanged: reports.");
        Http.Res updated = save(admin, jwks("reports", "Reports v2", "read"));
        assertThat(updated.body()).contains("Updated: reports.");
        Http.Res api = s.client().get("/api/v1/admin/services/reports", "Authorization", BEARER);
        assertThat(api.json().path("name").asText()).isEqualTo("Reports v2");
    }

    @Test
    void whenJsonIsBrokenOrDefinitionInvalid_thenErrorShows400_textKept_andNothingChanges() {
        assertThat(save(admin, jwks("steady", "Steady", "read")).status()).isEqualTo(200);

        String broken = "{\"id\": \"steady\", \"name\": \"Changed\",";
        Http.Res syntax = save(admin, broken);
        assertThat(syntax.status()).as(syntax.toString()).isEqualTo(400);
        assertThat(syntax.header("Content-Type")).startsWith("text/html");
        assertThat(syntax.body()).contains("id=\"error\">The definition is not valid JSON: malformed JSON (line 1")
                .contains(">{\"id\": \"steady\", \"name\": \"Changed\",</textarea>");

        Http.Res unknown = save(admin, "{\"id\": \"steady\", \"name\": \"Changed\", \"colour\": \"red\"}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body()).containsAnyOf("unknown field 'colour'", "unknown field &#39;colour&#39;");

        Http.Res invalid = save(admin, "{\"id\": \"steady\", \"name\": \"Changed\", \"binding\": \"jwks\", \"roles\": [\"analyst\"], \"scopes\": []}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.body()).contains("id=\"error\">scopes must list at least one scope");

        Http.Res noId = save(admin, "{\"name\": \"Nameless\"}");
        assertThat(noId.status()).isEqualTo(400);
        assertThat(noId.body()).contains("The definition needs an id.");

        assertThat(save(admin, "  ").status()).isEqualTo(400);
        assertThat(save(admin, "[]").status()).isEqualTo(400);

        Http.Res api = s.client().get("/api/v1/admin/services/steady", "Authorization", BEARER);
        assertThat(api.json().path("name").asText()).isEqualTo("Steady");
        assertThat(s.client().get("/api/v1/admin/services", "Authorization", BEARER).body()).doesNotContain("Nameless");
    }

    @Test
    void whenCsrfIsWrongOrCallerIsNoAdmin_thenForbidden() {
        Http.Res wrong = admin.postForm("/admin/services/import", Http.form("_csrf", "not-the-token", "definition", jwks("sneaky", "Sneaky", "read")));
        assertThat(wrong.status()).isEqualTo(403);
        Http.Res none = admin.postForm("/admin/services/import", Http.form("definition", jwks("sneaky", "Sneaky", "read")));
        assertThat(none.status()).isEqualTo(403);
        assertThat(save(admin, jwks("keeper", "Keeper", "read")).status()).isEqualTo(200);
        assertThat(admin.postForm("/admin/services/keeper/delete", Http.form("_csrf", "x")).status()).isEqualTo(403);

        Http user = loggedIn(People.ready(s, "ulla", List.of("analyst")));
        assertThat(user.get("/").body()).doesNotContain("href=\"/admin/services\"");
        Http.Res list = user.get("/admin/services");
        assertThat(list.status()).isEqualTo(403);
        assertThat(list.body()).contains("This needs the admin role.").doesNotContain("id=\"services\"");
        assertThat(user.get("/admin/services/keeper").status()).isEqualTo(403);
        assertThat(save(user, jwks("sneaky", "Sneaky", "read")).status()).isEqualTo(403);
        assertThat(user.postForm("/admin/services/keeper/delete", Http.form("_csrf", user.csrf())).status()).isEqualTo(403);

        assertThat(s.client().get("/api/v1/admin/services/sneaky", "Authorization", BEARER).status()).isEqualTo(404);
        assertThat(s.client().get("/api/v1/admin/services/keeper", "Authorization", BEARER).status()).isEqualTo(200);
    }

    @Test
    void whenAdminDeletes_thenServiceIsGone() {
        assertThat(save(admin, jwks("doomed", "Doomed", "read")).status()).isEqualTo(200);
        Http.Res del = admin.postForm("/admin/services/doomed/delete", Http.form("_csrf", admin.csrf(), "confirmed", "yes"));
        assertThat(del.status()).as(del.toString()).isEqualTo(302);
        assertThat(del.header("Location")).isEqualTo("/admin/services?done=Service+deleted.");
        Http.Res list = admin.get("/admin/services?done=Service+deleted.");
        assertThat(list.body()).contains("id=\"message\">Service deleted.");
        assertThat(servicesOf(list.body())).doesNotContain("doomed");
        assertThat(admin.get("/admin/services/doomed").status()).isEqualTo(404);
        assertThat(admin.postForm("/admin/services/doomed/delete", Http.form("_csrf", admin.csrf(), "confirmed", "yes")).status()).isEqualTo(404);
        assertThat(s.client().get("/api/v1/admin/services/doomed", "Authorization", BEARER).status()).isEqualTo(404);
    }

    @Test
    void whenValuesHoldMarkup_thenPagesEscapeThem() {
        String evil = "<script>alert(1)</script>";
        Http.Res created = save(admin, jwks("marked", evil, "read"));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        Http.Res list = admin.get("/admin/services");
        assertThat(list.body()).doesNotContain(evil).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        Http.Res one = admin.get("/admin/services/marked");
        assertThat(one.body()).doesNotContain(evil).contains("&lt;script&gt;alert(1)&lt;/script&gt;");

        // the kept textarea content cannot close the textarea
        Http.Res kept = save(admin, "</textarea><script>alert(2)</script>");
        assertThat(kept.status()).isEqualTo(400);
        assertThat(kept.body()).doesNotContain("<script>alert(2)").contains("&lt;/textarea&gt;&lt;script&gt;alert(2)");
    }

    // ------------------------------------------------------------ helpers

    private Http loggedIn(People.Person p) {
        Http c = s.client();
        Http.Res r = People.login(s, c, p);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        s.clock.advance(java.time.Duration.ofSeconds(30));
        return c;
    }

    private static Http.Res save(Http c, String definition) {
        return c.postForm("/admin/services/import", Http.form("_csrf", c.csrf(), "definition", definition));
    }

    private static String jwks(String id, String name, String scope) {
        return "{\n  \"id\": \"" + id + "\",\n  \"name\": \"" + name.replace("\"", "\\\"") + "\",\n  \"binding\": \"jwks\",\n"
                + "  \"roles\": [\"analyst\"],\n  \"scopes\": [\"" + scope + "\"]\n}";
    }

    private static List<String> servicesOf(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = SERVICE_ROW.matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
