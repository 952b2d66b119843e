package io.imsm.server.access;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Embedded CEL rules per service: checked when the catalog is applied, enforced on every token request. */
class PolicyRulesTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String OFFICE_HOURS = "time.getHours('Europe/Zurich') < 8 || time.getHours('Europe/Zurich') >= 18"
            + " || time.getDayOfWeek('Europe/Zurich') in [0, 6]";

    private static Http.Res put(TestServer s, String id, List<Map<String, String>> rules) {
        return s.client().putJson("/api/v1/admin/services/" + id, Map.of("name", id, "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("read"), "fields", List.of("justification"), "rules", rules), "Authorization", BEARER);
    }

    private static Http.Res ask(Http c, String id) {
        return c.postJson("/api/v1/services/" + id + "/tokens", Map.of("fields", Map.of("justification", "incident 7")));
    }

    @Test
    void whenRuleHolds_thenTokenRefusedWithItsReason_officeHoursAddressesAndAttributes() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            // a Wednesday, 10:00 in Zurich
            s.clock.set(Instant.parse("2026-12-02T09:00:00Z"));
            assertThat(put(s, "office", List.of(Map.of("deny_if", OFFICE_HOURS, "reason", "Only during office hours (08-18 Zurich time, Mon-Fri)")))
                    .status()).isEqualTo(201);
            assertThat(put(s, "internal", List.of(Map.of("deny_if", "!ip_in_range(client_ip, '10.0.0.0/8')", "reason", "Only from the office network")))
                    .status()).isEqualTo(201);
            assertThat(put(s, "loopback", List.of(Map.of("deny_if", "!ip_in_range(client_ip, '127.0.0.0/8') && !ip_in_range(client_ip, '::1/128')",
                    "reason", "Only from this machine"))).status()).isEqualTo(201);
            assertThat(put(s, "seniors", List.of(
                    Map.of("deny_if", "!('senior' in user.roles)", "reason", "Seniors only"),
                    Map.of("deny_if", "!user.email.endsWith('@example.org')", "reason", "Company accounts only"),
                    Map.of("deny_if", "fields.justification.size() < 5", "reason", "Say why"))).status()).isEqualTo(201);
            People.Person olga = People.ready(s, "olga", List.of("ops"), Map.of("email", "olga@example.org"));
            People.Person sam = People.ready(s, "sam", List.of("ops", "senior"), Map.of("email", "sam@example.org"));
            Http o = s.client();
            People.login(s, o, olga);
            Http sm = s.client();
            People.login(s, sm, sam);

            assertThat(ask(o, "office").status()).as("Wednesday 10:00 in Zurich").isEqualTo(201);
            Http.Res loopback = ask(o, "loopback");
            assertThat(loopback.status()).as(loopback.toString()).isEqualTo(201);
            Http.Res outside = ask(o, "internal");
            assertThat(outside.status()).isEqualTo(403);
            assertThat(outside.code()).isEqualTo("denied_by_policy");
            assertThat(outside.json().path("detail").asText()).isEqualTo("Only from the office network");
            Http.Res junior = ask(o, "seniors");
            assertThat(junior.status()).isEqualTo(403);
            assertThat(junior.json().path("detail").asText()).isEqualTo("Seniors only");
            assertThat(ask(sm, "seniors").status()).isEqualTo(201);

            // 19:30 in Zurich: the same request is refused
            s.clock.advance(Duration.ofHours(9).plusMinutes(30));
            Http later = s.client();
            People.login(s, later, olga);
            Http.Res evening = ask(later, "office");
            assertThat(evening.status()).isEqualTo(403);
            assertThat(evening.code()).isEqualTo("denied_by_policy");
            assertThat(evening.json().path("detail").asText()).startsWith("Only during office hours");
        }
    }

    @Test
    void whenRuleDoesNotCompileOrIsNotBoolean_thenApplyRefusesItWithItsPosition_andNothingChanges() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Http.Res syntax = put(s, "bad", List.of(Map.of("deny_if", "user.roles.exists(r, r == 'x'", "reason", "x")));
            assertThat(syntax.status()).isEqualTo(400);
            assertThat(syntax.json().path("detail").asText()).contains("rules[0].deny_if does not compile at line 1, column");
            Http.Res type = put(s, "bad", List.of(Map.of("deny_if", "true", "reason", "ok"), Map.of("deny_if", "client_ip + 1", "reason", "x")));
            assertThat(type.status()).isEqualTo(400);
            assertThat(type.json().path("detail").asText()).contains("rules[1].deny_if does not compile at line 1, column");
            Http.Res unknown = put(s, "bad", List.of(Map.of("deny_if", "nobody == 'x'", "reason", "x")));
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.json().path("detail").asText()).contains("undeclared reference");
            Http.Res noReason = put(s, "bad", List.of(Map.of("deny_if", "false", "reason", "")));
            assertThat(noReason.status()).isEqualTo(400);
            assertThat(s.client().get("/api/v1/admin/services/bad", "Authorization", BEARER).status()).isEqualTo(404);
        }
    }

    @Test
    void whenAddressIsNotALiteralOrOutOfRange_thenIpInRangeIsFalse() {
        assertThat(PolicyRules.ipInRange("10.1.2.3", "10.0.0.0/8")).isTrue();
        assertThat(PolicyRules.ipInRange("11.1.2.3", "10.0.0.0/8")).isFalse();
        assertThat(PolicyRules.ipInRange("2001:db8::1", "2001:db8::/32")).isTrue();
        assertThat(PolicyRules.ipInRange("2001:db9::1", "2001:db8::/32")).isFalse();
        assertThat(PolicyRules.ipInRange("example.org", "0.0.0.0/0")).isFalse();
        assertThat(PolicyRules.ipInRange("10.1.2.3", "10.0.0.0/33")).isFalse();
        assertThat(PolicyRules.ipInRange("10.1.2.3", "::/0")).isFalse();
    }
}
