package io.imsm.server.access;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The catalog over HTTP on H2 and PostgreSQL: admin CRUD, apply, validation, and the role-filtered menu. */
class CatalogApiTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    static Map<String, Object> service(String id, List<String> roles) throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        Map<String, Object> m = new HashMap<>();
        m.put("id", id);
        m.put("name", "Transaction search");
        m.put("description", "Search card transactions");
        m.put("kx_url", "http://127.0.0.1:9999/imsm/kx");
        m.put("public_jwk", key.toPublicJWK().toJSONObject());
        m.put("roles", roles);
        m.put("scopes", List.of("search:read"));
        m.put("default_ttl_seconds", 300);
        m.put("max_ttl_seconds", 32400);
        m.put("fields", List.of("justification", "ticket_id"));
        m.put("encrypted_claims", List.of("justification"));
        return m;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenServicesRegistered_thenMenuShowsOnlyWhatRolesAllow(TestDatabases.Kind kind) throws Exception {
        s = TestServer.start(kind);
        Http admin = s.client();
        Http.Res created = admin.postJson("/api/v1/admin/services", service("transaction-search", List.of("analyst")), "Authorization", BEARER);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("binding").asText()).isEqualTo("kx");
        assertThat(created.json().path("allow_request_limit").asBoolean()).isTrue();
        assertThat(admin.postJson("/api/v1/admin/services", service("transaction-search", List.of("analyst")), "Authorization", BEARER)
                .status()).isEqualTo(409);
        Map<String, Object> jwks = new HashMap<>(Map.of("id", "reports", "name", "Reports", "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("reports:read")));
        assertThat(admin.putJson("/api/v1/admin/services/reports", jwks, "Authorization", BEARER).status()).isEqualTo(201);
        assertThat(admin.putJson("/api/v1/admin/services/reports", jwks, "Authorization", BEARER).status()).isEqualTo(200);
        assertThat(admin.get("/api/v1/admin/services", "Authorization", BEARER).json().path("services")).hasSize(2);

        People.Person analyst = People.ready(s, "ana", List.of("analyst"));
        Http c = s.client();
        People.login(s, c, analyst);
        Http.Res menu = c.get("/api/v1/services");
        assertThat(menu.json().path("services")).hasSize(1);
        assertThat(menu.json().path("services").get(0).path("id").asText()).isEqualTo("transaction-search");
        assertThat(menu.body()).doesNotContain("kx_url").doesNotContain("public_jwk");
        Http.Res home = c.get("/");
        assertThat(home.body()).contains("data-service=\"transaction-search\"").doesNotContain("data-service=\"reports\"");

        assertThat(admin.delete("/api/v1/admin/services/transaction-search", "Authorization", BEARER).status()).isEqualTo(204);
        assertThat(c.get("/api/v1/services").json().path("services")).isEmpty();
        assertThat(admin.delete("/api/v1/admin/services/transaction-search", "Authorization", BEARER).status()).isEqualTo(404);
        assertThat(c.postJson("/api/v1/admin/services", jwks).status()).as("not an admin").isEqualTo(403);
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "H2")
    void whenDefinitionIsBad_thenClearErrorNamingTheField(TestDatabases.Kind kind) throws Exception {
        s = TestServer.start(kind);
        Http admin = s.client();
        Map<String, String> cases = new HashMap<>();
        cases.put("id", "Bad_ID");
        cases.put("kx_url", "http://example.org/kx");
        cases.put("max_ttl_seconds", "99999");
        cases.put("default_ttl_seconds", "30");
        cases.put("roles", "[]");
        cases.put("scopes", "[\"Bad Scope\"]");
        cases.put("fields", "[\"favourite_colour\"]");
        cases.put("binding", "\"carrier-pigeon\"");
        for (var e : cases.entrySet()) {
            Map<String, Object> m = service("svc", List.of("analyst"));
            Object v = e.getValue().startsWith("[") || e.getValue().startsWith("\"") ? Http.JSON.readValue(e.getValue(), Object.class)
                    : e.getValue().matches("\\d+") ? Integer.parseInt(e.getValue()) : e.getValue();
            m.put(e.getKey(), v);
            Http.Res r = admin.postJson("/api/v1/admin/services", m, "Authorization", BEARER);
            assertThat(r.status()).as(e.getKey() + " -> " + r).isEqualTo(400);
            assertThat(r.json().path("detail").asText()).as(e.getKey()).contains(e.getKey().equals("id") ? "id" : e.getKey());
        }
        Map<String, Object> priv = service("svc", List.of("analyst"));
        priv.put("public_jwk", new ECKeyGenerator(Curve.P_256).generate().toJSONObject());
        assertThat(admin.postJson("/api/v1/admin/services", priv, "Authorization", BEARER).json().path("detail").asText())
                .contains("private key");
        assertThat(admin.get("/api/v1/admin/services", "Authorization", BEARER).json().path("services")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "H2")
    void whenServiceUrlPointsWhereImsmMustNotCall_thenRefusedWith400(TestDatabases.Kind kind) throws Exception {
        s = TestServer.start(kind);
        Http admin = s.client();
        Map<String, String> kxUrls = new java.util.LinkedHashMap<>();
        kxUrls.put("http://127.attacker.example/kx", "plain http");
        kxUrls.put("http://127.0.0.1.nip.io/kx", "plain http");
        kxUrls.put("http://127.1/kx", "http(s) URL");
        kxUrls.put("http://0x7f000001/kx", "dotted-quad");
        kxUrls.put("http://10.0.0.5/kx", "plain http");
        kxUrls.put("http://127.0.0.1:99999/kx", "port");
        kxUrls.put("http://127.0.0.1:0/kx", "port");
        kxUrls.put("https://169.254.169.254/latest/meta-data", "link-local");
        kxUrls.put("https://169.254.10.1/kx", "link-local");
        kxUrls.put("https://[fe80::1]/kx", "link-local");
        kxUrls.put("https://[::ffff:169.254.169.254]/kx", "link-local");
        kxUrls.put("https://[fd00:ec2::254]/kx", "metadata");
        kxUrls.put("https://metadata.google.internal/computeMetadata/v1", "metadata");
        kxUrls.put("https://0.0.0.0/kx", "not an address");
        kxUrls.put("https://svc.example/kx?x=1", "query");
        kxUrls.put("https://svc.example/k'x", "quotes");
        kxUrls.put("ftp://svc.example/kx", "http(s)");
        for (var e : kxUrls.entrySet()) {
            Map<String, Object> m = service("svc", List.of("analyst"));
            m.put("kx_url", e.getKey());
            Http.Res r = admin.postJson("/api/v1/admin/services", m, "Authorization", BEARER);
            assertThat(r.status()).as(e.getKey() + " -> " + r).isEqualTo(400);
            assertThat(r.json().path("detail").asText()).as(e.getKey()).contains("kx_url").contains(e.getValue());
        }
        for (String base : List.of("https://svc.example/a'$(touch x)'", "https://svc.example/a b", "javascript:alert(1)",
                "https://svc.example:70000/", "http://127.attacker.example/")) {
            Map<String, Object> m = service("svc", List.of("analyst"));
            m.put("base_url", base);
            Http.Res r = admin.postJson("/api/v1/admin/services", m, "Authorization", BEARER);
            assertThat(r.status()).as(base + " -> " + r).isEqualTo(400);
            assertThat(r.json().path("detail").asText()).as(base).contains("base_url");
        }
        assertThat(admin.get("/api/v1/admin/services", "Authorization", BEARER).json().path("services")).isEmpty();
        for (String ok : List.of("http://127.0.0.1:8081/kx", "http://localhost:8081/kx", "http://[::1]:8081/kx", "https://svc.example/kx")) {
            Map<String, Object> m = service("svc", List.of("analyst"));
            m.put("kx_url", ok);
            m.put("base_url", "https://svc.example/app");
            Http.Res r = admin.putJson("/api/v1/admin/services/svc", m, "Authorization", BEARER);
            assertThat(r.status()).as(ok + " -> " + r).isIn(200, 201);
            assertThat(r.json().path("kx_url").asText()).isEqualTo(ok);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "H2")
    void whenLinkLocalAllowedByConfig_thenMetadataAddressAccepted(TestDatabases.Kind kind) throws Exception {
        s = TestServer.start(kind, Map.of("services.allow_link_local", "true"));
        Map<String, Object> m = service("svc", List.of("analyst"));
        m.put("kx_url", "https://169.254.169.254/kx");
        Http.Res r = s.client().postJson("/api/v1/admin/services", m, "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        m.put("kx_url", "http://169.254.169.254/kx");
        assertThat(s.client().putJson("/api/v1/admin/services/svc", m, "Authorization", BEARER).status())
                .as("plain http stays loopback-only").isEqualTo(400);
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "POSTGRES")
    void whenCatalogFileAppliedTwiceByCli_thenSecondRunChangesNothing(TestDatabases.Kind kind) throws Exception {
        s = TestServer.start(kind);
        String jwk = new ECKeyGenerator(Curve.P_256).keyID("ts").generate().toPublicJWK().toJSONString();
        java.nio.file.Path file = java.nio.file.Files.createTempFile("services", ".yaml");
        java.nio.file.Files.writeString(file, """
                services:
                  - id: transaction-search
                    name: Transaction search
                    kx_url: http://127.0.0.1:9999/kx
                    public_jwk: %s
                    roles: [analyst]
                    scopes: [search:read]
                  - id: reports
                    name: Reports
                    binding: jwks
                    roles: [ops]
                    scopes: [reports:read]
                """.formatted(jwk));
        assertThat(runApply(file)).contains("transaction-search: created", "reports: created");
        assertThat(runApply(file)).contains("transaction-search: unchanged", "reports: unchanged");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace("name: Reports", "name: Monthly reports"));
        assertThat(runApply(file)).contains("transaction-search: unchanged", "reports: updated");
        java.nio.file.Files.writeString(file, "services:\n  - id: broken\n    name: x\n    roles: []\n    scopes: [a]\n    binding: jwks\n");
        assertThat(runApply(file)).contains("services[0]").contains("roles");
        assertThat(s.client().get("/api/v1/admin/services", "Authorization", BEARER).json().path("services")).hasSize(2);
    }

    private String runApply(java.nio.file.Path file) throws Exception {
        return io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
    }
}
