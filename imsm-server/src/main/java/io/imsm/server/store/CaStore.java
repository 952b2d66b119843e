package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** The certificate authority's key and certificate: the private key only as JWE under the key-encryption key. */
public final class CaStore {
    public record StoredCa(String id, String certificatePem, String chainPem, String privateKeyEnc, String status, Instant createdAt) {}

    /** Where the CA's private key is stored, the context its ciphertext is bound to (see KeyEncryptionKey). */
    public static String privateKeyContext(String id) {
        return "ca_keys.private_key_enc:" + id;
    }

    public void insert(Handle h, StoredCa ca) {
        h.createUpdate("INSERT INTO ca_keys (id, certificate_pem, chain_pem, private_key_enc, status, created_at) "
                        + "VALUES (:id, :cert, :chain, :priv, :status, :at)")
                .bind("id", ca.id()).bind("cert", ca.certificatePem()).bind("chain", ca.chainPem())
                .bind("priv", ca.privateKeyEnc()).bind("status", ca.status()).bind("at", ts(ca.createdAt())).execute();
    }

    public Optional<StoredCa> active(Handle h) {
        return h.createQuery("SELECT id, certificate_pem, chain_pem, private_key_enc, status, created_at FROM ca_keys "
                        + "WHERE status = 'active' ORDER BY created_at DESC")
                .map((rs, ctx) -> new StoredCa(rs.getString("id"), rs.getString("certificate_pem"), rs.getString("chain_pem"),
                        rs.getString("private_key_enc"), rs.getString("status"), instant(rs, "created_at")))
                .findFirst();
    }

    public java.util.List<StoredCa> list(Handle h) {
        return h.createQuery("SELECT id, certificate_pem, chain_pem, private_key_enc, status, created_at FROM ca_keys ORDER BY created_at")
                .map((rs, ctx) -> new StoredCa(rs.getString("id"), rs.getString("certificate_pem"), rs.getString("chain_pem"),
                        rs.getString("private_key_enc"), rs.getString("status"), instant(rs, "created_at")))
                .list();
    }

    /** Replaces the private key's ciphertext (key-encryption key rotation); everything else stays. */
    public void replacePrivateEnc(Handle h, String id, String privateKeyEnc) {
        h.createUpdate("UPDATE ca_keys SET private_key_enc = :priv WHERE id = :id").bind("priv", privateKeyEnc).bind("id", id).execute();
    }
}
