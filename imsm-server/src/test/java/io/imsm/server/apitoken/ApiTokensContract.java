package io.imsm.server.apitoken;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** People's API tokens over the real API (on H2 and PostgreSQL): scopes from roles, the secret shown once, history, delegation, ending access. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiTokensContract {
    abstract TestDatabases.Kind kind();

    TestServer s;
    static final String BOOT = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @BeforeAll
    void start() {
        s = TestServer.start(kind(), Map.of("scopes", TestScopes.MAPPING, "server.trusted_proxies", "127.0.0.1",
                "ingress.redirect_hosts", "app.example.org"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    Http loggedIn(People.Person p) {
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        return c;
    }

    JsonNode create(Http c, String name, List<String> scopes) {
        Http.Res r = c.postJson("/api/v1/tokens", Map.of("name", name, "scopes", scopes));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    List<String> events(Http c, String key, String... headers) {
        Http.Res r = c.get("/api/v1/tokens/" + key + "/history", headers);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().path("events").forEach(e -> out.add(e.path("event").asText()));
        return out;
    }

    @Test
    void whenPersonCreatesToken_thenItWorksAsBearerAndOnlyItsHashIsStored() {
        People.Person p = People.ready(s, "ann", List.of("analyst"));
        Http c = loggedIn(p);
        assertThat(c.get("/api/v1/me").json().path("scopes").toString()).isEqualTo("[\"read:data\",\"user:token\"]");
        JsonNode t = create(c, "laptop", List.of("read:data", "user:token"));
        String token = t.path("token").asText();
        assertThat(token).matches("imsm_[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}").startsWith("imsm_" + t.path("key").asText() + ".");
        assertThat(t.path("scopes").toString()).isEqualTo("[\"read:data\",\"user:token\"]");

        // the secret is never shown again, nor stored
        Http.Res one = c.get("/api/v1/tokens/" + t.path("key").asText());
        assertThat(one.body()).doesNotContain(token.substring(token.indexOf('.') + 1));
        String stored = s.server.wiring().ctx().database().read(h -> h.createQuery("SELECT secret_hash FROM api_tokens WHERE token_key = :k")
                .bind("k", t.path("key").asText()).mapTo(String.class).one());
        assertThat(stored).hasSize(64).doesNotContain(token.substring(token.indexOf('.') + 1));

        Http script = s.client();
        Http.Res me = script.get("/api/v1/me", "Authorization", "Bearer " + token);
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        assertThat(me.json().path("user").path("username").asText()).isEqualTo("ann");
        assertThat(script.get("/api/v1/tokens", "Authorization", "Bearer " + token).json().path("tokens").size()).isEqualTo(1);
        // a wrong secret for a real key is refused
        String forged = token.substring(0, token.indexOf('.') + 1) + "A".repeat(43);
        assertThat(script.get("/api/v1/me", "Authorization", "Bearer " + forged).status()).isEqualTo(401);
        // credentials need a login session, not a token
        assertThat(script.get("/api/v1/me/sessions", "Authorization", "Bearer " + token).status()).isEqualTo(403);
        // last use recorded; an address the token was not made or used from goes into the history once
        JsonNode listed = c.get("/api/v1/tokens").json().path("tokens").get(0);
        assertThat(listed.path("last_used_at").isNull()).isFalse();
        assertThat(events(c, t.path("key").asText())).containsExactly("created");
        for (int i = 0; i < 3; i++) {
            assertThat(script.get("/api/v1/me", "Authorization", "Bearer " + token, "X-Forwarded-For", "192.0.2.7").status()).isEqualTo(200);
        }
        assertThat(events(c, t.path("key").asText())).containsExactly("used_new_address", "created");
        assertThat(c.get("/api/v1/tokens/" + t.path("key").asText()).json().path("last_used_ip").asText()).isEqualTo("192.0.2.7");
    }

    @Test
    void whenScopesAreNotHeldOrNameTaken_thenRefused() {
        People.Person p = People.ready(s, "bob", List.of("analyst"));
        Http c = loggedIn(p);
        Http.Res notHeld = c.postJson("/api/v1/tokens", Map.of("name", "w", "scopes", List.of("write:data")));
        assertThat(notHeld.status()).isEqualTo(400);
        assertThat(notHeld.json().path("detail").asText()).contains("write:data");
        create(c, "ci", List.of("read:data"));
        Http.Res dup = c.postJson("/api/v1/tokens", Map.of("name", "CI", "scopes", List.of()));
        assertThat(dup.status()).as(dup.toString()).isEqualTo(400);
        assertThat(dup.json().path("detail").asText()).contains("already");
        Http.Res past = c.postJson("/api/v1/tokens", Map.of("name", "old", "scopes", List.of(), "expires_at", "2001-01-01T00:00:00Z"));
        assertThat(past.status()).isEqualTo(400);
    }

    @Test
    void whenTokenIsChanged_thenHistoryTellsWhoWhatAndTheTokenFollows() {
        People.Person p = People.ready(s, "cleo", List.of("analyst", "editor"));
        Http c = loggedIn(p);
        JsonNode t = create(c, "first", List.of("read:data", "write:data"));
        String key = t.path("key").asText();
        String bearer = "Bearer " + t.path("token").asText();
        Instant until = s.clock.instant().plus(Duration.ofDays(3));
        Http.Res patched = c.patchJson("/api/v1/tokens/" + key, Map.of("name", "second", "scopes", List.of("read:data"),
                "expires_at", until.toString()));
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.json().path("name").asText()).isEqualTo("second");
        assertThat(events(c, key)).containsExactly("expiry_changed", "scopes_changed", "renamed", "created");
        JsonNode last = c.get("/api/v1/tokens/" + key + "/history").json().path("events").get(0);
        assertThat(last.path("actor").asText()).isEqualTo("cleo");
        assertThat(last.path("ip").asText()).isEqualTo("127.0.0.1");
        // the narrower scopes hold at once at the ingress
        Http ingress = s.client();
        assertThat(ingress.get("/ingress/auth?scope=write:data", "Authorization", bearer).status()).isEqualTo(403);
        assertThat(ingress.get("/ingress/auth?scope=read:data", "Authorization", bearer).status()).isEqualTo(200);

        // admins search across people
        Http.Res search = s.client().get("/api/v1/admin/token-history?username=cleo&event=renamed", "Authorization", BOOT);
        assertThat(search.status()).as(search.toString()).isEqualTo(200);
        assertThat(search.json().path("events").size()).isEqualTo(1);
        assertThat(search.json().path("events").get(0).path("detail").asText()).isEqualTo("first -> second");
        // others see nothing of it
        Http other = loggedIn(People.ready(s, "dora", List.of("analyst")));
        assertThat(other.get("/api/v1/tokens/" + key + "/history").status()).isEqualTo(404);
        assertThat(other.get("/api/v1/admin/token-history").status()).isEqualTo(403);
    }

    @Test
    void whenTokenIsDeleted_thenItAndItsDelegatedTokensStopAtOnce() {
        People.Person p = People.ready(s, "eve", List.of("analyst"));
        Http c = loggedIn(p);
        JsonNode t = create(c, "parent", List.of("read:data", "user:token"));
        String token = t.path("token").asText();
        Http svc = s.client();
        Http.Res d = svc.postJson("/api/v1/tokens/delegate", Map.of("subject_token", token, "audience", "portal",
                "scope", "read:data", "requested_lifetime", 600));
        assertThat(d.status()).as(d.toString()).isEqualTo(200);
        String child = d.json().path("access_token").asText();
        assertThat(d.json().path("scope").asText()).isEqualTo("read:data");
        assertThat(d.json().path("expires_in").asLong()).isEqualTo(600);
        // more scope than the parent: refused
        assertThat(svc.postJson("/api/v1/tokens/delegate", Map.of("subject_token", token, "audience", "portal",
                "scope", "write:data")).status()).isEqualTo(400);
        // the delegated token is good for its audience only, never for IMSM's API
        assertThat(svc.get("/ingress/auth?service=portal&scope=read:data", "Authorization", "Bearer " + child).status()).isEqualTo(200);
        assertThat(svc.get("/ingress/auth?service=other", "Authorization", "Bearer " + child).status()).isEqualTo(401);
        assertThat(svc.get("/api/v1/me", "Authorization", "Bearer " + child).status()).isEqualTo(401);
        assertThat(events(c, t.path("key").asText())).contains("created");

        assertThat(c.delete("/api/v1/tokens/" + t.path("key").asText()).status()).isEqualTo(204);
        assertThat(svc.get("/ingress/auth", "Authorization", "Bearer " + token).status()).isEqualTo(401);
        assertThat(svc.get("/ingress/auth?service=portal", "Authorization", "Bearer " + child).status()).isEqualTo(401);
        Http.Res history = s.client().get("/api/v1/admin/token-history?key=" + t.path("key").asText() + "&event=deleted",
                "Authorization", BOOT);
        assertThat(history.json().path("events").size()).as(history.toString()).isEqualTo(2);
        // the name is free again
        create(c, "parent", List.of());
    }

    @Test
    void whenPersonIsDeactivated_thenAllTheirTokensStop() {
        People.Person p = People.ready(s, "fay", List.of("analyst"));
        Http c = loggedIn(p);
        String a = create(c, "a", List.of("read:data")).path("token").asText();
        String b = create(c, "b", List.of()).path("token").asText();
        Http svc = s.client();
        assertThat(svc.get("/ingress/auth", "Authorization", "Bearer " + a).status()).isEqualTo(200);
        Http.Res off = s.client().putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "deactivated"),
                "Authorization", BOOT);
        assertThat(off.status()).as(off.toString()).isEqualTo(200);
        assertThat(svc.get("/ingress/auth", "Authorization", "Bearer " + a).status()).isEqualTo(401);
        assertThat(svc.get("/api/v1/me", "Authorization", "Bearer " + b).status()).isEqualTo(401);
        Http.Res disabled = s.client().get("/api/v1/admin/token-history?username=fay&event=disabled", "Authorization", BOOT);
        assertThat(disabled.json().path("events").size()).isEqualTo(2);
    }

    @Test
    void whenAdminUsesAToken_thenAdminCallsNeedTheAdminTokenScope() {
        People.Person p = People.ready(s, "ada", List.of("admin", "analyst"));
        Http c = loggedIn(p);
        String plain = create(c, "plain", List.of("read:data")).path("token").asText();
        String admin = create(c, "admin", List.of("admin:token")).path("token").asText();
        Http script = s.client();
        assertThat(script.get("/api/v1/admin/users", "Authorization", "Bearer " + plain).status()).isEqualTo(403);
        assertThat(script.get("/api/v1/admin/users", "Authorization", "Bearer " + admin).status()).isEqualTo(200);
        // managing tokens with a token needs user:token
        assertThat(script.get("/api/v1/tokens", "Authorization", "Bearer " + plain).status()).isEqualTo(403);
    }

    @Test
    void whenAdminManagesSomeonesTokens_thenUnderTheirName() {
        People.Person p = People.ready(s, "gus", List.of("analyst"));
        Http admin = s.client();
        Http.Res made = admin.postJson("/api/v1/admin/users/gus/api-tokens", Map.of("name", "by-admin", "scopes", List.of("read:data")),
                "Authorization", BOOT);
        assertThat(made.status()).as(made.toString()).isEqualTo(201);
        String key = made.json().path("key").asText();
        assertThat(admin.get("/api/v1/admin/users/gus/api-tokens", "Authorization", BOOT).json().path("tokens").size()).isEqualTo(1);
        assertThat(loggedIn(p).get("/api/v1/tokens").json().path("tokens").get(0).path("name").asText()).isEqualTo("by-admin");
        JsonNode h = admin.get("/api/v1/admin/users/gus/api-tokens/" + key + "/history", "Authorization", BOOT).json();
        assertThat(h.path("events").get(0).path("actor").asText()).isEqualTo("bootstrap-token");
        assertThat(admin.delete("/api/v1/admin/users/gus/api-tokens/" + key, "Authorization", BOOT).status()).isEqualTo(204);
        assertThat(admin.get("/api/v1/admin/users/gus/api-tokens", "Authorization", BOOT).json().path("tokens").size()).isZero();
    }

    @Test
    void whenScopeMappingIsReplaced_thenStoredAndPeopleHoldTheNewScopes() {
        People.Person p = People.ready(s, "hal", List.of("auditor"));
        Http c = loggedIn(p);
        assertThat(c.get("/api/v1/me").json().path("scopes").size()).isZero();
        Http admin = s.client();
        JsonNode before = admin.get("/api/v1/admin/scope-mapping", "Authorization", BOOT).json();
        assertThat(before.path("scopes").has("read:data")).isTrue();
        Map<String, Object> next = Map.of("scopes", Map.of("read:data", List.of("analyst", "auditor"), "write:data", List.of("editor"),
                "user:token", List.of("analyst"), "admin:token", List.of("admin")));
        Http.Res put = admin.putJson("/api/v1/admin/scope-mapping", next, "Authorization", BOOT);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(c.get("/api/v1/me").json().path("scopes").toString()).isEqualTo("[\"read:data\"]");
        Http.Res bad = admin.putJson("/api/v1/admin/scope-mapping", Map.of("scopes", Map.of("bad scope", List.of("x"))), "Authorization", BOOT);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(c.get("/api/v1/admin/scope-mapping").status()).isEqualTo(403);
    }

    @Test
    void whenIngressAsksInEachProxysDialect_thenTheSameRulesAnswer() {
        People.Person p = People.ready(s, "ivy", List.of("analyst"));
        Http c = loggedIn(p);
        String token = create(c, "ingress", List.of("read:data")).path("token").asText();
        Http ingress = s.client();
        // Traefik: the original request in X-Forwarded-*; no credential gives the login address to send people to
        Http.Res traefik = ingress.get("/ingress/auth?scope=read:data", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "app.example.org",
                "X-Forwarded-Uri", "/reports?q=1", "X-Forwarded-Method", "GET");
        assertThat(traefik.status()).isEqualTo(401);
        assertThat(traefik.header("X-Auth-Request-Redirect")).isEqualTo(s.baseUrl() + "/login?rd=https%3A%2F%2Fapp.example.org%2Freports%3Fq%3D1");
        // a host not in ingress.redirect_hosts: the login address without rd (the login would ignore it)
        Http.Res unlisted = ingress.get("/ingress/auth?scope=read:data", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example",
                "X-Forwarded-Uri", "/x", "X-Forwarded-Method", "GET");
        assertThat(unlisted.header("X-Auth-Request-Redirect")).isEqualTo(s.baseUrl() + "/login");
        // Envoy: the original method and path after /ingress/auth, the parameters in X-Imsm-Auth-Query
        Http.Res envoy = ingress.postRaw("/ingress/auth/reports/run", "text/plain", "", "Authorization", "Bearer " + token,
                "X-Imsm-Auth-Query", "scope=write:data");
        assertThat(envoy.status()).isEqualTo(403);
        assertThat(envoy.header("WWW-Authenticate")).contains("scope=\"write:data\"");
        assertThat(ingress.get("/ingress/auth/reports", "Authorization", "Bearer " + token, "X-Imsm-Auth-Query", "scope=read:data").status())
                .isEqualTo(200);
        // satisfy=any and HTTP Basic with its own challenge
        assertThat(ingress.get("/ingress/auth?scope=write:data&scope=read:data&satisfy=any", "Authorization", "Bearer " + token).status())
                .isEqualTo(200);
        Http.Res basic = ingress.get("/ingress/auth?auth_type=basic");
        assertThat(basic.status()).isEqualTo(401);
        assertThat(basic.header("WWW-Authenticate")).isEqualTo("Basic realm=\"imsm\"");
        // the browser cookie counts as the person, with the scopes of their roles
        Http.Res cookie = c.get("/ingress/auth?scope=read:data");
        assertThat(cookie.status()).isEqualTo(200);
        assertThat(cookie.header("X-Auth-Request-User")).isEqualTo("ivy");
        // a token that expires too soon for the service is refused
        Http.Res shortLived = c.postJson("/api/v1/tokens", Map.of("name", "short", "scopes", List.of("read:data"),
                "expires_at", s.clock.instant().plus(Duration.ofMinutes(2)).toString()));
        String soon = shortLived.json().path("token").asText();
        assertThat(ingress.get("/ingress/auth?minimum_lifetime=60", "Authorization", "Bearer " + soon).status()).isEqualTo(200);
        assertThat(ingress.get("/ingress/auth?minimum_lifetime=600", "Authorization", "Bearer " + soon).status()).isEqualTo(401);
        // a bad parameter is a 403 carrying the real status and problem
        Http.Res bad = ingress.get("/ingress/auth?minimum_lifetime=soon", "Authorization", "Bearer " + token);
        assertThat(bad.status()).isEqualTo(403);
        assertThat(bad.header("X-Error-Status")).isEqualTo("400");
        assertThat(bad.header("X-Error-Body")).contains("minimum_lifetime");
    }
}
