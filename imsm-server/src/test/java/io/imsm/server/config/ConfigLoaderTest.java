package io.imsm.server.config;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir Path dir;

    private Path yaml(String text) throws IOException {
        Path f = dir.resolve("imsm.yaml");
        Files.writeString(f, text);
        return f;
    }

    private static Config load(Optional<Path> file, Map<String, String> env) {
        return ConfigLoader.load(file, env, Map.of());
    }

    @Test
    void whenNothingGiven_thenEmbeddedDefaults() {
        Config c = load(Optional.empty(), Map.of());
        assertThat(c.server().host()).isEqualTo("127.0.0.1");
        assertThat(c.server().port()).isEqualTo(8080);
        assertThat(c.jdbcUrl()).startsWith("jdbc:h2:file:").contains("imsm-data");
        assertThat(c.isPostgres()).isFalse();
        assertThat(c.secureCookies()).as("plain HTTP on loopback").isFalse();
        assertThat(c.passwords().argon2MemoryKib()).isEqualTo(19456);
        assertThat(c.mfa().requiredForAll()).isTrue();
    }

    @Test
    void whenFileEnvAndOptionsGiven_thenLaterSourcesWin() throws IOException {
        Path f = yaml("server:\n  port: 9000\n  public_url: https://ims.example\ndatabase:\n  url: jdbc:postgresql://db:5432/imsm\nmfa:\n  required_roles: [ops]\n");
        Config c = ConfigLoader.load(Optional.of(f), Map.of("IMSM_SERVER_PORT", "9100", "IMSM_DATABASE_PASSWORD", "s3cret",
                "IMSM_SESSIONS_IDLE_TIMEOUT_SECONDS", "600", "IMSM_MFA_REQUIRED_ROLES", "ops, admin", "IMSM_KEK", "ignored-here",
                "PATH", "/bin"), Map.of("server.port", "9200"));
        assertThat(c.server().port()).isEqualTo(9200);
        assertThat(c.database().password()).isEqualTo("s3cret");
        assertThat(c.database().toString()).doesNotContain("s3cret");
        assertThat(c.sessions().idleTimeoutSeconds()).isEqualTo(600);
        assertThat(c.mfa().requiredRoles()).containsExactly("ops", "admin");
        assertThat(c.isPostgres()).isTrue();
        assertThat(c.secureCookies()).isTrue();
    }

    @Test
    void whenUnknownKeyInFile_thenRefusedNamingTheKey() throws IOException {
        Path f = yaml("server:\n  prot: 9000\n");
        assertThatThrownBy(() -> load(Optional.of(f), Map.of()))
                .isInstanceOf(ImsmException.Invalid.class)
                .hasMessageContaining("unknown configuration key 'server.prot'")
                .satisfies(e -> assertThat(((ImsmException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIG));
        assertThatThrownBy(() -> load(Optional.of(yaml("colour: blue\n")), Map.of())).hasMessageContaining("'colour'");
    }

    @Test
    void whenUnknownEnvVariable_thenRefused() {
        assertThatThrownBy(() -> load(Optional.empty(), Map.of("IMSM_DATABSE_URL", "x")))
                .hasMessageContaining("IMSM_DATABSE_URL");
    }

    @Test
    void whenValueIsBad_thenRefusedNamingTheKey() throws IOException {
        assertThatThrownBy(() -> load(Optional.of(yaml("server:\n  port: lots\n")), Map.of())).hasMessageContaining("server.port");
        assertThatThrownBy(() -> load(Optional.empty(), Map.of("IMSM_SERVER_PORT", "70000")))
                .hasMessageContaining("server.port").hasMessageContaining("70000");
        assertThatThrownBy(() -> load(Optional.of(yaml("database:\n  url: mysql://x\n")), Map.of())).hasMessageContaining("database.url");
        assertThatThrownBy(() -> load(Optional.of(yaml("sessions:\n  idle_timeout_seconds: 7200\n  absolute_timeout_seconds: 3600\n")), Map.of()))
                .hasMessageContaining("sessions.absolute_timeout_seconds");
        assertThatThrownBy(() -> load(Optional.of(yaml("server: 5\n")), Map.of())).hasMessageContaining("'server' must be a mapping");
        assertThatThrownBy(() -> load(Optional.of(yaml("server: [\n")), Map.of())).hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> load(Optional.of(dir.resolve("missing.yaml")), Map.of())).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> load(Optional.of(yaml("log:\n  format: xml\n")), Map.of())).hasMessageContaining("log.format");
        for (String host : List.of("https://app.example.org", "app.example.org/x", "*.example.org", "evil.example@app", "a b")) {
            assertThatThrownBy(() -> load(Optional.empty(), Map.of("IMSM_INGRESS_REDIRECT_HOSTS", host))).as(host)
                    .hasMessageContaining("ingress.redirect_hosts");
        }
        assertThat(load(Optional.of(yaml("ingress:\n  redirect_hosts: [app.example.org, \"reports.example.org:8443\", \"[::1]:8080\"]\n")), Map.of())
                .ingress().redirectHosts()).containsExactly("app.example.org", "reports.example.org:8443", "[::1]:8080");
    }

    @Test
    void whenScopesGivenInFileOrEnvironment_thenTheWholeMappingIsTaken() throws IOException {
        assertThat(load(Optional.empty(), Map.of()).scopes()).isEmpty();
        Config fromFile = load(Optional.of(yaml("scopes:\n  \"read:transactions\": [analyst, auditor]\n  \"admin:users\": [admin]\n")), Map.of());
        assertThat(fromFile.scopes()).containsOnlyKeys("read:transactions", "admin:users");
        assertThat(fromFile.scopes().get("read:transactions")).containsExactly("analyst", "auditor");
        Config fromEnv = load(Optional.empty(), Map.of("IMSM_SCOPES", "{\"exec:notebook\": [\"analyst\"]}"));
        assertThat(fromEnv.scopes()).containsOnlyKeys("exec:notebook");
        assertThatThrownBy(() -> load(Optional.empty(), Map.of("IMSM_SCOPES", "[analyst]"))).hasMessageContaining("'scopes'");
        assertThatThrownBy(() -> load(Optional.of(yaml("scopes: analyst\n")), Map.of())).hasMessageContaining("'scopes'");
    }
}
