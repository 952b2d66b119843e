package io.imsm.server.keys;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.server.ImsmException;
import io.imsm.server.app.Wiring;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyEncryptionKeyTest {
    @TempDir Path dir;

    @Test
    void whenNoKekConfigured_thenFileIsGeneratedOwnerOnlyAndReused() throws Exception {
        KeyEncryptionKey first = KeyEncryptionKey.load(null, dir, new SecureRandom());
        Path file = dir.resolve("kek");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String sealed = first.encrypt("secret value");
        assertThat(sealed).doesNotContain("secret value").startsWith("eyJ");
        KeyEncryptionKey again = KeyEncryptionKey.load(null, dir, new SecureRandom());
        assertThat(again.decrypt(sealed)).isEqualTo("secret value");
    }

    @Test
    void whenKekFileReadableByOthers_thenRefused() throws Exception {
        KeyEncryptionKey.load(null, dir, new SecureRandom());
        Files.setPosixFilePermissions(dir.resolve("kek"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> KeyEncryptionKey.load(null, dir, new SecureRandom()))
                .isInstanceOf(ImsmException.Invalid.class).hasMessageContaining("chmod 600");
    }

    @Test
    void whenEnvKekIsBadOrDifferent_thenClearErrors() {
        assertThatThrownBy(() -> KeyEncryptionKey.load("not base64 !!", dir, new SecureRandom())).hasMessageContaining("IMSM_KEK");
        assertThatThrownBy(() -> KeyEncryptionKey.load(Base64.getEncoder().encodeToString(new byte[16]), dir, new SecureRandom()))
                .hasMessageContaining("32 bytes");
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[0] = 1;
        String sealed = KeyEncryptionKey.load(Base64.getEncoder().encodeToString(a), dir, new SecureRandom()).encrypt("x");
        KeyEncryptionKey other = KeyEncryptionKey.load(Base64.getEncoder().encodeToString(b), dir, new SecureRandom());
        assertThatThrownBy(() -> other.decrypt(sealed)).hasMessageContaining("another key-encryption key");
        assertThat(Files.exists(dir.resolve("kek"))).as("no file when IMSM_KEK is set").isFalse();
    }

    @Test
    void whenServerStarts_thenSigningKeyIsStoredEncryptedAndJwksIsPublicOnly() throws Exception {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Wiring wiring = s.server.wiring();
            var stored = wiring.ctx().database().read(wiring.keyStore()::list);
            assertThat(stored).hasSize(1);
            assertThat(stored.get(0).alg()).isEqualTo("ES256");
            assertThat(stored.get(0).privateJwkEnc()).doesNotContain("\"d\"").startsWith("eyJ");
            ECKey priv = wiring.signingKeys().activeKey();
            assertThat(priv.isPrivate()).isTrue();
            assertThat(stored.get(0).privateJwkEnc()).doesNotContain(priv.getD().toString());
            Http.Res jwks = s.client().get("/.well-known/jwks.json");
            assertThat(jwks.status()).isEqualTo(200);
            assertThat(jwks.json().path("keys")).hasSize(1);
            assertThat(jwks.json().path("keys").get(0).path("kid").asText()).isEqualTo(priv.getKeyID());
            assertThat(jwks.json().path("keys").get(0).has("d")).isFalse();
            assertThat(s.client().get("/readyz").json().path("keys").asText()).isEqualTo("loaded");
        }
    }
}
