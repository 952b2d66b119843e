package io.imsm.server.token;

import io.imsm.server.support.StoredRows;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Access that ends with its reason: status changes, a second-factor reset and role removal revoke
 * the person's token sessions, the kx-bound service learns it and refuses the token; admins list and
 * revoke a person's tokens over the API and the admin page.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessEndsTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    SdkService search;
    SdkService audits;
    Http admin;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        search = new SdkService(s, "search");
        audits = new SdkService(s, "audits");
        admin = s.client();
        register(search, List.of("analyst"));
        register(audits, List.of("auditor"));
    }

    void register(SdkService svc, List<String> roles) {
        Http.Res r = admin.putJson("/api/v1/admin/services/" + svc.id, Map.of("name", svc.id, "kx_url", svc.kxUrl(),
                "public_jwk", svc.publicJwk(), "roles", roles, "scopes", List.of("read")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        s.close();
        search.close();
        audits.close();
    }

    Http loggedIn(People.Person p) {
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        return c;
    }

    Http.Res token(Http c, SdkService svc) {
        Http.Res r = c.postJson("/api/v1/services/" + svc.id + "/tokens", Map.of());
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"deactivated", "archived", "deleted"})
    void whenPersonLeavesActive_thenTokenRevokedAndServiceRefusesIt(String status) throws Exception {
        People.Person p = People.ready(s, "ann-" + status, List.of("analyst"));
        String token = token(loggedIn(p), search).json().path("token").asText();
        assertThat(search.call(token).status()).isEqualTo(200);

        Http.Res r = admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", status), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);

        SdkService.Answer refused = search.callUntilRefused(token);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.body()).isEqualTo("revoked");
        assertThat(admin.get("/api/v1/admin/users/" + p.id() + "/tokens", "Authorization", BEARER).json().path("sessions")).isEmpty();
        // the service refuses as soon as the revocation reaches it; the outbox marks it delivered when the answer is back
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (StoredRows.undeliveredOutbox(s.server.wiring()) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(StoredRows.undeliveredOutbox(s.server.wiring())).isZero();
    }

    @Test
    void whenSecondFactorReset_thenTokensRevoked() throws Exception {
        People.Person p = People.ready(s, "bert", List.of("analyst"));
        String token = token(loggedIn(p), search).json().path("token").asText();
        assertThat(admin.postJson("/api/v1/admin/users/" + p.id() + "/mfa-reset", Map.of(), "Authorization", BEARER).status()).isEqualTo(200);
        assertThat(search.callUntilRefused(token).body()).isEqualTo("revoked");
    }

    @Test
    void whenRoleRemoved_thenOnlyTokensForServicesNoLongerAllowedAreRevoked() throws Exception {
        People.Person p = People.ready(s, "cleo", List.of("analyst", "auditor"));
        Http c = loggedIn(p);
        String forSearch = token(c, search).json().path("token").asText();
        String forAudits = token(c, audits).json().path("token").asText();

        Http.Res r = admin.putJson("/api/v1/admin/users/" + p.id() + "/roles", Map.of("roles", List.of("analyst")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);

        assertThat(audits.callUntilRefused(forAudits).body()).isEqualTo("revoked");
        assertThat(search.call(forSearch).status()).as("analyst still allows search").isEqualTo(200);
        Http.Res live = admin.get("/api/v1/admin/users/" + p.id() + "/tokens", "Authorization", BEARER);
        assertThat(live.json().path("sessions")).hasSize(1);
        assertThat(live.json().path("sessions").get(0).path("service_id").asText()).isEqualTo("search");
    }

    @Test
    void whenAdminRevokesOverTheApi_thenListedTokensGoAndTheServiceRefusesThem() throws Exception {
        People.Person p = People.ready(s, "dora", List.of("analyst"));
        People.Person other = People.ready(s, "emil", List.of("analyst"));
        Http c = loggedIn(p);
        Http.Res first = token(c, search);
        Http.Res second = token(c, search);
        String othersSid = token(loggedIn(other), search).json().path("sid").asText();
        String base = "/api/v1/admin/users/" + p.id() + "/tokens";

        Http.Res list = admin.get(base, "Authorization", BEARER);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains(first.json().path("sid").asText()).contains(second.json().path("sid").asText())
                .doesNotContain(othersSid);
        assertThat(admin.delete(base + "/" + othersSid, "Authorization", BEARER).status())
                .as("a sid of someone else is not found under this person").isEqualTo(404);
        assertThat(admin.get("/api/v1/admin/users/nobody/tokens", "Authorization", BEARER).status()).isEqualTo(404);
        assertThat(c.get(base).status()).as("not an admin").isEqualTo(403);

        assertThat(admin.delete(base + "/" + first.json().path("sid").asText(), "Authorization", BEARER).status()).isEqualTo(204);
        assertThat(search.callUntilRefused(first.json().path("token").asText()).body()).isEqualTo("revoked");
        assertThat(search.call(second.json().path("token").asText()).status()).isEqualTo(200);

        Http.Res all = admin.delete(base, "Authorization", BEARER);
        assertThat(all.status()).as(all.toString()).isEqualTo(200);
        assertThat(all.json().path("revoked").asInt()).isEqualTo(1);
        assertThat(search.callUntilRefused(second.json().path("token").asText()).body()).isEqualTo("revoked");
        assertThat(admin.get(base, "Authorization", BEARER).json().path("sessions")).isEmpty();
    }

    @Test
    void whenAdminRevokesOnTheUserPage_thenTokenGone() throws Exception {
        People.Person ada = People.ready(s, "ada", List.of("admin"));
        Http a = loggedIn(ada);
        People.Person p = People.ready(s, "finn", List.of("analyst"));
        Http pc = loggedIn(p);
        Http.Res t = token(pc, search);
        String sid = t.json().path("sid").asText();
        token(pc, search);

        Http.Res page = a.get("/admin/users/" + p.id());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("data-sid=\"" + sid + "\"").contains("/admin/users/" + p.id() + "/tokens/" + sid + "/revoke");
        assertThat(a.postForm("/admin/users/" + p.id() + "/tokens/" + sid + "/revoke", Http.form("_csrf", "wrong")).status()).isEqualTo(403);
        Http.Res revoked = a.postForm("/admin/users/" + p.id() + "/tokens/" + sid + "/revoke", Http.form("_csrf", a.csrf(), "confirmed", "yes"));
        assertThat(revoked.status()).isEqualTo(302);
        assertThat(search.callUntilRefused(t.json().path("token").asText()).body()).isEqualTo("revoked");
        assertThat(a.get("/admin/users/" + p.id()).body()).doesNotContain("data-sid=\"" + sid + "\"").contains("data-sid=");

        assertThat(a.postForm("/admin/users/" + p.id() + "/tokens/revoke", Http.form("_csrf", a.csrf(), "confirmed", "yes")).status()).isEqualTo(302);
        assertThat(a.get("/admin/users/" + p.id()).body()).contains("id=\"no-tokens\"");
    }
}
