package io.imsm.server.app;

import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.store.KeyStore;
import io.imsm.server.store.UserStore;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code imsm kek rotate}: every stored secret moves to the new key in one go; people and keys keep working. */
class KekRotateTest {
    @TempDir Path tmp;

    private static String newKey() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenKekRotatedFromEnvToNewEnvKey_thenOnlyTheNewKeyOpensTheData_andLoginsStillWork(TestDatabases.Kind kind) {
        TestServer first = TestServer.start(kind);
        People.Person p;
        String kid;
        Map<String, String> env = new HashMap<>(first.env);
        try (first) {
            p = People.ready(first, "rota", List.of());
            kid = first.client().get("/.well-known/jwks.json").json().path("keys").get(0).path("kid").asText();
            // a pending enrollment is a stored secret too
            People.createUser(first, "pending", "initial-Kq7v-pass-pending", List.of());
        }
        String next = newKey();
        env.put("IMSM_NEW_KEK", next);
        env.put("IMSM_DATABASE_URL", first.db.url());
        env.put("IMSM_DATABASE_USERNAME", first.db.username());
        env.put("IMSM_DATABASE_PASSWORD", first.db.password());
        String out = MainTestAccess.kekRotate(env, "--data", first.dataDir.toString());
        // other secrets: the recovery-code key, the identity gateway's secp256k1 key and the certificate authority's key
        assertThat(out).contains("exit=0").contains("signing keys: 2, TOTP secrets: 1, other secrets: 3");

        Map<String, String> oldEnv = new HashMap<>(first.env);
        assertThatThrownBy(() -> TestServer.start(first.db, first.dataDir, Map.of(), oldEnv).close())
                .hasMessageContaining("another key-encryption key");

        Map<String, String> newEnv = new HashMap<>(first.env);
        newEnv.put("IMSM_KEK", next);
        try (TestServer again = TestServer.start(first.db, first.dataDir, Map.of(), newEnv)) {
            again.clock.advance(java.time.Duration.ofMinutes(2));
            Http c = again.client();
            assertThat(People.login(again, c, p).status()).as("TOTP secret readable under the new key").isEqualTo(200);
            assertThat(again.client().postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                    "otp", p.recoveryCodes().get(0))).status()).as("recovery codes still match").isEqualTo(200);
            assertThat(again.client().get("/.well-known/jwks.json").json().path("keys").get(0).path("kid").asText()).isEqualTo(kid);
            var db = again.server.wiring().ctx().database();
            List<String> values = db.read(h -> h.createQuery("SELECT private_jwk_enc FROM signing_keys").mapTo(String.class).list());
            values.forEach(v -> assertThat(KeyEncryptionKey.isUnbound(v)).isFalse());
        }
    }

    @Test
    void whenBoundValueIsCopiedToAnotherRow_thenItDoesNotDecryptThere() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            People.Person victim = People.ready(s, "victim", List.of());
            People.Person attacker = People.ready(s, "attacker", List.of());
            var db = s.server.wiring().ctx().database();
            // someone with write access to the database copies the attacker's secret into the victim's row
            db.inTransaction(h -> h.createUpdate("UPDATE users SET totp_secret_enc = (SELECT totp_secret_enc FROM users WHERE id = :a) WHERE id = :v")
                    .bind("a", attacker.id()).bind("v", victim.id()).execute());
            s.clock.advance(java.time.Duration.ofMinutes(2));
            People.Person withAttackersSecret = new People.Person(victim.id(), victim.username(), victim.password(),
                    attacker.totpSecret(), victim.recoveryCodes());
            Http.Res r = People.login(s, s.client(), withAttackersSecret);
            assertThat(r.status()).as(r.toString()).isNotEqualTo(200);
            assertThat(UserStore.totpSecretContext("x")).isNotEqualTo(KeyStore.privateKeyContext("x"));
        }
    }

    @Test
    void whenKekFileRotatedWithoutNewKey_thenANewFileReplacesTheOld_andTheServerStartsOnIt() throws Exception {
        Path data = tmp.resolve("data");
        TestDatabases.Db h2 = TestDatabases.h2();
        Map<String, String> env = Map.of("IMSM_BOOTSTRAP_TOKEN", TestServer.BOOTSTRAP_TOKEN);
        People.Person p;
        try (TestServer s = TestServer.start(h2, data, Map.of(), env)) {
            p = People.ready(s, "filer", List.of());
        }
        String before = Files.readString(data.resolve("kek"));
        String out = MainTestAccess.kekRotate(Map.of("IMSM_DATABASE_URL", h2.url()), "--data", data.toString());
        assertThat(out).contains("exit=0").contains("the old key is gone");
        assertThat(Files.readString(data.resolve("kek"))).isNotEqualTo(before);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("kek")))).isEqualTo("rw-------");
        assertThat(Files.exists(data.resolve("kek.new"))).isFalse();
        try (TestServer s = TestServer.start(h2, data, Map.of(), env)) {
            s.clock.advance(java.time.Duration.ofMinutes(2));
            assertThat(People.login(s, s.client(), p).status()).isEqualTo(200);
        }
        // with the key in IMSM_KEK there is no file to replace: the new key must be given
        String refused = MainTestAccess.kekRotate(Map.of("IMSM_DATABASE_URL", h2.url(), "IMSM_KEK", newKey()), "--data", data.toString());
        assertThat(refused).contains("exit=2").contains("IMSM_NEW_KEK");
    }
}
