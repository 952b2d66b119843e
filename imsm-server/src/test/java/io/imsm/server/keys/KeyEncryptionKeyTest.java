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
        String sealed = first.encrypt("secret value", "t.c:1");
        assertThat(sealed).doesNotContain("secret value").startsWith("eyJ");
        KeyEncryptionKey again = KeyEncryptionKey.load(null, dir, new SecureRandom());
        assertThat(again.decrypt(sealed, "t.c:1")).isEqualTo("secret value");
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
        String sealed = KeyEncryptionKey.load(Base64.getEncoder().encodeToString(a), dir, new SecureRandom()).encrypt("x", "t.c:1");
        KeyEncryptionKey other = KeyEncryptionKey.load(Base64.getEncoder().encodeToString(b), dir, new SecureRandom());
        assertThatThrownBy(() -> other.decrypt(sealed, "t.c:1")).hasMessageContaining("another key-encryption key");
        assertThat(Files.exists(dir.resolve("kek"))).as("no file when IMSM_KEK is set").isFalse();
    }

    @Test
    void whenValueIsReadAtAnotherRowOrColumn_thenRefused_butUnboundOldValuesStillRead() throws Exception {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        KeyEncryptionKey kek = KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(raw), "IMSM_KEK");
        String alice = kek.encrypt("JBSWY3DPEHPK3PXP", "users.totp_secret_enc:alice");
        assertThat(kek.decrypt(alice, "users.totp_secret_enc:alice")).isEqualTo("JBSWY3DPEHPK3PXP");
        assertThat(KeyEncryptionKey.isUnbound(alice)).isFalse();
        assertThatThrownBy(() -> kek.decrypt(alice, "users.totp_secret_enc:mallory")).hasMessageContaining("copied");
        assertThatThrownBy(() -> kek.decrypt(alice, "signing_keys.private_jwk_enc:alice")).hasMessageContaining("copied");
        // the context sits in the authenticated header: rewriting it breaks the GCM tag
        String[] parts = alice.split("\\.");
        String forgedHeader = com.nimbusds.jose.util.Base64URL.encode(new String(
                Base64.getUrlDecoder().decode(parts[0]), java.nio.charset.StandardCharsets.UTF_8).replace("alice", "malor")).toString();
        String forged = forgedHeader + alice.substring(parts[0].length());
        assertThatThrownBy(() -> kek.decrypt(forged, "users.totp_secret_enc:malor")).hasMessageContaining("cannot be decrypted");
        // a value written before binding (no context in its header) is still read, and is known to need re-encryption
        com.nimbusds.jose.JWEObject old = new com.nimbusds.jose.JWEObject(new com.nimbusds.jose.JWEHeader.Builder(
                com.nimbusds.jose.JWEAlgorithm.DIR, com.nimbusds.jose.EncryptionMethod.A256GCM).keyID(kek.kid()).build(),
                new com.nimbusds.jose.Payload("legacy"));
        old.encrypt(new com.nimbusds.jose.crypto.DirectEncrypter(raw));
        assertThat(kek.decrypt(old.serialize(), "users.totp_secret_enc:anyone")).isEqualTo("legacy");
        assertThat(KeyEncryptionKey.isUnbound(old.serialize())).isTrue();
    }

    @Test
    void whenSigningKeyWasStoredUnbound_thenNextStartBindsItToItsRow() throws Exception {
        TestServer first = TestServer.start(TestDatabases.Kind.H2);
        String kid;
        try (first) {
            var db = first.server.wiring().ctx().database();
            kid = first.server.wiring().signingKeys().activeKey().getKeyID();
            // rewrite the stored key the way versions before row binding stored it
            byte[] raw = Base64.getDecoder().decode(first.env.get("IMSM_KEK"));
            com.nimbusds.jose.JWEObject old = new com.nimbusds.jose.JWEObject(new com.nimbusds.jose.JWEHeader.Builder(
                    com.nimbusds.jose.JWEAlgorithm.DIR, com.nimbusds.jose.EncryptionMethod.A256GCM).keyID(first.server.wiring().ctx().kek().kid()).build(),
                    new com.nimbusds.jose.Payload(first.server.wiring().signingKeys().activeKey().toJSONString()));
            old.encrypt(new com.nimbusds.jose.crypto.DirectEncrypter(raw));
            db.inTransaction(h -> h.createUpdate("UPDATE signing_keys SET private_jwk_enc = :v").bind("v", old.serialize()).execute());
        }
        try (TestServer again = TestServer.start(first.db, first.dataDir, java.util.Map.of(), first.env)) {
            var stored = again.server.wiring().ctx().database().read(again.server.wiring().keyStore()::list);
            assertThat(KeyEncryptionKey.isUnbound(stored.get(0).privateJwkEnc())).isFalse();
            assertThat(again.server.wiring().signingKeys().activeKey().getKeyID()).isEqualTo(kid);
        }
    }

    @Test
    void whenServerStarts_thenSigningKeyIsStoredEncryptedAndJwksIsPublicOnly() throws Exception {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Wiring wiring = s.server.wiring();
            var stored = wiring.ctx().database().read(wiring.keyStore()::list);
            // the active key and its successor, published before it signs
            assertThat(stored).extracting(k -> k.status()).containsExactlyInAnyOrder("active", "next");
            ECKey priv = wiring.signingKeys().activeKey();
            assertThat(priv.isPrivate()).isTrue();
            for (var k : stored) {
                assertThat(k.alg()).isEqualTo("ES256");
                assertThat(k.privateJwkEnc()).doesNotContain("\"d\"").startsWith("eyJ").doesNotContain(priv.getD().toString());
            }
            Http.Res jwks = s.client().get("/.well-known/jwks.json");
            assertThat(jwks.status()).isEqualTo(200);
            assertThat(jwks.json().path("keys")).hasSize(2);
            assertThat(jwks.body()).contains(priv.getKeyID()).doesNotContain("\"d\"");
            assertThat(s.client().get("/readyz").json().path("keys").asText()).isEqualTo("loaded");
        }
    }
}
