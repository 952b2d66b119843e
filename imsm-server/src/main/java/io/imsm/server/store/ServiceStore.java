package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.ts;

/** Rows of the service catalog; the definition itself is an opaque JSON document here. */
public final class ServiceStore {
    public record Row(String id, String spec) {}

    public Optional<String> find(Handle h, String id) {
        return h.createQuery("SELECT spec FROM services WHERE id = :id").bind("id", id).mapTo(String.class).findOne();
    }

    public List<Row> list(Handle h) {
        return h.createQuery("SELECT id, spec FROM services ORDER BY id")
                .map((rs, ctx) -> new Row(rs.getString("id"), rs.getString("spec"))).list();
    }

    public void insert(Handle h, String id, String spec, Instant at, String by) {
        ConfigVersion.bump(h);
        h.createUpdate("INSERT INTO services (id, spec, created_at, updated_at, updated_by) VALUES (:id, :spec, :at, :at, :by)")
                .bind("id", id).bind("spec", spec).bind("at", ts(at)).bind("by", by).execute();
    }

    public boolean update(Handle h, String id, String spec, Instant at, String by) {
        ConfigVersion.bump(h);
        return h.createUpdate("UPDATE services SET spec = :spec, updated_at = :at, updated_by = :by WHERE id = :id")
                .bind("id", id).bind("spec", spec).bind("at", ts(at)).bind("by", by).execute() == 1;
    }

    public boolean delete(Handle h, String id) {
        ConfigVersion.bump(h);
        return h.createUpdate("DELETE FROM services WHERE id = :id").bind("id", id).execute() == 1;
    }
}
