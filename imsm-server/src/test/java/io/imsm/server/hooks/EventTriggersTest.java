package io.imsm.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * access.denied, access.expired and key.rotated, each raised by its real trigger (a denial over the
 * API, the expiry job with the clock moved past the request's time, the admin API's key rotation)
 * and delivered to a WireMock webhook: the Standard Webhooks signature checked with javax.crypto,
 * the data exactly the documented members, nothing secret in the body.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventTriggersTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String JUSTIFICATION = "SECRET-JUSTIFICATION-4711";
    static final Duration WAIT = Duration.ofSeconds(20);
    TestServer s;
    WireMockServer target;
    Http admin;
    String secret;
    People.Person rita;
    People.Person lee;

    @BeforeAll
    void start() {
        target = HookTargets.start();
        target.stubFor(any(anyUrl()).willReturn(ok()));
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("hooks.poll_millis", "100", "login.max_failures_per_account", "3"));
        admin = s.client();
        Http.Res svc = admin.putJson("/api/v1/admin/services/vault", Map.of("name", "Vault", "binding", "jwks", "roles", List.of("dev"),
                "scopes", List.of("read"), "fields", List.of("justification"),
                "approval", Map.of("approvals", 1, "approver_roles", List.of("lead"), "expires_after_seconds", 3600)),
                "Authorization", BEARER);
        assertThat(svc.status()).as(svc.toString()).isEqualTo(201);
        Http.Res plain = admin.putJson("/api/v1/admin/services/plain", Map.of("name", "Plain", "binding", "jwks", "roles", List.of("dev"),
                "scopes", List.of("read"), "fields", List.of("justification")), "Authorization", BEARER);
        assertThat(plain.status()).as(plain.toString()).isEqualTo(201);
        Http.Res hook = admin.postJson("/api/v1/admin/hooks", Map.of("id", "sink", "kind", "webhook",
                "url", "http://127.0.0.1:" + target.port() + "/sink", "events", List.of("access.denied", "access.expired", "key.rotated",
                "token.revoked", "mfa.removed", "account.locked")),
                "Authorization", BEARER);
        assertThat(hook.status()).as(hook.toString()).isEqualTo(201);
        secret = hook.json().path("secret").asText();
        rita = People.ready(s, "rita", List.of("dev"));
        lee = People.ready(s, "lee", List.of("lead"));
    }

    @AfterAll
    void stop() {
        s.close();
        target.stop();
    }

    @Test
    void whenAnApproverDenies_thenAccessDeniedIsDelivered() throws Exception {
        String id = ask();
        Http.Res denied = login(lee).postJson("/api/v1/requests/" + id + "/deny", Map.of("comment", "not this quarter"));
        assertThat(denied.status()).as(denied.toString()).isEqualTo(200);
        assertThat(denied.json().path("status").asText()).isEqualTo("denied");

        JsonNode data = delivered("access.denied", id);
        assertThat(fields(data)).containsExactlyInAnyOrder("actor", "service", "user", "request_id", "status", "client_ip");
        assertThat(data.path("status").asText()).isEqualTo("denied");
        assertThat(data.path("actor").asText()).isEqualTo("lee");
        assertThat(data.path("user").asText()).isEqualTo("rita");
        assertThat(data.path("service").asText()).isEqualTo("vault");
    }

    @Test
    void whenNobodyDecidesBeforeTheRequestsTime_thenTheExpiryJobDeliversAccessExpired() throws Exception {
        String id = ask();
        s.clock.advance(Duration.ofSeconds(3601));
        assertThat(s.server.wiring().accessRequests().expireDue()).isGreaterThanOrEqualTo(1);

        JsonNode data = delivered("access.expired", id);
        // no client address: nobody asked for it, the job did it
        assertThat(fields(data)).contains("actor", "service", "user", "request_id", "status")
                .isSubsetOf("actor", "service", "user", "request_id", "status", "client_ip");
        assertThat(data.path("status").asText()).isEqualTo("expired");
        assertThat(data.path("client_ip").isMissingNode() || data.path("client_ip").isNull()).isTrue();
        assertThat(data.path("actor").asText()).isEqualTo("system");
        assertThat(data.path("user").asText()).isEqualTo("rita");
        assertThat(data.path("service").asText()).isEqualTo("vault");
    }

    @Test
    void whenAnAdminRotatesTheSigningKey_thenKeyRotatedIsDelivered() throws Exception {
        // the next key must have been published for oauth.key_publish_ahead_seconds first
        s.clock.advance(Duration.ofMinutes(61));
        Http.Res rotated = admin.postJson("/api/v1/admin/keys/rotate", Map.of(), "Authorization", BEARER);
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);

        JsonNode data = delivered("key.rotated", null);
        assertThat(fields(data)).containsExactlyInAnyOrder("actor", "active_kid", "retired_kid", "client_ip");
        assertThat(data.path("actor").asText()).isEqualTo("bootstrap-token");
        assertThat(data.path("active_kid").asText()).isEqualTo(rotated.json().path("active_kid").asText())
                .isEqualTo(s.server.wiring().signingKeys().activeKey().getKeyID());
        assertThat(data.path("retired_kid").asText()).isEqualTo(rotated.json().path("retired_kid").asText());
    }

    @Test
    void whenATokenIsRevokedAnAuthenticatorResetAndAnAccountLocked_thenEachEventIsDelivered() throws Exception {
        Http c = login(rita);
        Http.Res token = c.postJson("/api/v1/services/plain/tokens", Map.of("fields", Map.of("justification", JUSTIFICATION)));
        assertThat(token.status()).as(token.toString()).isEqualTo(201);
        String sid = token.json().path("sid").asText();
        assertThat(c.delete("/api/v1/sessions/" + sid).status()).isEqualTo(204);
        JsonNode revoked = delivered("token.revoked", d -> d.path("sid").asText().equals(sid), token.json().path("token").asText());
        assertThat(revoked.path("user").asText()).isEqualTo("rita");
        assertThat(revoked.path("service").asText()).isEqualTo("plain");

        People.Person mo = People.ready(s, "mo", List.of("dev"));
        assertThat(admin.postJson("/api/v1/admin/users/" + mo.id() + "/mfa-reset", Map.of(), "Authorization", BEARER).status())
                .isIn(200, 204);
        JsonNode removed = delivered("mfa.removed", d -> d.path("user").asText().equals("mo"), mo.totpSecret(), mo.recoveryCodes().getFirst());
        assertThat(removed.path("actor").asText()).isEqualTo("bootstrap-token");

        People.Person lou = People.ready(s, "lou", List.of("dev"));
        for (int i = 0; i < 4; i++) {
            s.client().postJson("/api/v1/login", Map.of("username", "lou", "password", "wrong-password-" + i + "-xyz"));
        }
        JsonNode locked = delivered("account.locked", d -> d.path("user").asText().equals("lou"), "wrong-password-", lou.password());
        assertThat(fields(locked)).contains("user", "actor");
    }

    String ask() {
        Http.Res r = login(rita).postJson("/api/v1/services/vault/tokens", Map.of("fields", Map.of("justification", JUSTIFICATION)));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        return r.json().path("request_id").asText();
    }

    Http login(People.Person p) {
        s.clock.advance(Duration.ofSeconds(30));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        return c;
    }

    /**
     * The one delivery of an event of this type (and access request): signed as Standard Webhooks
     * says, its timestamp the attempt's, no secret in it; answers its data.
     */
    JsonNode delivered(String type, String requestId) throws Exception {
        return delivered(type, d -> requestId == null || d.path("request_id").asText().equals(requestId));
    }

    /** {@link #delivered(String, String)} for the event whose data matches, checking also that {@code secrets} are not in it. */
    JsonNode delivered(String type, java.util.function.Predicate<JsonNode> data, String... secrets) throws Exception {
        LoggedRequest r = HookTargets.awaitRequests(target, "/sink", 1, WAIT, x -> {
            JsonNode b = NotificationHooksTest.read(x.getBodyAsString());
            return b.path("type").asText().equals(type) && data.test(b.path("data"));
        }).getFirst();
        for (String secret : secrets) {
            assertThat(r.getBodyAsString()).doesNotContain(secret);
        }
        assertThat(r.getHeader("webhook-id")).matches("msg_[A-Za-z0-9_-]{24}");
        assertThat(r.getHeader("webhook-signature")).isEqualTo(HookTargets.expectedSignature(secret, r));
        assertThat(Long.parseLong(r.getHeader("webhook-timestamp"))).isBetween(s.clock.instant().getEpochSecond() - 60,
                s.clock.instant().getEpochSecond());
        String body = r.getBodyAsString();
        assertThat(body).doesNotContain(JUSTIFICATION).doesNotContain(rita.password()).doesNotContain(lee.password())
                .doesNotContain(rita.totpSecret()).doesNotContain(secret).doesNotContain(TestServer.BOOTSTRAP_TOKEN)
                .doesNotContain("\"d\"").doesNotContain("PRIVATE");
        JsonNode b = NotificationHooksTest.read(body);
        assertThat(fields(b)).containsExactly("type", "timestamp", "data");
        return b.path("data");
    }

    static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
