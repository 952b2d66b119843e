package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.ts;

/** Rows of the hook registry; the definition is an opaque JSON document here, the secret a JWE. */
public final class HookStore {
    public record Row(String id, String kind, String spec, String secretEnc) {
        @Override public String toString() { return "HookStore.Row[id=" + id + ", kind=" + kind + "]"; }
    }

    public Optional<Row> find(Handle h, String id) {
        return h.createQuery("SELECT id, kind, spec, secret_enc FROM hooks WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> row(rs)).findOne();
    }

    public List<Row> list(Handle h) {
        return h.createQuery("SELECT id, kind, spec, secret_enc FROM hooks ORDER BY id").map((rs, ctx) -> row(rs)).list();
    }

    public List<Row> ofKind(Handle h, String kind) {
        return h.createQuery("SELECT id, kind, spec, secret_enc FROM hooks WHERE kind = :kind ORDER BY id").bind("kind", kind)
                .map((rs, ctx) -> row(rs)).list();
    }

    public List<Row> notOfKind(Handle h, String kind) {
        return h.createQuery("SELECT id, kind, spec, secret_enc FROM hooks WHERE kind <> :kind ORDER BY id").bind("kind", kind)
                .map((rs, ctx) -> row(rs)).list();
    }

    public void insert(Handle h, Row r, Instant at, String by) {
        ConfigVersion.bump(h);
        h.createUpdate("INSERT INTO hooks (id, kind, spec, secret_enc, created_at, updated_at, updated_by) "
                        + "VALUES (:id, :kind, :spec, :secret, :at, :at, :by)")
                .bind("id", r.id()).bind("kind", r.kind()).bind("spec", r.spec()).bind("secret", r.secretEnc())
                .bind("at", ts(at)).bind("by", by).execute();
    }

    public boolean update(Handle h, Row r, Instant at, String by) {
        ConfigVersion.bump(h);
        return h.createUpdate("UPDATE hooks SET kind = :kind, spec = :spec, secret_enc = :secret, updated_at = :at, updated_by = :by "
                        + "WHERE id = :id")
                .bind("id", r.id()).bind("kind", r.kind()).bind("spec", r.spec()).bind("secret", r.secretEnc())
                .bind("at", ts(at)).bind("by", by).execute() == 1;
    }

    public boolean delete(Handle h, String id) {
        ConfigVersion.bump(h);
        return h.createUpdate("DELETE FROM hooks WHERE id = :id").bind("id", id).execute() == 1;
    }

    /** Where a hook's secret is bound when encrypted under the key-encryption key. */
    public static String secretContext(String id) {
        return "hooks.secret_enc:" + id;
    }

    public void replaceSecretEnc(Handle h, String id, String secretEnc) {
        ConfigVersion.bump(h);
        h.createUpdate("UPDATE hooks SET secret_enc = :s WHERE id = :id").bind("s", secretEnc).bind("id", id).execute();
    }

    private static Row row(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Row(rs.getString("id"), rs.getString("kind"), rs.getString("spec"), rs.getString("secret_enc"));
    }
}
