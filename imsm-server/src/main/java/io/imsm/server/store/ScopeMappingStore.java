package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.imsm.server.store.UserStore.ts;

/** SQL for the stored scope mapping (scope → roles). */
public final class ScopeMappingStore {
    public Map<String, List<String>> load(Handle h) {
        Map<String, List<String>> out = new TreeMap<>();
        h.createQuery("SELECT scope, role FROM scope_mapping ORDER BY scope, role")
                .map((rs, ctx) -> Map.entry(rs.getString("scope"), rs.getString("role")))
                .forEach(e -> out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        return out;
    }

    public void replace(Handle h, Map<String, ? extends Iterable<String>> mapping) {
        h.createUpdate("DELETE FROM scope_mapping").execute();
        mapping.forEach((scope, roles) -> roles.forEach(role -> h.createUpdate("INSERT INTO scope_mapping (scope, role) VALUES (:s, :r)")
                .bind("s", scope).bind("r", role).execute()));
    }

    /** True the first time only: whether the configuration's mapping should be copied now. */
    public boolean markSeeded(Handle h, Instant at) {
        if (h.createQuery("SELECT COUNT(*) FROM scope_mapping_state WHERE name = 'seeded'").mapTo(Integer.class).one() > 0) {
            return false;
        }
        h.createUpdate("INSERT INTO scope_mapping_state (name, at) VALUES ('seeded', :at)").bind("at", ts(at)).execute();
        return true;
    }
}
