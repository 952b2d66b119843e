package io.imsm.server.access;

import io.imsm.server.model.Binding;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A registered service, as admins define it (API, pages, or a YAML file). Validated by
 * {@link CatalogService#validate}; field names are the snake_case wire names in JSON and YAML.
 */
public record ServiceDefinition(String id, String name, String description, String baseUrl, Binding binding,
                                String kxUrl, Map<String, Object> publicJwk, List<String> roles, List<String> scopes,
                                Integer defaultTtlSeconds, Integer maxTtlSeconds, List<String> fields,
                                Boolean allowRequestLimit, List<String> encryptedClaims,
                                Approval approval, List<Rule> rules) {
    /**
     * Tokens for this service need other people's approval first (docs/approvals.md): {@code approvals}
     * distinct approvers holding one of {@code approverRoles}; a pending request expires after
     * {@code expiresAfterSeconds}; an approved one must be picked up within {@code pickupWindowSeconds}.
     */
    public record Approval(Integer approvals, List<String> approverRoles, Integer expiresAfterSeconds, Integer pickupWindowSeconds) {}

    /** An embedded policy rule: a CEL expression that refuses the request with {@code reason} when true (docs/approvals.md). */
    public record Rule(String denyIf, String reason) {}

    /** A definition without an approval rule or policy rules. */
    public ServiceDefinition(String id, String name, String description, String baseUrl, Binding binding,
                             String kxUrl, Map<String, Object> publicJwk, List<String> roles, List<String> scopes,
                             Integer defaultTtlSeconds, Integer maxTtlSeconds, List<String> fields,
                             Boolean allowRequestLimit, List<String> encryptedClaims) {
        this(id, name, description, baseUrl, binding, kxUrl, publicJwk, roles, scopes, defaultTtlSeconds, maxTtlSeconds, fields,
                allowRequestLimit, encryptedClaims, null, null);
    }

    /** Form fields a service may require of a person asking for a token. */
    public static final Set<String> KNOWN_FIELDS = Set.of("justification", "ticket_id", "manager", "request");
    public static final String CLAIM_EMAIL = "email";
    public static final String CLAIM_NAME = "name";
    public static final String CLAIM_PHONE = "phone";
    public static final String CLAIM_ROLES = "roles";
    /**
     * The person's attributes a service may receive, only inside the token's {@code enc} claim:
     * {@code email}, {@code name} (the display name), {@code phone}, {@code roles} (a sorted list).
     */
    public static final Set<String> PERSON_CLAIMS = Set.of(CLAIM_EMAIL, CLAIM_NAME, CLAIM_PHONE, CLAIM_ROLES);

    public boolean allowedFor(Set<String> userRoles) {
        return roles != null && roles.stream().anyMatch(userRoles::contains);
    }
}
