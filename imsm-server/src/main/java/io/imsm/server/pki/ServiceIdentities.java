package io.imsm.server.pki;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.config.Config;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.store.Database;
import io.imsm.server.store.ServiceIdentityStore;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a service's own tokens carry, as admins set it: roles, allowed audiences, extra claims, and
 * the token lifetime. A service without settings gets no roles, no audience and the default lifetime.
 */
public final class ServiceIdentities {
    /** Claims IMSM sets itself; an admin's extra claims cannot replace them. */
    public static final Set<String> RESERVED_CLAIMS = Set.of("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "client_id",
            "roles", "scope", "azp", "typ", "sid", "enc", "authorization_details", "act", "may_act");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:/-]{1,100}");
    private static final int MAX_ITEMS = 32;
    private static final int MAX_CLAIMS_JSON = 4000;

    private final Database db;
    private final ServiceIdentityStore store;
    private final CatalogService catalog;
    private final AuditLog audit;
    private final Config.Pki cfg;
    private final Clock clock;

    /** @param tokenTtlSeconds null means the default ({@code pki.service_token_ttl_seconds}) */
    public record Identity(String serviceId, List<String> roles, List<String> audiences, Map<String, Object> claims, Integer tokenTtlSeconds) {}

    public ServiceIdentities(Database db, ServiceIdentityStore store, CatalogService catalog, AuditLog audit, Config.Pki cfg, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.catalog = Objects.requireNonNull(catalog);
        this.audit = Objects.requireNonNull(audit);
        this.cfg = Objects.requireNonNull(cfg);
        this.clock = Objects.requireNonNull(clock);
    }

    public Identity get(Caller caller, String serviceId) {
        caller.requireAdmin();
        catalog.find(serviceId).orElseThrow(() -> new ImsmException.NotFound("No service with id '" + serviceId + "'."));
        return find(serviceId);
    }

    public Identity set(Caller caller, String serviceId, Identity wanted) {
        caller.requireAdmin();
        List<String> roles = names("roles", wanted.roles());
        List<String> audiences = names("audiences", wanted.audiences());
        Map<String, Object> claims = wanted.claims() == null ? Map.of() : new LinkedHashMap<>(wanted.claims());
        if (claims.size() > MAX_ITEMS) {
            throw ImsmException.Invalid.inField("claims", "at most " + MAX_ITEMS + " extra claims");
        }
        for (String name : claims.keySet()) {
            if (RESERVED_CLAIMS.contains(name) || !NAME.matcher(name).matches()) {
                throw ImsmException.Invalid.inField("claims", "'" + name + "' cannot be an extra claim (reserved or not a plain name)");
            }
        }
        String claimsJson = json(claims);
        if (claimsJson.length() > MAX_CLAIMS_JSON) {
            throw ImsmException.Invalid.inField("claims", "the extra claims are longer than " + MAX_CLAIMS_JSON + " characters as JSON");
        }
        Integer ttl = wanted.tokenTtlSeconds();
        if (ttl != null && (ttl < 60 || ttl > 86400)) {
            throw ImsmException.Invalid.inField("token_ttl_seconds", "must be between 60 and 86400");
        }
        return db.inTransaction(h -> {
            catalog.find(h, serviceId).orElseThrow(() -> new ImsmException.NotFound("No service with id '" + serviceId + "'."));
            store.upsert(h, new ServiceIdentityStore.StoredIdentity(serviceId, json(roles), json(audiences), claimsJson,
                    ttl == null ? 0 : ttl, clock.instant(), caller.actor()));
            audit.record(h, caller.actor(), "service_identity_update", serviceId, caller.ip(), "ok", null);
            return new Identity(serviceId, roles, audiences, claims, ttl);
        });
    }

    /** The settings in force (defaults when none were set), for issuing. */
    Identity find(String serviceId) {
        return db.read(h -> store.find(h, serviceId)).map(i -> new Identity(serviceId, read(i.rolesJson(), new TypeReference<List<String>>() {}),
                        read(i.audiencesJson(), new TypeReference<List<String>>() {}),
                        read(i.claimsJson(), new TypeReference<Map<String, Object>>() {}),
                        i.tokenTtlSeconds() == 0 ? null : i.tokenTtlSeconds()))
                .orElse(new Identity(serviceId, List.of(), List.of(), Map.of(), null));
    }

    int ttlSeconds(Identity identity) {
        return identity.tokenTtlSeconds() == null ? cfg.serviceTokenTtlSeconds() : identity.tokenTtlSeconds();
    }

    private static List<String> names(String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        if (values.size() > MAX_ITEMS) {
            throw ImsmException.Invalid.inField(field, "at most " + MAX_ITEMS + " entries");
        }
        for (String v : values) {
            if (v == null || !NAME.matcher(v).matches()) {
                throw ImsmException.Invalid.inField(field, "entries are 1-100 letters, digits or . _ : / -");
            }
        }
        return values.stream().distinct().sorted().toList();
    }

    private static String json(Object o) {
        try {
            return Json.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new ImsmException.Invalid("not JSON-serializable: " + e.getOriginalMessage());
        }
    }

    private static <T> T read(String json, TypeReference<T> type) {
        try {
            return Json.mapper().readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored service identity is not JSON", e);
        }
    }
}
