package io.imsm.server.access;

import io.imsm.server.model.Binding;
import io.imsm.server.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import io.imsm.protocol.JwkUtil;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.Roles;
import io.imsm.server.store.ConfigVersion;
import io.imsm.server.store.Database;
import io.imsm.server.store.ServiceStore;

import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The service catalog: admins register services; people see the ones their roles allow. */
public final class CatalogService {
    public static final int MIN_TTL = 60;
    /** About a working day, for an API used all day. */
    public static final int MAX_TTL = 10 * 3600;
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{1,62}");
    private static final Pattern SCOPE = Pattern.compile("[a-z][a-z0-9:._-]{0,63}");
    private static final Pattern CLAIM = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    /** Stored definitions are read leniently: a row written before a field was dropped must still load. */
    private static final ObjectReader STORED = Json.mapper().readerFor(ServiceDefinition.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Database db;
    private final ServiceStore store;
    private final AuditLog audit;
    private final ServiceUrls urls;
    private final Clock clock;
    private final PolicyRules rules;
    private final Cache<String, ServiceDefinition> parsed = Caffeine.newBuilder().maximumSize(1_000).build();
    /**
     * The catalog every token request reads, cached per configuration version ({@link ConfigVersion}):
     * every write to it bumps the version in its transaction, so an edit on any instance counts from
     * the next request, and a token reads no service row.
     */
    private final ConfigVersion.Cached<Map<String, ServiceDefinition>> catalog = new ConfigVersion.Cached<>();

    public CatalogService(Database db, ServiceStore store, AuditLog audit, ServiceUrls urls, Clock clock, PolicyRules rules) {
        this.rules = Objects.requireNonNull(rules);
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.audit = Objects.requireNonNull(audit);
        this.urls = Objects.requireNonNull(urls);
        this.clock = Objects.requireNonNull(clock);
    }

    public enum Outcome { CREATED, UPDATED, UNCHANGED }

    public record Applied(ServiceDefinition service, Outcome outcome) {}

    /** Creates a service; 409 when the id exists. */
    public ServiceDefinition create(Caller caller, ServiceDefinition def) {
        caller.requireAdmin();
        ServiceDefinition v = validate(def);
        return db.inTransaction(h -> {
            if (store.find(h, v.id()).isPresent()) {
                throw new ImsmException.Conflict("A service with id '" + v.id() + "' exists; use PUT to change it.");
            }
            store.insert(h, v.id(), write(v), clock.instant(), caller.actor());
            audit.record(h, caller.actor(), "service_create", v.id(), caller.ip(), "ok", null);
            return v;
        });
    }

    /** Creates or replaces the service at {@code id}; a body id, if given, must match. */
    public Applied put(Caller caller, String id, ServiceDefinition def) {
        caller.requireAdmin();
        if (def == null) {
            throw new ImsmException.Invalid("body required");
        }
        if (def.id() != null && !def.id().equals(id)) {
            throw new ImsmException.Invalid("the id in the body ('" + def.id() + "') differs from the one in the path ('" + id + "')");
        }
        ServiceDefinition v = validate(withId(def, id));
        return db.inTransaction(h -> upsert(h, caller, v));
    }

    /** Applies a whole catalog file: each entry created or replaced; applying the same file twice changes nothing. */
    public List<Applied> apply(Caller caller, List<ServiceDefinition> defs) {
        caller.requireAdmin();
        if (defs == null || defs.isEmpty()) {
            throw new ImsmException.Invalid("the file lists no services");
        }
        List<ServiceDefinition> valid = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < defs.size(); i++) {
            try {
                ServiceDefinition v = validate(defs.get(i));
                if (!ids.add(v.id())) {
                    throw new ImsmException.Invalid("the id '" + v.id() + "' appears twice");
                }
                valid.add(v);
            } catch (ImsmException.Invalid e) {
                throw new ImsmException.Invalid("services[" + i + "]: " + e.getMessage());
            }
        }
        // all or nothing: one bad entry leaves the catalog as it was
        return db.inTransaction(h -> {
            List<Applied> out = new ArrayList<>();
            for (ServiceDefinition v : valid) {
                out.add(upsert(h, caller, v));
            }
            return out;
        });
    }

    private Applied upsert(org.jdbi.v3.core.Handle h, Caller caller, ServiceDefinition v) {
        String spec = write(v);
        Optional<String> existing = store.find(h, v.id());
        if (existing.isEmpty()) {
            store.insert(h, v.id(), spec, clock.instant(), caller.actor());
            audit.record(h, caller.actor(), "service_create", v.id(), caller.ip(), "ok", null);
            return new Applied(v, Outcome.CREATED);
        }
        if (read(existing.get()).equals(v)) {
            return new Applied(v, Outcome.UNCHANGED);
        }
        store.update(h, v.id(), spec, clock.instant(), caller.actor());
        audit.record(h, caller.actor(), "service_update", v.id(), caller.ip(), "ok", null);
        return new Applied(v, Outcome.UPDATED);
    }

    public ServiceDefinition get(Caller caller, String id) {
        caller.requireAdmin();
        return find(id).orElseThrow(() -> new ImsmException.NotFound("No service with id '" + id + "'."));
    }

    public List<ServiceDefinition> list(Caller caller) {
        caller.requireAdmin();
        return all();
    }

    public void delete(Caller caller, String id) {
        caller.requireAdmin();
        db.inTransaction(h -> {
            if (!store.delete(h, id)) {
                throw new ImsmException.NotFound("No service with id '" + id + "'.");
            }
            audit.record(h, caller.actor(), "service_delete", id, caller.ip(), "ok", null);
            return null;
        });
    }

    /** The caller's menu: services any of whose roles the caller holds. */
    public List<ServiceDefinition> menu(Caller caller) {
        caller.requirePerson().requireReady();
        return all().stream().filter(s -> s.allowedFor(caller.user().roles())).toList();
    }

    /** A service the caller may request tokens for; 404 (not 403) otherwise, so ids are not probed. */
    public ServiceDefinition requestable(Caller caller, String id) {
        caller.requirePerson().requireReady();
        return find(id).filter(s -> s.allowedFor(caller.user().roles()))
                .orElseThrow(() -> new ImsmException.NotFound("No service '" + id + "' is open to your roles."));
    }

    public Optional<ServiceDefinition> find(String id) {
        if (id == null || id.length() > 63) {
            return Optional.empty();
        }
        return Optional.ofNullable(catalog.get(db, this::load).get(id));
    }

    /** The same inside the caller's transaction (no second connection while one is held). */
    public Optional<ServiceDefinition> find(org.jdbi.v3.core.Handle h, String id) {
        if (id == null || id.length() > 63) {
            return Optional.empty();
        }
        return Optional.ofNullable(catalog.get(h, this::load).get(id));
    }

    /** Every service, for other services' own reads (no caller check: they check their callers). */
    public List<ServiceDefinition> all() {
        return List.copyOf(catalog.get(db, this::load).values());
    }

    /** The whole catalog by id, in id order (what {@link #catalog} caches). */
    private Map<String, ServiceDefinition> load(org.jdbi.v3.core.Handle h) {
        Map<String, ServiceDefinition> byId = new LinkedHashMap<>();
        for (ServiceStore.Row r : store.list(h)) {
            byId.put(r.id(), read(r.spec()));
        }
        return Collections.unmodifiableMap(byId);
    }

    /** Checks every field and returns the definition with defaults filled in and lists normalized. */
    public ServiceDefinition validate(ServiceDefinition d) {
        if (d == null) {
            throw new ImsmException.Invalid("body required");
        }
        if (d.id() == null || !ID.matcher(d.id()).matches()) {
            throw new ImsmException.Invalid("id must be 2-63 characters: lower-case letters, digits and '-', starting with a letter");
        }
        String name = text(d.name(), "name", 100, true);
        String description = text(d.description(), "description", 1000, false);
        String baseUrl = d.baseUrl() == null || d.baseUrl().isBlank() ? null : urls.validate(d.baseUrl(), "base_url");
        Binding binding = d.binding() == null ? Binding.KX : d.binding();
        String kxUrl = null;
        Map<String, Object> jwk = null;
        if (binding == Binding.KX) {
            if (d.kxUrl() == null || d.kxUrl().isBlank()) {
                throw new ImsmException.Invalid("kx_url is required for binding kx");
            }
            kxUrl = urls.validate(d.kxUrl(), "kx_url");
            if (kxUrl.contains("?")) {
                throw new ImsmException.Invalid("kx_url must not carry a query (revocations go to kx_url/{sid})");
            }
            if (d.publicJwk() == null) {
                throw new ImsmException.Invalid("public_jwk (the service's ES256 public key as a JWK) is required for binding kx");
            }
            jwk = publicKey(d.publicJwk()).toJSONObject();
        } else if (d.kxUrl() != null || d.publicJwk() != null) {
            throw new ImsmException.Invalid("kx_url and public_jwk belong to binding kx; leave them out for binding jwks");
        }
        List<String> roles = List.copyOf(Roles.validate(d.roles()));
        if (roles.isEmpty()) {
            throw new ImsmException.Invalid("roles must name at least one role allowed to request tokens");
        }
        List<String> scopes = names(d.scopes(), SCOPE, "scopes");
        if (scopes.isEmpty()) {
            throw new ImsmException.Invalid("scopes must list at least one scope");
        }
        int max = d.maxTtlSeconds() == null ? 3600 : d.maxTtlSeconds();
        int dflt = d.defaultTtlSeconds() == null ? Math.min(900, max) : d.defaultTtlSeconds();
        if (max < MIN_TTL || max > MAX_TTL) {
            throw new ImsmException.Invalid("max_ttl_seconds must be between " + MIN_TTL + " and " + MAX_TTL);
        }
        if (dflt < MIN_TTL || dflt > max) {
            throw new ImsmException.Invalid("default_ttl_seconds must be between " + MIN_TTL + " and max_ttl_seconds (" + max + ")");
        }
        List<String> fields = d.fields() == null ? List.of() : List.copyOf(new LinkedHashSet<>(d.fields()));
        for (String f : fields) {
            if (!ServiceDefinition.KNOWN_FIELDS.contains(f)) {
                throw new ImsmException.Invalid("fields may contain " + String.join(", ", ServiceDefinition.KNOWN_FIELDS.stream().sorted().toList())
                        + "; '" + f + "' is not one of them");
            }
        }
        boolean allowLimit = d.allowRequestLimit() == null || d.allowRequestLimit();
        if (fields.contains("request") && !allowLimit) {
            throw new ImsmException.Invalid("fields requires the request, so allow_request_limit cannot be false");
        }
        List<String> encrypted = encryptedClaims(d.encryptedClaims(), fields);
        if (!encrypted.isEmpty() && binding != Binding.KX) {
            throw new ImsmException.Invalid("encrypted_claims need binding kx (they are encrypted under the session key)");
        }
        return new ServiceDefinition(d.id(), name, description, baseUrl, binding, kxUrl, jwk, roles, scopes, dflt, max,
                fields, allowLimit, encrypted, approval(d.approval()), rules(d.rules()));
    }

    /** Refuses with 403 {@code denied_by_policy} when one of the service's rules holds for this input. */
    public void enforceRules(ServiceDefinition svc, PolicyRules.Input input) {
        rules.enforce(svc.rules(), input);
    }

    /** Default lifetime of a pending access request: a day. */
    public static final int DEFAULT_REQUEST_EXPIRY = 24 * 3600;
    /** Default time to pick an approved token up: an hour. */
    public static final int DEFAULT_PICKUP_WINDOW = 3600;

    private static ServiceDefinition.Approval approval(ServiceDefinition.Approval a) {
        if (a == null) {
            return null;
        }
        int n = a.approvals() == null ? 1 : a.approvals();
        if (n < 1 || n > 10) {
            throw ImsmException.Invalid.inField("approval", "approval.approvals must be between 1 and 10");
        }
        List<String> roles = a.approverRoles() == null ? List.of() : List.copyOf(Roles.validate(a.approverRoles()));
        if (roles.isEmpty()) {
            throw ImsmException.Invalid.inField("approval", "approval.approver_roles must name at least one role whose holders may approve");
        }
        int expires = a.expiresAfterSeconds() == null ? DEFAULT_REQUEST_EXPIRY : a.expiresAfterSeconds();
        if (expires < 60 || expires > 30 * 24 * 3600) {
            throw ImsmException.Invalid.inField("approval", "approval.expires_after_seconds must be between 60 and " + 30 * 24 * 3600);
        }
        int pickup = a.pickupWindowSeconds() == null ? DEFAULT_PICKUP_WINDOW : a.pickupWindowSeconds();
        if (pickup < 60 || pickup > 7 * 24 * 3600) {
            throw ImsmException.Invalid.inField("approval", "approval.pickup_window_seconds must be between 60 and " + 7 * 24 * 3600);
        }
        return new ServiceDefinition.Approval(n, roles, expires, pickup);
    }

    private List<ServiceDefinition.Rule> rules(List<ServiceDefinition.Rule> in) {
        if (in == null || in.isEmpty()) {
            return List.of();
        }
        if (in.size() > PolicyRules.MAX_RULES) {
            throw ImsmException.Invalid.inField("rules", "rules may list at most " + PolicyRules.MAX_RULES + " entries");
        }
        List<ServiceDefinition.Rule> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            rules.check(i, in.get(i));
            out.add(new ServiceDefinition.Rule(in.get(i).denyIf().strip(), in.get(i).reason().strip()));
        }
        return List.copyOf(out);
    }

    /**
     * Only names IMSM can fill: the person's attributes ({@link ServiceDefinition#PERSON_CLAIMS}) and
     * form fields this service asks for. Anything else would silently never reach the service.
     */
    private static List<String> encryptedClaims(List<String> in, List<String> fields) {
        List<String> names = names(in, CLAIM, "encrypted_claims");
        List<String> formFields = fields.stream().filter(f -> !"request".equals(f)).sorted().toList();
        for (String n : names) {
            if (ServiceDefinition.PERSON_CLAIMS.contains(n) || formFields.contains(n)) {
                continue;
            }
            String why = ServiceDefinition.KNOWN_FIELDS.contains(n) && !"request".equals(n)
                    ? "the form field '" + n + "' is not in fields, so it would never be filled in"
                    : "'" + n + "' is not a claim IMSM can encrypt";
            throw new ImsmException.Invalid("encrypted_claims: " + why + "; name the person's attributes ("
                    + String.join(", ", ServiceDefinition.PERSON_CLAIMS.stream().sorted().toList()) + ") or fields the service asks for"
                    + (formFields.isEmpty() ? "" : " (" + String.join(", ", formFields) + ")"));
        }
        return names;
    }

    private static ECKey publicKey(Map<String, Object> map) {
        try {
            return JwkUtil.parseP256Public(JWK.parse(map).toJSONString());
        } catch (ParseException | IllegalArgumentException e) {
            throw new ImsmException.Invalid("public_jwk: " + e.getMessage());
        }
    }

    private static String text(String s, String key, int max, boolean required) {
        if (s == null || s.isBlank()) {
            if (required) {
                throw new ImsmException.Invalid(key + " is required");
            }
            return null;
        }
        String t = s.strip();
        if (t.length() > max || t.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
            throw new ImsmException.Invalid(key + " must be at most " + max + " characters without control characters");
        }
        return t;
    }

    private static List<String> names(List<String> in, Pattern p, String key) {
        if (in == null) {
            return List.of();
        }
        if (in.size() > 50) {
            throw new ImsmException.Invalid(key + " may list at most 50 entries");
        }
        for (String s : in) {
            if (s == null || !p.matcher(s).matches()) {
                throw new ImsmException.Invalid(key + ": '" + s + "' is not allowed (lower-case letters, digits and " + p.pattern() + ")");
            }
        }
        return List.copyOf(new LinkedHashSet<>(in));
    }

    /** The definition with this id (the path's id wins over the body's). */
    public static ServiceDefinition withId(ServiceDefinition d, String id) {
        return new ServiceDefinition(id, d.name(), d.description(), d.baseUrl(), d.binding(), d.kxUrl(), d.publicJwk(), d.roles(),
                d.scopes(), d.defaultTtlSeconds(), d.maxTtlSeconds(), d.fields(), d.allowRequestLimit(), d.encryptedClaims(),
                d.approval(), d.rules());
    }

    private static String write(ServiceDefinition d) {
        try {
            return Json.mapper().writeValueAsString(d);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The stored JSON as a definition, parsed once per distinct text: a reload of the catalog after an
     * edit parses only the definitions that changed.
     */
    private ServiceDefinition read(String spec) {
        return parsed.get(spec, CatalogService::parse);
    }

    private static ServiceDefinition parse(String spec) {
        try {
            return STORED.readValue(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored service definition unreadable", e);
        }
    }
}
