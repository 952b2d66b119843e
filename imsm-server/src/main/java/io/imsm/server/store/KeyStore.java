package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Signing keys: private parts only as JWE under the key-encryption key. */
public final class KeyStore {
    public record StoredKey(String kid, String alg, String privateJwkEnc, String publicJwk, String status, Instant createdAt,
                            Instant publishUntil) {
        public StoredKey(String kid, String alg, String privateJwkEnc, String publicJwk, String status, Instant createdAt) {
            this(kid, alg, privateJwkEnc, publicJwk, status, createdAt, null);
        }
    }

    public void insert(Handle h, StoredKey k) {
        h.createUpdate("INSERT INTO signing_keys (kid, alg, private_jwk_enc, public_jwk, status, created_at) "
                        + "VALUES (:kid, :alg, :priv, :pub, :status, :at)")
                .bind("kid", k.kid()).bind("alg", k.alg()).bind("priv", k.privateJwkEnc()).bind("pub", k.publicJwk())
                .bind("status", k.status()).bind("at", ts(k.createdAt())).execute();
    }

    /** Where a private key is stored, the context its ciphertext is bound to (see KeyEncryptionKey). */
    public static String privateKeyContext(String kid) {
        return "signing_keys.private_jwk_enc:" + kid;
    }

    /** Replaces a private key's ciphertext (key rotation); everything else stays. */
    public void replacePrivateEnc(Handle h, String kid, String privateJwkEnc) {
        h.createUpdate("UPDATE signing_keys SET private_jwk_enc = :priv WHERE kid = :kid").bind("priv", privateJwkEnc).bind("kid", kid).execute();
    }

    public List<StoredKey> list(Handle h) {
        return h.createQuery("SELECT kid, alg, private_jwk_enc, public_jwk, status, created_at, publish_until FROM signing_keys ORDER BY created_at, kid")
                .map((rs, ctx) -> new StoredKey(rs.getString("kid"), rs.getString("alg"), rs.getString("private_jwk_enc"),
                        rs.getString("public_jwk"), rs.getString("status"), instant(rs, "created_at"), instant(rs, "publish_until")))
                .list();
    }

    /** Moves a key to another stage of its life (next → active → retired); {@code publishUntil} for retired keys. */
    public boolean changeStatus(Handle h, String kid, String from, String to, Instant publishUntil) {
        return h.createUpdate("UPDATE signing_keys SET status = :to, publish_until = :until WHERE kid = :kid AND status = :from")
                .bind("to", to).bind("until", ts(publishUntil)).bind("kid", kid).bind("from", from)
                .execute() == 1;
    }

    /** Deletes retired keys no live token needs any more. */
    public int deleteRetiredBefore(Handle h, Instant now) {
        return h.createUpdate("DELETE FROM signing_keys WHERE status = 'retired' AND publish_until IS NOT NULL AND publish_until < :now")
                .bind("now", ts(now)).execute();
    }
}
