package io.imsm.server.access;

import io.imsm.server.ImsmException;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScopeMappingTest {
    private static final String MAPPING = "{\"read:transactions\": [\"analyst\", \"auditor\"], \"admin:users\": [\"admin\"], \"exec:notebook\": [\"analyst\"]}";

    @Test
    void whenRolesGiven_thenScopesOfAnyMatchingRole() {
        ScopeMapping m = new ScopeMapping(Map.of("read:transactions", List.of("analyst", "auditor"), "admin:users", List.of("admin")));
        assertThat(m.scopesFor(List.of("auditor"))).containsExactly("read:transactions");
        assertThat(m.scopesFor(List.of("auditor", "admin"))).containsExactly("admin:users", "read:transactions");
        assertThat(m.scopesFor(List.of("guest"))).isEmpty();
        assertThat(ScopeMapping.empty().scopesFor(List.of("admin"))).isEmpty();
    }

    @Test
    void whenScopeOrRoleNameIsBad_thenRefused() {
        assertThatThrownBy(() -> new ScopeMapping(Map.of("read transactions", List.of("analyst"))))
                .isInstanceOf(ImsmException.Invalid.class).hasMessageContaining("read transactions");
        assertThatThrownBy(() -> new ScopeMapping(Map.of("read", List.of("Analyst\n"))))
                .isInstanceOf(ImsmException.Invalid.class);
    }

    @Test
    void whenPersonAsksForMe_thenScopesOfTheirRolesAreListed() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("scopes", MAPPING))) {
            People.Person ana = People.ready(s, "ana", List.of("analyst"));
            Http c = s.client();
            assertThat(People.login(s, c, ana).status()).isEqualTo(200);
            List<String> scopes = new ArrayList<>();
            c.get("/api/v1/me").json().path("scopes").forEach(n -> scopes.add(n.asText()));
            assertThat(scopes).containsExactly("exec:notebook", "read:transactions");
        }
    }

    @Test
    void whenConfiguredMappingIsBad_thenStartIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> TestServer.start(TestDatabases.Kind.H2, Map.of("scopes", "{\"bad scope\": [\"analyst\"]}")))
                .hasMessageContaining("'scopes'");
    }
}
