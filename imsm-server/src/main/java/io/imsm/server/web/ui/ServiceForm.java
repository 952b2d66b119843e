package io.imsm.server.web.ui;

import io.imsm.server.model.Binding;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.json.Json;
import io.javalin.http.Context;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The service register form as typed: every value is kept as text so a rejected form shows what the
 * admin entered, lifetimes in minutes or hours. Converts to and from a {@link ServiceDefinition};
 * the rules stay in {@link CatalogService#validate}.
 */
public record ServiceForm(String id, String name, String description, String baseUrl, String binding, String kxUrl,
                          String publicJwk, Set<String> roles, String otherRoles, String scopes, Set<String> fields,
                          String encryptedClaims, boolean allowRequestLimit, String defaultTtl, String defaultTtlUnit,
                          String maxTtl, String maxTtlUnit, String approval, String rules) {
    public static final List<String> UNITS = List.of("minutes", "hours");
    /** Field order on the page: a person fills them in this order. */
    public static final List<String> KNOWN_FIELDS = ServiceDefinition.KNOWN_FIELDS.stream().sorted().toList();

    public static ServiceForm blank() {
        return new ServiceForm("", "", "", "", Binding.KX.wire(), "", "", Set.of(), "", "", Set.of(), "", true,
                "15", "minutes", "1", "hours", "", "");
    }

    public static ServiceForm of(ServiceDefinition d) {
        String[] dflt = readable(d.defaultTtlSeconds());
        String[] max = readable(d.maxTtlSeconds());
        String jwk = "";
        if (d.publicJwk() != null) {
            try {
                jwk = Json.prettyWithoutNulls().writeValueAsString(d.publicJwk());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return new ServiceForm(d.id(), d.name(), orEmpty(d.description()), orEmpty(d.baseUrl()), d.binding().wire(), orEmpty(d.kxUrl()), jwk,
                new TreeSet<>(d.roles()), "", String.join(", ", d.scopes()), new TreeSet<>(d.fields()),
                String.join(", ", d.encryptedClaims()), !Boolean.FALSE.equals(d.allowRequestLimit()), dflt[0], dflt[1], max[0], max[1],
                d.approval() == null ? "" : pretty(d.approval()), d.rules() == null || d.rules().isEmpty() ? "" : pretty(d.rules()));
    }

    /** What the form posted (an absent checkbox is false, absent text is empty). */
    public static ServiceForm from(Context ctx) {
        return new ServiceForm(param(ctx, "id"), param(ctx, "name"), param(ctx, "description"), param(ctx, "base_url"),
                param(ctx, "binding"), param(ctx, "kx_url"), param(ctx, "public_jwk"), new TreeSet<>(ctx.formParams("roles")),
                param(ctx, "other_roles"), param(ctx, "scopes"), new TreeSet<>(ctx.formParams("fields")),
                param(ctx, "encrypted_claims"), ctx.formParam("allow_request_limit") != null,
                param(ctx, "default_ttl"), param(ctx, "default_ttl_unit"), param(ctx, "max_ttl"), param(ctx, "max_ttl_unit"),
                param(ctx, "approval"), param(ctx, "rules"));
    }

    /** Raised for a value the form itself cannot read; {@code field} is the form field to show it at. */
    public static final class FieldError extends RuntimeException {
        private final String field;

        FieldError(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }

        public String field() { return field; }
    }

    /** The definition this form describes (not yet validated: {@link CatalogService#validate} does that). */
    public ServiceDefinition toDefinition() {
        Binding parsed = parsedBinding();
        boolean kx = parsed == Binding.KX;
        Set<String> allRoles = new LinkedHashSet<>(roles);
        allRoles.addAll(split(otherRoles));
        return new ServiceDefinition(id.trim(), name, blankToNull(description), blankToNull(baseUrl), parsed,
                kx ? blankToNull(kxUrl) : null, kx ? jwk() : null, List.copyOf(allRoles), split(scopes),
                seconds("default_ttl", defaultTtl, defaultTtlUnit), seconds("max_ttl", maxTtl, maxTtlUnit),
                List.copyOf(fields), allowRequestLimit, split(encryptedClaims), parsed("approval", approval, new TypeReference<ServiceDefinition.Approval>() {}),
                parsed("rules", rules, new TypeReference<List<ServiceDefinition.Rule>>() {}));
    }

    /** The approval rule and the CEL rules are edited as JSON (docs/approvals.md); empty means none. */
    private static <T> T parsed(String field, String json, TypeReference<T> type) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return Json.mapper().readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new FieldError(field, "Not valid JSON for " + field + " (see docs/approvals.md): " + e.getOriginalMessage());
        }
    }

    private static String pretty(Object o) {
        try {
            return Json.prettyWithoutNulls().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Binding parsedBinding() {
        try {
            return Binding.parse(binding);
        } catch (ImsmException.Invalid e) {
            throw new FieldError("binding", e.getMessage());
        }
    }

    /** The roles to offer as checkboxes: the known ones and any this form holds. */
    public List<String> roleChoices(List<String> known) {
        Set<String> all = new TreeSet<>(known);
        all.addAll(roles);
        return List.copyOf(all);
    }

    /**
     * The form field a message of {@link CatalogService#validate} is about (it starts with the wire
     * name), and the message in the form's words: lifetimes in the units the form asks for.
     */
    public static Map.Entry<String, String> place(String message) {
        Map<String, String> fieldsByWireName = new LinkedHashMap<>();
        fieldsByWireName.put("default_ttl_seconds", "default_ttl");
        fieldsByWireName.put("max_ttl_seconds", "max_ttl");
        for (String f : List.of("id", "name", "description", "base_url", "binding", "kx_url", "public_jwk", "roles", "scopes",
                "fields", "allow_request_limit", "encrypted_claims", "approval", "rules")) {
            fieldsByWireName.put(f, f);
        }
        if (message.startsWith("max_ttl_seconds")) {
            return Map.entry("max_ttl", "The longest lifetime must be between " + minutes(CatalogService.MIN_TTL) + " and "
                    + hours(CatalogService.MAX_TTL) + ".");
        }
        if (message.startsWith("default_ttl_seconds")) {
            return Map.entry("default_ttl", "The usual lifetime must be at least " + minutes(CatalogService.MIN_TTL)
                    + " and no longer than the longest lifetime.");
        }
        for (Map.Entry<String, String> e : fieldsByWireName.entrySet()) {
            if (message.startsWith(e.getKey() + " ") || message.startsWith(e.getKey() + ":")) {
                return Map.entry(e.getValue(), message);
            }
        }
        return Map.entry("", message);
    }

    private Map<String, Object> jwk() {
        if (publicJwk.isBlank()) {
            return null;
        }
        try {
            return Json.mapper().readValue(publicJwk, new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new FieldError("public_jwk", "Paste the key as one JWK, a JSON object such as {\"kty\": \"EC\", \"crv\": \"P-256\", ...}.");
        }
    }

    private static Integer seconds(String field, String amount, String unit) {
        if (amount.isBlank()) {
            return null;
        }
        BigDecimal n;
        try {
            n = new BigDecimal(amount.trim());
        } catch (NumberFormatException e) {
            throw new FieldError(field, "Give a number of " + unitOrMinutes(unit) + ".");
        }
        long factor = "hours".equals(unit) ? 3600 : 60;
        BigDecimal s = n.multiply(BigDecimal.valueOf(factor));
        if (s.signum() <= 0 || s.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0 || s.stripTrailingZeros().scale() > 0) {
            throw new FieldError(field, "Give a positive number of " + unitOrMinutes(unit) + " (whole seconds).");
        }
        return s.intValueExact();
    }

    private static String unitOrMinutes(String unit) {
        return UNITS.contains(unit) ? unit : "minutes";
    }

    /** Seconds as {amount, unit}: hours when whole, else minutes (with a decimal only when not whole minutes). */
    private static String[] readable(int seconds) {
        if (seconds % 3600 == 0) {
            return new String[] {Integer.toString(seconds / 3600), "hours"};
        }
        return new String[] {BigDecimal.valueOf(seconds).divide(BigDecimal.valueOf(60)).stripTrailingZeros().toPlainString(), "minutes"};
    }

    static String minutes(int seconds) {
        int m = seconds / 60;
        return m + (m == 1 ? " minute" : " minutes");
    }

    static String hours(int seconds) {
        int h = seconds / 3600;
        return h + (h == 1 ? " hour" : " hours");
    }

    /** A lifetime for tables: "15 min", "1 h", "1 h 30 min". */
    public static String lifetime(int seconds) {
        int h = seconds / 3600;
        int m = (seconds % 3600) / 60;
        int s = seconds % 60;
        List<String> parts = new ArrayList<>();
        if (h > 0) {
            parts.add(h + " h");
        }
        if (m > 0) {
            parts.add(m + " min");
        }
        if (s > 0 || parts.isEmpty()) {
            parts.add(s + " s");
        }
        return String.join(" ", parts);
    }

    private static List<String> split(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split("[,\\s]+")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList();
    }

    private static String param(Context ctx, String name) {
        String v = ctx.formParam(name);
        return v == null ? "" : v;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
