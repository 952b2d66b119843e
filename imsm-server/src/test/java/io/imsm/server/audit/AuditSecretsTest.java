package io.imsm.server.audit;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.SdkService;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Secrets and confidential form fields never enter the audit log: passwords, TOTP secrets, recovery
 * codes, tokens, and a justification the service wants encrypted, through an approval and a pick-up
 * with a real key exchange. Every column of every row is searched.
 */
class AuditSecretsTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String CONFIDENTIAL = "Confidential-reason-Zq81-case-7731";

    @Test
    void whenPeopleUseSecretsAndConfidentialFields_thenNoneIsInAnyAuditRow() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2); SdkService svc = new SdkService(s, "vault")) {
            Http.Res put = s.client().putJson("/api/v1/admin/services/vault", Map.of("name", "Vault", "kx_url", svc.kxUrl(),
                    "public_jwk", svc.publicJwk(), "roles", List.of("dev"), "scopes", List.of("vault:read"),
                    "fields", List.of("justification"), "encrypted_claims", List.of("justification"),
                    "approval", Map.of("approvals", 1, "approver_roles", List.of("lead"))), "Authorization", BEARER);
            assertThat(put.status()).as(put.toString()).isEqualTo(201);
            People.Person dana = People.ready(s, "dana", List.of("dev"));
            People.Person lee = People.ready(s, "lee", List.of("lead"));
            Http d = s.client();
            Http l = s.client();
            People.login(s, d, dana);
            People.login(s, l, lee);
            Http.Res asked = d.postJson("/api/v1/services/vault/tokens", Map.of("fields", Map.of("justification", CONFIDENTIAL)));
            assertThat(asked.status()).as(asked.toString()).isEqualTo(202);
            String id = asked.json().path("request_id").asText();
            Http.Res queue = l.get("/api/v1/requests?role=approver");
            assertThat(queue.body()).doesNotContain(CONFIDENTIAL).contains("(confidential)");
            assertThat(l.postJson("/api/v1/requests/" + id + "/approve", Map.of("comment", "ok")).status()).isEqualTo(200);
            Http.Res token = d.postJson("/api/v1/requests/" + id + "/token", Map.of());
            assertThat(token.status()).as(token.toString()).isEqualTo(201);
            String jwt = token.json().path("token").asText();
            assertThat(svc.call(jwt).body()).as("the service got the confidential field").contains(CONFIDENTIAL);

            List<String> secrets = new ArrayList<>(List.of(dana.password(), lee.password(), dana.totpSecret(), lee.totpSecret(), jwt,
                    CONFIDENTIAL, TestServer.BOOTSTRAP_TOKEN));
            secrets.addAll(dana.recoveryCodes());
            var db = s.server.wiring().ctx().database();
            List<String> cells = db.read(h -> h.createQuery("SELECT * FROM audit_log").map((rs, c) -> {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    b.append(rs.getString(i)).append('|');
                }
                return b.toString();
            }).list());
            assertThat(cells).hasSizeGreaterThan(10);
            for (String secret : secrets) {
                assertThat(cells).as("no audit row holds a secret").noneMatch(row -> row.contains(secret));
            }
            // nor does the request's stored copy keep it once picked up
            String stored = db.read(h -> h.createQuery("SELECT shown || request_enc FROM access_requests").mapTo(String.class).one());
            assertThat(stored).doesNotContain(CONFIDENTIAL).doesNotContain("eyJ");
        }
    }
}
