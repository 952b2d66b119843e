package io.imsm.server.access;

import io.imsm.server.app.MainTestAccess;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The scope mapping: the configuration seeds it once; `imsm apply` replaces it, and the change survives a restart. */
class ScopeMappingStoredTest {
    static final String BOOT = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenMappingIsAppliedAndServerRestarts_thenTheAppliedMappingStays() throws Exception {
        Map<String, String> config = Map.of("scopes", TestScopes.MAPPING);
        TestServer first = TestServer.start(TestDatabases.Kind.H2, config);
        Path file = Files.createTempFile("scopes", ".yaml");
        try {
            assertThat(first.client().get("/api/v1/admin/scope-mapping", "Authorization", BOOT).json().path("scopes").has("write:data")).isTrue();
            Files.writeString(file, "scopes:\n  \"exec:notebook\": [analyst]\n  \"read:data\": [analyst, auditor]\n");
            String out = MainTestAccess.apply(file, first.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
            assertThat(out).contains("scope mapping: 2 scopes").endsWith("exit=0");
            Files.writeString(file, "scopes:\n  \"bad scope\": [analyst]\n");
            assertThat(MainTestAccess.apply(file, first.baseUrl(), TestServer.BOOTSTRAP_TOKEN)).contains("refused the scope mapping").endsWith("exit=2");
            Files.writeString(file, "roles: [x]\n");
            assertThat(MainTestAccess.apply(file, first.baseUrl(), TestServer.BOOTSTRAP_TOKEN)).contains("'scopes'").endsWith("exit=2");
        } finally {
            first.close();
        }
        try (TestServer again = TestServer.start(first.db, first.dataDir, config, first.env)) {
            Http.Res r = again.client().get("/api/v1/admin/scope-mapping", "Authorization", BOOT);
            assertThat(r.json().path("scopes").toString()).isEqualTo("{\"exec:notebook\":[\"analyst\"],\"read:data\":[\"analyst\",\"auditor\"]}");
        }
    }
}
