package io.imsm.server.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service register form and "Test key exchange" over HTTP, against a real service on the SDK:
 * lifetimes in readable units, errors at their field with the typed values kept, a test exchange that
 * saves nothing and leaves the service without the test session, a warning (not a refusal) when
 * kx_url does not answer, and the API route {@code POST /api/v1/admin/services/{id}/test}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServiceFormPagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    /** A loopback port nothing listens on: connecting is refused at once. */
    private static final String DEAD_KX_URL = "http://127.0.0.1:9/imsm/kx";

    private TestServer s;
    private Http admin;
    private SdkService service;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        People.Person cato = People.ready(s, "cato", List.of("admin"));
        admin = s.client();
        assertThat(People.login(s, admin, cato).status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30));
        service = new SdkService(s, "ledger");
    }

    @AfterAll
    void stop() {
        service.close();
        s.close();
    }

    @Test
    void whenAdminFillsTheForm_thenServiceIsCreatedWithLifetimesConvertedFromUnits() {
        Http.Res r = admin.postForm("/admin/services", form("reports", "jwks", Map.of("default_ttl", "15", "default_ttl_unit", "minutes",
                "max_ttl", "2", "max_ttl_unit", "hours", "fields", "ticket_id", "description", "Monthly reports")));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body()).contains("id=\"message\">Created: reports.").doesNotContain("id=\"kx-test\"");
        Http.Res api = s.client().get("/api/v1/admin/services/reports", "Authorization", BEARER);
        assertThat(api.json().path("default_ttl_seconds").asInt()).isEqualTo(900);
        assertThat(api.json().path("max_ttl_seconds").asInt()).isEqualTo(7200);
        assertThat(api.json().path("fields").toString()).isEqualTo("[\"ticket_id\"]");
        assertThat(api.json().path("roles").toString()).isEqualTo("[\"analyst\"]");
        assertThat(api.json().path("allow_request_limit").asBoolean()).isFalse();

        Http.Res page = admin.get("/admin/services/reports");
        assertThat(page.body()).contains("name=\"default_ttl\" inputmode=\"decimal\" value=\"15\"")
                .contains("<option value=\"hours\" selected>hours</option>")
                .contains("<input type=\"checkbox\" name=\"fields\" value=\"ticket_id\" checked>")
                .contains("name=\"original_id\" value=\"reports\"").contains("href=\"/admin/services/reports/export\"");

        // the form for a new service refuses an id that exists (no silent replace)
        Http.Res again = admin.postForm("/admin/services", form("reports", "jwks", Map.of()));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body()).contains("id=\"error-id\">A service with id");

        // editing replaces
        Map<String, String> edit = form("reports", "jwks", Map.of("max_ttl", "90", "max_ttl_unit", "minutes"));
        edit.put("original_id", "reports");
        Http.Res updated = admin.postForm("/admin/services", edit);
        assertThat(updated.body()).contains("Updated: reports.");
        assertThat(s.client().get("/api/v1/admin/services/reports", "Authorization", BEARER).json().path("max_ttl_seconds").asInt())
                .isEqualTo(5400);
    }

    @Test
    void whenFormIsRejected_thenTypedValuesStayAndTheErrorSitsAtItsFieldInItsUnits() {
        Http.Res tooLong = admin.postForm("/admin/services", form("toolong", "jwks", Map.of("name", "Typed Name",
                "max_ttl", "11", "max_ttl_unit", "hours", "scopes", "read, write")));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.body()).contains("id=\"error-max_ttl\">The longest lifetime must be between 1 minute and 10 hours.")
                .doesNotContain("seconds").contains("value=\"Typed Name\"").contains("value=\"read, write\"");

        Http.Res notANumber = admin.postForm("/admin/services", form("nan", "jwks", Map.of("default_ttl", "soon")));
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.body()).contains("id=\"error-default_ttl\">Give a number of minutes.").contains("value=\"soon\"");

        Http.Res badKey = admin.postForm("/admin/services", form("badkey", "kx", Map.of("kx_url", DEAD_KX_URL, "public_jwk", "{not json")));
        assertThat(badKey.status()).isEqualTo(400);
        assertThat(badKey.body()).contains("id=\"error-public_jwk\">Paste the key as one JWK").contains("{not json</textarea>");

        Http.Res noScopes = admin.postForm("/admin/services", form("noscopes", "jwks", Map.of("scopes", "")));
        assertThat(noScopes.body()).contains("id=\"error-scopes\">scopes must list at least one scope");

        for (String id : List.of("toolong", "nan", "badkey", "noscopes")) {
            assertThat(s.client().get("/api/v1/admin/services/" + id, "Authorization", BEARER).status()).isEqualTo(404);
        }
    }

    @Test
    void whenTestKeyExchangeRuns_thenRealExchangeWorks_nothingIsSaved_andTheServiceForgetsTheSession() {
        int offers = service.offers.get();
        int revoked = service.sessions.revokedSize();
        Http.Res r = admin.postForm("/admin/services/test", form("ledger", "kx", Map.of("kx_url", service.kxUrl(),
                "public_jwk", json(service.publicJwk()), "name", "Ledger")));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body()).contains("id=\"kx-result\">Key exchange works (").contains("confirmed the revocation of the test session")
                .contains("value=\"Ledger\"").doesNotContain("id=\"message\"");
        assertThat(service.offers.get()).isEqualTo(offers + 1);
        assertThat(service.sessions.size()).isZero();
        assertThat(service.sessions.revokedSize()).isEqualTo(revoked + 1);
        assertThat(s.client().get("/api/v1/admin/services/ledger", "Authorization", BEARER).status()).isEqualTo(404);
        assertThat(s.client().get("/api/v1/sessions", "Authorization", BEARER).body()).doesNotContain("ledger");
    }

    @Test
    void whenKxUrlDoesNotAnswer_thenServiceIsSavedWithAWarning() {
        Http.Res r = admin.postForm("/admin/services", form("silent", "kx", Map.of("kx_url", DEAD_KX_URL,
                "public_jwk", json(service.publicJwk()))));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body()).contains("id=\"message\">Created: silent.")
                .contains("id=\"kx-result\">Warning: the key exchange did not work.").contains("could not be reached");
        assertThat(s.client().get("/api/v1/admin/services/silent", "Authorization", BEARER).status()).isEqualTo(200);
    }

    @Test
    void whenApiTestsRegisteredOrGivenDefinition_thenResultSaysWhatHappened() {
        Map<String, Object> def = new LinkedHashMap<>(Map.of("name", "Vault", "binding", "kx", "kx_url", service.kxUrl(),
                "public_jwk", service.publicJwk(), "roles", List.of("analyst"), "scopes", List.of("read")));
        // the SDK service answers for the id "ledger": register it under that id
        Http.Res put = s.client().putJson("/api/v1/admin/services/ledger", def, "Authorization", BEARER);
        assertThat(put.status()).as(put.toString()).isIn(200, 201);

        Http.Res registered = s.client().postRaw("/api/v1/admin/services/ledger/test", "application/json", "", "Authorization", BEARER);
        assertThat(registered.status()).as(registered.toString()).isEqualTo(200);
        assertThat(registered.json().path("ok").asBoolean()).isTrue();
        assertThat(registered.json().path("forgotten").asBoolean()).isTrue();
        assertThat(registered.json().path("service_id").asText()).isEqualTo("ledger");
        assertThat(registered.json().has("elapsed_millis")).isTrue();

        def.put("kx_url", DEAD_KX_URL);
        Http.Res dead = s.client().postJson("/api/v1/admin/services/ledger/test", def, "Authorization", BEARER);
        assertThat(dead.status()).isEqualTo(200);
        assertThat(dead.json().path("ok").asBoolean()).isFalse();
        assertThat(dead.json().path("detail").asText()).contains("could not be reached");
        // testing a definition does not save it
        assertThat(s.client().get("/api/v1/admin/services/ledger", "Authorization", BEARER).json().path("kx_url").asText())
                .isEqualTo(service.kxUrl());

        def.put("id", "other");
        assertThat(s.client().postJson("/api/v1/admin/services/ledger/test", def, "Authorization", BEARER).status()).isEqualTo(400);
        Http.Res jwks = s.client().postJson("/api/v1/admin/services/ledger/test",
                Map.of("name", "J", "binding", "jwks", "roles", List.of("analyst"), "scopes", List.of("read")), "Authorization", BEARER);
        assertThat(jwks.status()).isEqualTo(400);
        assertThat(jwks.code()).isEqualTo("invalid_request");
        assertThat(s.client().postRaw("/api/v1/admin/services/nosuch/test", "application/json", "", "Authorization", BEARER).status())
                .isEqualTo(404);

        Http user = s.client();
        assertThat(People.login(s, user, People.ready(s, "ulf", List.of("analyst"))).status()).isEqualTo(200);
        assertThat(user.postRaw("/api/v1/admin/services/ledger/test", "application/json", "").status()).isEqualTo(403);
        assertThat(user.postForm("/admin/services/test", Http.form("_csrf", user.csrf(), "id", "ledger")).status()).isEqualTo(403);
        assertThat(admin.postForm("/admin/services/test", Http.form("_csrf", "wrong", "id", "ledger")).status()).isEqualTo(403);
    }

    // ------------------------------------------------------------ helpers

    private Map<String, String> form(String id, String binding, Map<String, String> extra) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("_csrf", admin.csrf());
        f.put("id", id);
        f.put("name", "Service " + id);
        f.put("binding", binding);
        f.put("roles", "analyst");
        f.put("scopes", "read");
        f.put("default_ttl", "10");
        f.put("default_ttl_unit", "minutes");
        f.put("max_ttl", "1");
        f.put("max_ttl_unit", "hours");
        f.putAll(extra);
        return f;
    }

    private static String json(Object o) {
        try {
            return Http.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
