package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Registered OAuth clients: the registration as a JSON document, secrets as SHA-256 hex only. */
public final class OAuthClientStore {
    public record Row(String clientId, String document, String secretHash, String previousSecretHash, Instant previousSecretUntil,
                      Instant createdAt, Instant updatedAt) {}

    private static final String COLUMNS = "client_id, document, secret_hash, previous_secret_hash, previous_secret_until, created_at, updated_at";

    public void insert(Handle h, Row r) {
        h.createUpdate("INSERT INTO oauth_clients (" + COLUMNS + ") VALUES (:id, :doc, :hash, NULL, NULL, :at, :at)")
                .bind("id", r.clientId()).bind("doc", r.document()).bind("hash", r.secretHash()).bind("at", ts(r.createdAt())).execute();
    }

    public Optional<Row> find(Handle h, String clientId) {
        return h.createQuery("SELECT " + COLUMNS + " FROM oauth_clients WHERE client_id = :id").bind("id", clientId)
                .map((rs, ctx) -> new Row(rs.getString("client_id"), rs.getString("document"), rs.getString("secret_hash"),
                        rs.getString("previous_secret_hash"), instant(rs, "previous_secret_until"), instant(rs, "created_at"),
                        instant(rs, "updated_at")))
                .findOne();
    }

    public List<Row> list(Handle h, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM oauth_clients ORDER BY client_id LIMIT :n").bind("n", limit)
                .map((rs, ctx) -> new Row(rs.getString("client_id"), rs.getString("document"), rs.getString("secret_hash"),
                        rs.getString("previous_secret_hash"), instant(rs, "previous_secret_until"), instant(rs, "created_at"),
                        instant(rs, "updated_at")))
                .list();
    }

    public boolean updateDocument(Handle h, String clientId, String document, Instant at) {
        return h.createUpdate("UPDATE oauth_clients SET document = :doc, updated_at = :at WHERE client_id = :id")
                .bind("doc", document).bind("at", ts(at)).bind("id", clientId).execute() == 1;
    }

    /** A new secret; the old one keeps working until {@code previousUntil} (overlap). */
    public boolean rotateSecret(Handle h, String clientId, String newHash, Instant previousUntil, Instant at) {
        return h.createUpdate("UPDATE oauth_clients SET previous_secret_hash = secret_hash, previous_secret_until = :until, "
                        + "secret_hash = :hash, updated_at = :at WHERE client_id = :id")
                .bind("until", ts(previousUntil)).bind("hash", newHash).bind("at", ts(at)).bind("id", clientId).execute() == 1;
    }

    public boolean delete(Handle h, String clientId) {
        return h.createUpdate("DELETE FROM oauth_clients WHERE client_id = :id").bind("id", clientId).execute() == 1;
    }
}
