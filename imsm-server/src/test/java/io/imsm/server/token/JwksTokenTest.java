package io.imsm.server.token;

import io.imsm.server.support.StoredRows;
import com.nimbusds.jose.jwk.JWKSet;
import io.imsm.protocol.RequestTarget;
import io.imsm.protocol.SessionToken;
import io.imsm.protocol.SessionTokenVerifier;
import io.imsm.protocol.TokenException;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Token requests for a jwks-bound service: rules, the minted ES256 token, listing and revocation. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JwksTokenTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;
    People.Person ops;
    Http c;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        Http admin = s.client();
        Http.Res r = admin.putJson("/api/v1/admin/services/reports", Map.of("name", "Reports", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("reports:read", "reports:export"), "default_ttl_seconds", 300, "max_ttl_seconds", 3600,
                "fields", List.of("justification")), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        ops = People.ready(s, "olga", List.of("ops"));
        c = s.client();
        People.login(s, c, ops);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenTokenRequested_thenEs256TokenVerifiesAgainstJwksWithTheAskedLimits() throws Exception {
        Http.Res r = c.postJson("/api/v1/services/reports/tokens", Map.of("scopes", List.of("reports:read"), "ttl_seconds", 600,
                "fields", Map.of("justification", "monthly close"),
                "request", Map.of("method", "get", "path", "/reports/2026-10", "query", Map.of("format", "csv"))));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.header("Cache-Control")).isEqualTo("no-store");
        String token = r.json().path("token").asText();
        JWKSet jwks = JWKSet.parse(s.client().get("/.well-known/jwks.json").body());
        SessionTokenVerifier verifier = new SessionTokenVerifier(s.baseUrl(), "reports", s.clock, Duration.ofSeconds(60));
        SessionToken t = verifier.verifyEs256(token, jwks);
        assertThat(t.subject()).isEqualTo("olga");
        assertThat(t.scope()).isEqualTo("reports:read");
        assertThat(t.sid()).isEqualTo(r.json().path("sid").asText());
        assertThat(Duration.between(t.issuedAt(), t.expiresAt())).isEqualTo(Duration.ofSeconds(600));
        assertThat(t.check(RequestTarget.parse("GET", "/reports/2026-10?format=csv")).allowed()).isTrue();
        assertThat(t.check(RequestTarget.parse("GET", "/%72eports/2026-10?format=%63sv")).allowed()).isTrue();
        assertThat(t.check(RequestTarget.parse("GET", "/reports/2026-10?format=pdf")).allowed()).isFalse();
        assertThat(t.check(RequestTarget.parse("GET", "/reports/2026-11?format=csv")).allowed()).isFalse();
        assertThatThrownBy(() -> new SessionTokenVerifier(s.baseUrl(), "other-service", s.clock, Duration.ofSeconds(60))
                .verifyEs256(token, jwks)).isInstanceOf(TokenException.class);
        s.clock.advance(Duration.ofSeconds(700));
        assertThatThrownBy(() -> verifier.verifyEs256(token, jwks)).isInstanceOf(TokenException.class);
        s.clock.advance(Duration.ofSeconds(-700));
    }

    @Test
    void whenRequestBreaksServiceRules_thenClearErrorAndNoSession() {
        int before = c.get("/api/v1/sessions").json().path("sessions").size();
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of("scopes", List.of("admin:all"),
                "fields", Map.of("justification", "x"))).json().path("detail").asText()).contains("admin:all");
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of("ttl_seconds", 7200,
                "fields", Map.of("justification", "x"))).json().path("detail").asText()).contains("ttl_seconds");
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of()).json().path("detail").asText()).contains("justification");
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "x", "colour", "red")))
                .json().path("detail").asText()).contains("colour");
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "x"),
                "request", Map.of("method", "BREW", "path", "/pot"))).json().path("detail").asText()).contains("request.method");
        assertThat(c.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "x"),
                "request", Map.of("method", "GET", "path", "/a?b=c"))).json().path("detail").asText()).contains("request.path");
        Http.Res dots = c.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "x"),
                "request", Map.of("method", "GET", "path", "/reports/%2e%2E/admin")));
        assertThat(dots.status()).isEqualTo(400);
        assertThat(dots.json().path("detail").asText()).contains("request.path").contains("segments");
        assertThat(c.postJson("/api/v1/services/nope/tokens", Map.of()).status()).isEqualTo(404);
        assertThat(c.get("/api/v1/sessions").json().path("sessions")).hasSize(before);
    }

    @Test
    void whenRoleDoesNotAllowService_thenNotFoundAtTheApi() {
        People.Person viewer = People.ready(s, "vera", List.of("viewer"));
        Http v = s.client();
        People.login(s, v, viewer);
        Http.Res r = v.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "curious")));
        assertThat(r.status()).isEqualTo(404);
        assertThat(s.client().postJson("/api/v1/services/reports/tokens", Map.of(), "Authorization", BEARER).status())
                .as("the bootstrap token is not a person").isEqualTo(403);
    }

    @Test
    void whenSessionRevoked_thenGoneFromList_andOthersCannotRevokeIt() {
        Http.Res r = c.postJson("/api/v1/services/reports/tokens", Map.of("fields", Map.of("justification", "audit")));
        String sid = r.json().path("sid").asText();
        assertThat(c.get("/api/v1/sessions").body()).contains(sid);
        People.Person other = People.ready(s, "otto", List.of("ops"));
        Http o = s.client();
        People.login(s, o, other);
        assertThat(o.delete("/api/v1/sessions/" + sid).status()).isEqualTo(404);
        assertThat(c.delete("/api/v1/sessions/" + sid).status()).isEqualTo(204);
        assertThat(c.get("/api/v1/sessions").body()).doesNotContain(sid);
        var events = StoredRows.audit(s.server.wiring(), "token_issue", 50);
        assertThat(events).anyMatch(e -> e.detail() != null && e.detail().contains(sid));
    }

    @Test
    void whenTokenRequestedThroughPages_thenShownOnceListedAndRevocable() {
        Http.Res form = c.get("/services/reports");
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.body()).contains("name=\"justification\"").contains("reports:export");
        Http.Res missing = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "scope", "reports:read", "ttl_minutes", "5"));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body()).contains("justification");
        Http.Res issued = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "scope", "reports:read", "ttl_minutes", "5",
                "justification", "quarterly numbers", "req_method", "GET", "req_path", "/reports/q3", "req_query", "format=csv\nyear=2026"));
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        assertThat(issued.header("Cache-Control")).isEqualTo("no-store");
        assertThat(issued.body()).contains("id=\"token\"").contains("GET /reports/q3?format=csv&amp;year=2026").contains("/static/imsm.js");
        String sid = c.get("/api/v1/sessions").json().path("sessions").get(0).path("sid").asText();
        assertThat(c.get("/").body()).contains("data-sid=\"" + sid + "\"");
        assertThat(c.postForm("/sessions/" + sid + "/revoke", Http.form("_csrf", "wrong")).status()).isEqualTo(403);
        assertThat(c.postForm("/sessions/" + sid + "/revoke", Http.form("_csrf", c.csrf())).body())
                .as("unconfirmed, the page asks first").contains("name=\"confirmed\" value=\"yes\"");
        assertThat(c.get("/").body()).contains("data-sid=\"" + sid + "\"");
        assertThat(c.postForm("/sessions/" + sid + "/revoke", Http.form("_csrf", c.csrf(), "confirmed", "yes")).status()).isEqualTo(302);
        assertThat(c.get("/").body()).doesNotContain("data-sid=\"" + sid + "\"");
    }

    @Test
    void whenRequestPathHoldsShellSyntax_thenTheShownCurlLineKeepsItInert(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String path = "/r';touch$IFS'pwned;'$(touch${IFS}pwned)".replace("{", "").replace("}", "");
        Http.Res issued = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "justification", "shell test",
                "req_method", "GET", "req_path", path));
        assertThat(issued.status()).as(issued.body()).isEqualTo(200);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<pre id=\"curl\">(.*?)</pre>", java.util.regex.Pattern.DOTALL)
                .matcher(issued.body());
        assertThat(m.find()).isTrue();
        String line = m.group(1).replace("&#39;", "'").replace("&#34;", "\"").replace("&quot;", "\"").replace("&lt;", "<")
                .replace("&gt;", ">").replace("&amp;", "&");
        assertThat(line).startsWith("curl ").contains("'\\''");
        // the line as pasted, with curl a function that prints its arguments
        Process p = new ProcessBuilder("sh", "-c", "curl() { for a; do printf '%s\\n' \"$a\"; done; }; " + line)
                .directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String[] args = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
        assertThat(args).as(line + " -> " + java.util.Arrays.toString(args)).hasSize(5);
        assertThat(args[4]).isEqualTo("https://reports.example" + path);
        assertThat(java.nio.file.Files.exists(dir.resolve("pwned"))).isFalse();
    }
}
