package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** What a service's own tokens carry (roles, audiences, extra claims as JSON text) and how long they live. */
public final class ServiceIdentityStore {
    public record StoredIdentity(String serviceId, String rolesJson, String audiencesJson, String claimsJson, int tokenTtlSeconds,
                                 Instant updatedAt, String updatedBy) {}

    public Optional<StoredIdentity> find(Handle h, String serviceId) {
        return h.createQuery("SELECT service_id, roles, audiences, claims, token_ttl_seconds, updated_at, updated_by "
                        + "FROM service_identities WHERE service_id = :s").bind("s", serviceId)
                .map((rs, ctx) -> new StoredIdentity(rs.getString("service_id"), rs.getString("roles"), rs.getString("audiences"),
                        rs.getString("claims"), rs.getInt("token_ttl_seconds"), instant(rs, "updated_at"), rs.getString("updated_by")))
                .findOne();
    }

    public void upsert(Handle h, StoredIdentity i) {
        int n = h.createUpdate("UPDATE service_identities SET roles = :r, audiences = :a, claims = :c, token_ttl_seconds = :ttl, "
                        + "updated_at = :at, updated_by = :by WHERE service_id = :s")
                .bind("r", i.rolesJson()).bind("a", i.audiencesJson()).bind("c", i.claimsJson()).bind("ttl", i.tokenTtlSeconds())
                .bind("at", ts(i.updatedAt())).bind("by", i.updatedBy()).bind("s", i.serviceId()).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO service_identities (service_id, roles, audiences, claims, token_ttl_seconds, updated_at, updated_by) "
                            + "VALUES (:s, :r, :a, :c, :ttl, :at, :by)")
                    .bind("r", i.rolesJson()).bind("a", i.audiencesJson()).bind("c", i.claimsJson()).bind("ttl", i.tokenTtlSeconds())
                    .bind("at", ts(i.updatedAt())).bind("by", i.updatedBy()).bind("s", i.serviceId()).execute();
        }
    }
}
