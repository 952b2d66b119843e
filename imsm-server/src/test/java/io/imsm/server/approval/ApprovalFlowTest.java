package io.imsm.server.approval;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.StoredRows;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import io.imsm.server.model.AuditEvent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Access requests with approvals over HTTP, two people and more, on H2 and PostgreSQL. */
class ApprovalFlowTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String JUSTIFICATION = "payroll run 2026-11, ticket OPS-4711";

    /** The people of one scenario, logged in. */
    record Team(TestServer s, People.Person dana, People.Person lee, People.Person olga, Http d, Http l, Http o) {
        void relogin() {
            People.login(s, d, dana);
            People.login(s, l, lee);
            People.login(s, o, olga);
        }
    }

    private static Team team(TestServer s) {
        Map<String, Object> approval = Map.of("approvals", 1, "approver_roles", List.of("lead"), "expires_after_seconds", 3600,
                "pickup_window_seconds", 600);
        Http.Res svc = s.client().putJson("/api/v1/admin/services/payroll", Map.of("name", "Payroll", "binding", "jwks",
                "roles", List.of("dev"), "scopes", List.of("pay:read"), "fields", List.of("justification"), "approval", approval,
                "encrypted_claims", List.of()), "Authorization", BEARER);
        assertThat(svc.status()).as(svc.toString()).isEqualTo(201);
        Http.Res vault = s.client().putJson("/api/v1/admin/services/vault", Map.of("name", "Vault", "binding", "jwks",
                "roles", List.of("dev"), "scopes", List.of("vault:read"), "fields", List.of("justification", "manager"),
                "approval", Map.of("approvals", 1, "approver_roles", List.of("lead"))), "Authorization", BEARER);
        assertThat(vault.status()).as(vault.toString()).isEqualTo(201);
        // dana is a lead too: her own requests must still need someone else
        People.Person dana = People.ready(s, "dana", List.of("dev", "lead"));
        People.Person lee = People.ready(s, "lee", List.of("lead"));
        People.Person olga = People.ready(s, "olga", List.of("dev"));
        Team t = new Team(s, dana, lee, olga, s.client(), s.client(), s.client());
        t.relogin();
        return t;
    }

    private static String ask(Team t) {
        Http.Res r = t.d().postJson("/api/v1/services/payroll/tokens", Map.of("ttl_seconds", 900, "fields", Map.of("justification", JUSTIFICATION)));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        assertThat(r.json().path("status").asText()).isEqualTo("pending");
        assertThat(r.json().has("token")).isFalse();
        return r.json().path("request_id").asText();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenSomeoneElseApproves_thenRequesterPicksTheTokenUpOnce_andItsLifetimeStartsAtPickUp(TestDatabases.Kind kind) {
        try (TestServer s = TestServer.start(kind)) {
            Team t = team(s);
            String id = ask(t);

            Http.Res self = t.d().postJson("/api/v1/requests/" + id + "/approve", Map.of("comment", "me"));
            assertThat(self.status()).isEqualTo(403);
            assertThat(self.code()).isEqualTo("self_approval");
            Http.Res stranger = t.o().postJson("/api/v1/requests/" + id + "/approve", Map.of());
            assertThat(stranger.status()).as("olga can neither see nor approve it").isEqualTo(404);
            Http.Res early = t.d().postJson("/api/v1/requests/" + id + "/token", Map.of());
            assertThat(early.code()).isEqualTo("request_not_approved");

            JsonNode queue = t.l().get("/api/v1/requests?role=approver").json().path("requests");
            assertThat(queue).hasSize(1);
            assertThat(queue.get(0).path("request_id").asText()).isEqualTo(id);
            assertThat(queue.get(0).path("asked").path("fields").path("justification").asText()).isEqualTo(JUSTIFICATION);
            assertThat(t.d().get("/api/v1/requests?role=approver").json().path("requests")).as("not her own").isEmpty();
            assertThat(t.d().get("/api/v1/requests?role=requester").json().path("requests")).hasSize(1);

            Http.Res ok = t.l().postJson("/api/v1/requests/" + id + "/approve", Map.of("comment", "fine for the run"));
            assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
            assertThat(ok.json().path("status").asText()).isEqualTo("approved");
            assertThat(ok.json().path("decided_by").asText()).isEqualTo("lee");
            assertThat(ok.json().path("comment").asText()).isEqualTo("fine for the run");
            assertThat(t.l().postJson("/api/v1/requests/" + id + "/approve", Map.of()).code()).isEqualTo("request_not_pending");

            s.clock.advance(Duration.ofMinutes(5));
            Instant pickup = s.clock.instant();
            Http.Res token = t.d().postJson("/api/v1/requests/" + id + "/token", Map.of());
            assertThat(token.status()).as(token.toString()).isEqualTo(201);
            assertThat(token.json().path("token").asText()).isNotBlank();
            assertThat(Duration.between(pickup, Instant.parse(token.json().path("expires_at").asText())).toSeconds()).isBetween(899L, 900L);
            assertThat(t.d().postJson("/api/v1/requests/" + id + "/token", Map.of()).code()).isEqualTo("request_picked_up");

            JsonNode view = t.d().get("/api/v1/requests/" + id).json();
            assertThat(view.path("history").findValuesAsText("action")).containsExactly("requested", "approved", "picked_up");
            assertThat(view.path("history").get(1).path("by").asText()).isEqualTo("lee");
            assertThat(view.path("sid").asText()).isEqualTo(token.json().path("sid").asText());
            List<String> actions = StoredRows.audit(s.server.wiring(), null, 50).stream().map(AuditEvent::action).toList();
            assertThat(actions).contains("access_request", "access_approve", "access_pickup", "token_issue");
            assertThat(StoredRows.audit(s.server.wiring(), null, 200)).noneMatch(e -> e.detail() != null && e.detail().contains("OPS-4711"));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenNobodyDecidesInTime_thenTheRequestExpires_andAnApprovedOneCannotBePickedUpAfterTheWindow(TestDatabases.Kind kind) {
        try (TestServer s = TestServer.start(kind)) {
            Team t = team(s);
            String late = ask(t);
            String slow = ask(t);
            assertThat(t.l().postJson("/api/v1/requests/" + slow + "/approve", Map.of()).status()).isEqualTo(200);

            s.clock.advance(Duration.ofSeconds(3601));
            t.relogin();
            Http.Res expired = t.l().postJson("/api/v1/requests/" + late + "/approve", Map.of());
            assertThat(expired.status()).isEqualTo(409);
            assertThat(expired.code()).isEqualTo("request_expired");
            JsonNode view = t.d().get("/api/v1/requests/" + late).json();
            assertThat(view.path("status").asText()).isEqualTo("expired");
            assertThat(view.path("history").findValuesAsText("action")).containsExactly("requested", "expired");
            assertThat(StoredRows.audit(s.server.wiring(), "access_expired", 5)).hasSize(1);

            Http.Res window = t.d().postJson("/api/v1/requests/" + slow + "/token", Map.of());
            assertThat(window.status()).isEqualTo(409);
            assertThat(window.code()).isEqualTo("request_expired");
            assertThat(window.json().path("detail").asText()).contains("pick-up window");
            assertThat(t.d().get("/api/v1/sessions").json().path("sessions")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "H2")
    void whenDeniedOrCancelled_thenNoToken_andTheManagerMustBeAmongTheApprovers(TestDatabases.Kind kind) {
        try (TestServer s = TestServer.start(kind)) {
            Team t = team(s);
            String denied = ask(t);
            Http.Res no = t.l().postJson("/api/v1/requests/" + denied + "/deny", Map.of("comment", "not this month"));
            assertThat(no.json().path("status").asText()).isEqualTo("denied");
            assertThat(t.d().postJson("/api/v1/requests/" + denied + "/token", Map.of()).code()).isEqualTo("request_not_approved");

            String withdrawn = ask(t);
            Http.Res cancel = t.d().postJson("/api/v1/requests/" + withdrawn + "/cancel", Map.of("comment", "done without"));
            assertThat(cancel.json().path("status").asText()).isEqualTo("cancelled");
            assertThat(t.l().postJson("/api/v1/requests/" + withdrawn + "/approve", Map.of()).code()).isEqualTo("request_not_pending");
            assertThat(t.l().postJson("/api/v1/requests/" + withdrawn + "/cancel", Map.of()).status()).as("only the requester").isEqualTo(403);

            // the vault names a manager: olga holds no approver role, lee does
            Http.Res notApprover = t.d().postJson("/api/v1/services/vault/tokens",
                    Map.of("fields", Map.of("justification", "key rotation", "manager", "olga")));
            assertThat(notApprover.status()).isEqualTo(403);
            assertThat(notApprover.code()).isEqualTo("not_an_approver");
            People.Person mia = People.ready(s, "mia", List.of("lead"));
            Http m = s.client();
            People.login(s, m, mia);
            Http.Res named = t.d().postJson("/api/v1/services/vault/tokens", Map.of("fields", Map.of("justification", "key rotation", "manager", "mia")));
            assertThat(named.status()).as(named.toString()).isEqualTo(202);
            String id = named.json().path("request_id").asText();
            Http.Res byLee = t.l().postJson("/api/v1/requests/" + id + "/approve", Map.of());
            assertThat(byLee.json().path("status").asText()).as("the named manager has not approved yet").isEqualTo("pending");
            Http.Res byMia = m.postJson("/api/v1/requests/" + id + "/approve", Map.of());
            assertThat(byMia.json().path("status").asText()).isEqualTo("approved");
            assertThat(byMia.json().path("approvals").findValuesAsText("by")).containsExactly("lee", "mia");
            assertThat(t.d().postJson("/api/v1/requests/" + id + "/token", Map.of()).status()).isEqualTo(201);
            assertThat(t.d().get("/api/v1/requests?role=bogus").status()).isEqualTo(400);
        }
    }
}
