package io.imsm.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.StoredRows;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decision hooks against a WireMock stand-in of a policy service (OPA's data API): deny with the
 * reason shown to the person (API and page), allow with a shorter lifetime, no answer in time
 * (fail closed, fail open), and every decision in the audit log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecisionHooksTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String OPA = "/v1/data/imsm/token";
    TestServer s;
    WireMockServer opa;
    Http admin;
    People.Person person;
    Http user;

    @BeforeAll
    void start() {
        opa = HookTargets.start();
        s = TestServer.start(TestDatabases.Kind.H2);
        admin = s.client();
        assertThat(admin.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("read", "write"), "max_ttl_seconds", 3600, "fields", List.of("justification")),
                "Authorization", BEARER).status()).isEqualTo(201);
        assertThat(admin.putJson("/api/v1/admin/services/other", Map.of("name", "other", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("read")), "Authorization", BEARER).status()).isEqualTo(201);
        person = People.ready(s, "policy-pat", List.of("ops"));
        user = s.client();
        assertThat(People.login(s, user, person).status()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        s.close();
        opa.stop();
    }

    @BeforeEach
    void clean() {
        opa.resetAll();
        for (JsonNode h : admin.get("/api/v1/admin/hooks", "Authorization", BEARER).json().path("hooks")) {
            admin.delete("/api/v1/admin/hooks/" + h.path("id").asText(), "Authorization", BEARER);
        }
    }

    void decisionHook(String id, Map<String, Object> settings) {
        Map<String, Object> hook = new LinkedHashMap<>(Map.of("id", id, "kind", "decision", "url",
                "http://127.0.0.1:" + opa.port() + OPA, "services", List.of("reports")));
        hook.putAll(settings);
        Http.Res r = admin.postJson("/api/v1/admin/hooks", hook, "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().has("secret")).isFalse();
    }

    Http.Res ask(String service, int ttl) {
        return user.postJson("/api/v1/services/" + service + "/tokens", Map.of("scopes", List.of("read"), "ttl_seconds", ttl,
                "fields", Map.of("justification", "quarterly numbers")));
    }

    @Test
    void whenPolicyDenies_thenRefusedWithItsReason_onApiAndPage_andAudited() throws Exception {
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":false,\"reason\":\"outside office hours\"}}")));
        decisionHook("office-hours", Map.of());

        Http.Res r = ask("reports", 600);
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("denied_by_policy");
        assertThat(r.json().path("detail").asText()).isEqualTo("Refused by policy: outside office hours");

        LoggedRequest asked = opa.findAll(postRequestedFor(urlEqualTo(OPA))).getFirst();
        JsonNode input = Http.JSON.readTree(asked.getBodyAsString()).path("input");
        assertThat(input.path("user").path("username").asText()).isEqualTo("policy-pat");
        assertThat(input.path("user").path("roles")).extracting(JsonNode::asText).containsExactly("ops");
        assertThat(input.path("service").asText()).isEqualTo("reports");
        assertThat(input.path("scopes")).extracting(JsonNode::asText).containsExactly("read");
        assertThat(input.path("fields").path("justification").asText()).isEqualTo("quarterly numbers");
        assertThat(input.path("client_ip").asText()).isEqualTo("127.0.0.1");
        assertThat(Instant.parse(input.path("time").asText())).isBetween(s.clock.instant().minusSeconds(2), s.clock.instant());
        assertThat(input.path("ttl_seconds").asInt()).isEqualTo(600);

        Http.Res page = user.postForm("/services/reports", Http.form("_csrf", user.csrf(), "scope", "read", "ttl_minutes", "10",
                "justification", "quarterly numbers"));
        assertThat(page.status()).isEqualTo(403);
        assertThat(page.body()).contains("Refused by policy: outside office hours");

        // a hook limited to other services is not asked
        assertThat(user.postJson("/api/v1/services/other/tokens", Map.of("ttl_seconds", 600)).status()).isEqualTo(201);
        assertThat(opa.findAll(postRequestedFor(urlEqualTo(OPA)))).hasSize(2);

        List<AuditEvent> decisions = StoredRows.audit(s.server.wiring(), "policy_decision", 10);
        // (other tests of this class share the server: only this hook's decisions)
        assertThat(decisions).filteredOn(e -> e.outcome().equals("deny") && e.detail().startsWith("hook=office-hours")).hasSize(2)
                .allSatisfy(e -> assertThat(e.detail()).isEqualTo("hook=office-hours outside office hours"));
    }

    @Test
    void whenPolicyAllowsWithMaxTtl_thenTheLifetimeIsCapped() {
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":true,\"max_ttl_seconds\":120}}")));
        decisionHook("short-lived", Map.of());

        Http.Res r = ask("reports", 1800);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(Instant.parse(r.json().path("expires_at").asText())).isEqualTo(s.clock.instant().plusSeconds(120)
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        Http.Res shorter = ask("reports", 90);
        assertThat(Instant.parse(shorter.json().path("expires_at").asText())).isEqualTo(s.clock.instant().plusSeconds(90)
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(StoredRows.audit(s.server.wiring(), "policy_decision", 10)).anySatisfy(e -> {
            assertThat(e.outcome()).isEqualTo("allow");
            assertThat(e.detail()).isEqualTo("hook=short-lived ttl=120");
        });
    }

    @Test
    void whenPolicyIsTooSlowAndFailsClosed_thenRefusedAtTheDeadline() {
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":true}}").withFixedDelay(3000)));
        decisionHook("slow-closed", Map.of("timeout_ms", 300));

        long t0 = System.nanoTime();
        Http.Res r = ask("reports", 600);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("denied_by_policy");
        assertThat(r.json().path("detail").asText()).contains("slow-closed").contains("could not be asked");
        assertThat(ms).isLessThan(2000);
        assertThat(StoredRows.audit(s.server.wiring(), "policy_decision", 10))
                .anySatisfy(e -> assertThat(e.outcome()).isEqualTo("error_closed"));
    }

    @Test
    void whenPolicyIsTooSlowAndFailsOpen_thenIssued() {
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":false}}").withFixedDelay(3000)));
        decisionHook("slow-open", Map.of("timeout_ms", 300, "fail", "open"));

        Http.Res r = ask("reports", 600);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(StoredRows.audit(s.server.wiring(), "policy_decision", 10))
                .anySatisfy(e -> assertThat(e.outcome()).isEqualTo("error_open"));
    }

    @Test
    void whenPolicyAnswersWithoutADecision_thenFailsClosed() {
        // OPA answers {} for an undefined rule: that is no decision, never a yes
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{}")));
        decisionHook("undefined-rule", Map.of());
        Http.Res r = ask("reports", 600);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("denied_by_policy");
    }

    @Test
    void whenPolicyRequiresApproval_thenAnAccessRequestIsOpened_andThePickUpDoesNotAskAgain() throws Exception {
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":true,\"require_approval\":true}}")));
        decisionHook("four-eyes", Map.of());
        opa.stubFor(post(urlEqualTo("/events")).willReturn(okJson("{}")));
        assertThat(admin.postJson("/api/v1/admin/hooks", Map.of("id", "access-sink", "kind", "webhook",
                "url", "http://127.0.0.1:" + opa.port() + "/events", "events", List.of("access.requested", "access.approved")),
                "Authorization", BEARER).status()).isEqualTo(201);
        Http.Res r = ask("reports", 600);
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        String id = r.json().path("request_id").asText();
        assertThat(r.json().path("status").asText()).isEqualTo("pending");
        assertThat(r.json().path("approver_roles").toString()).isEqualTo("[\"admin\"]");
        assertThat(r.json().path("history").toString()).contains("a policy service asked for an approval");
        opa.verify(1, postRequestedFor(urlEqualTo(OPA)));

        People.Person boss = People.ready(s, "policy-boss-" + System.nanoTime() % 100000, List.of("admin"));
        Http bossClient = s.client();
        assertThat(People.login(s, bossClient, boss).status()).isEqualTo(200);
        Http.Res approved = bossClient.postJson("/api/v1/requests/" + id + "/approve", Map.of("comment", "fine"));
        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        Http.Res token = user.postJson("/api/v1/requests/" + id + "/token", Map.of());
        assertThat(token.status()).as(token.toString()).isEqualTo(201);
        assertThat(token.json().path("token").asText()).isNotBlank();
        // the policy service was asked once, before the request was opened, not again at the pick-up
        opa.verify(1, postRequestedFor(urlEqualTo(OPA)));

        // access.requested and access.approved reached the webhook: who, which service, the request; no form field
        List<LoggedRequest> events = HookTargets.awaitRequests(opa, "/events", 2, Duration.ofSeconds(20));
        List<JsonNode> bodies = new java.util.ArrayList<>();
        for (LoggedRequest e : events) {
            bodies.add(io.imsm.server.json.Json.mapper().readTree(e.getBodyAsString()));
        }
        assertThat(bodies).extracting(b -> b.path("type").asText()).containsExactlyInAnyOrder("access.requested", "access.approved");
        assertThat(bodies).allSatisfy(b -> {
            assertThat(b.path("data").path("request_id").asText()).isEqualTo(id);
            assertThat(b.path("data").path("service").asText()).isEqualTo("reports");
            assertThat(b.path("data").path("user").asText()).isEqualTo("policy-pat");
            assertThat(b.toString()).doesNotContain("quarterly numbers");
        });
    }

    @Test
    void whenPolicyDeniesAnAccessRequest_thenNoneIsOpened() {
        assertThat(admin.putJson("/api/v1/admin/services/payroll", Map.of("name", "payroll", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("read"), "fields", List.of("justification"),
                "approval", Map.of("approvals", 1, "approver_roles", List.of("admin"))), "Authorization", BEARER).status()).isIn(200, 201);
        opa.stubFor(post(urlEqualTo(OPA)).willReturn(okJson("{\"result\":{\"allow\":false,\"reason\":\"frozen\"}}")));
        Map<String, Object> hook = new LinkedHashMap<>(Map.of("id", "payroll-freeze", "kind", "decision", "url",
                "http://127.0.0.1:" + opa.port() + OPA, "services", List.of("payroll")));
        assertThat(admin.postJson("/api/v1/admin/hooks", hook, "Authorization", BEARER).status()).isEqualTo(201);
        Http.Res r = ask("payroll", 600);
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("denied_by_policy");
        assertThat(user.get("/api/v1/requests?role=requester").json().path("requests").toString()).doesNotContain("payroll");
    }
}
