package io.imsm.server.token;

import io.imsm.server.support.StoredRows;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What goes into a token and the records of it: the person's attributes as encrypted claims, never an
 * encrypted value in the audit log, and inputs too large to record refused before the key exchange.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenContentTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String TICKET = "INC-secret-4711";
    TestServer s;
    SdkService svc;
    Http admin;
    Http c;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        svc = new SdkService(s, "hr");
        admin = s.client();
        List<String> scopes = IntStream.range(0, 50).mapToObj(i -> "s" + i + "-" + "x".repeat(60)).toList();
        Http.Res r = admin.putJson("/api/v1/admin/services/hr", service(Map.of("scopes", scopes, "fields", List.of("ticket_id"),
                "encrypted_claims", List.of("email", "ticket_id", "roles", "phone"))), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        People.Person p = People.ready(s, "hanna", List.of("staff"), Map.of("email", "hanna@example.org"));
        c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
    }

    Map<String, Object> service(Map<String, Object> extra) {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("name", "HR", "kx_url", svc.kxUrl(), "public_jwk", svc.publicJwk(),
                "roles", List.of("staff"), "scopes", List.of("read")));
        m.putAll(extra);
        return m;
    }

    @AfterAll
    void stop() {
        s.close();
        svc.close();
    }

    List<AuditEvent> audit() {
        return StoredRows.audit(s.server.wiring(), null, 500);
    }

    @Test
    void whenServiceEncryptsEmailAndTicket_thenBothOnlyInsideEnc_andNeitherInTheAuditLog() throws Exception {
        Http.Res r = c.postJson("/api/v1/services/hr/tokens", Map.of("fields", Map.of("ticket_id", TICKET)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String token = r.json().path("token").asText();
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"enc\"").doesNotContain("hanna@example.org").doesNotContain(TICKET);

        SdkService.Answer a = svc.call(token);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        JsonNode enc = Http.JSON.readTree(a.body()).path("enc");
        assertThat(enc.path("email").asText()).isEqualTo("hanna@example.org");
        assertThat(enc.path("ticket_id").asText()).isEqualTo(TICKET);
        assertThat(enc.path("roles").get(0).asText()).isEqualTo("staff");
        assertThat(enc.has("phone")).as("no phone: left out").isFalse();

        List<AuditEvent> events = audit();
        assertThat(events).anyMatch(e -> "token_issue".equals(e.action()) && e.detail().contains(r.json().path("sid").asText()));
        assertThat(events).noneMatch(e -> String.valueOf(e.detail()).contains(TICKET) || String.valueOf(e.detail()).contains("hanna@example.org"));
    }

    @Test
    void whenEncryptedClaimUnknown_thenRegistrationRefusedWithTheNamesThatExist() {
        Http.Res r = admin.putJson("/api/v1/admin/services/hr2", service(Map.of("encrypted_claims", List.of("salary"))), "Authorization", BEARER);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("detail").asText()).contains("salary").contains("email, name, phone, roles");
        Http.Res notAsked = admin.putJson("/api/v1/admin/services/hr2", service(Map.of("encrypted_claims", List.of("ticket_id"))),
                "Authorization", BEARER);
        assertThat(notAsked.status()).isEqualTo(400);
        assertThat(notAsked.json().path("detail").asText()).contains("ticket_id").contains("fields");
        Http.Res named = admin.putJson("/api/v1/admin/services/hr2", service(Map.of("encrypted_claims", List.of("name", "email"))),
                "Authorization", BEARER);
        assertThat(named.status()).as(named.toString()).isEqualTo(201);
        admin.delete("/api/v1/admin/services/hr2", "Authorization", BEARER);
    }

    @Test
    void whenEveryScopeAndALongTicket_thenIssuedAndRecorded() {
        // 50 scopes of 64 characters: longer than V3's scope column; a 1000-character ticket
        // (encrypted here, but the audit detail must fit whatever it holds)
        Http.Res r = c.postJson("/api/v1/services/hr/tokens", Map.of("fields", Map.of("ticket_id", "T".repeat(1000))));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().path("scope").asText().length()).isGreaterThan(3000);
        assertThat(c.get("/api/v1/sessions").body()).contains(r.json().path("sid").asText());
    }

    @Test
    void whenRequestLimitTooLargeToRecord_thenRefusedBeforeTheKeyExchange() {
        Map<String, String> query = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            query.put("p" + i, "v".repeat(1000));
        }
        int offers = svc.offers.get();
        int sessions = c.get("/api/v1/sessions").json().path("sessions").size();
        Http.Res r = c.postJson("/api/v1/services/hr/tokens", Map.of("fields", Map.of("ticket_id", "x"),
                "request", Map.of("method", "GET", "path", "/x", "query", query)));
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_request");
        assertThat(r.json().path("detail").asText()).contains("request");
        assertThat(svc.offers.get()).as("no key exchange was started").isEqualTo(offers);
        assertThat(c.get("/api/v1/sessions").json().path("sessions")).hasSize(sessions);
    }
}
