package io.imsm.sdk;

import io.imsm.protocol.RequestDecision;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a verified token allows a request: the scopes this guard requires (all of them),
 * then the token's {@code authorization_details} (docs/protocol.md section 7.1: method and path equal,
 * exactly the listed query parameters with exactly the listed values). Make one guard per set of
 * required scopes, e.g. one per route.
 *
 * <p>The path is compared as given, without normalisation: pass the path as the service routes it.
 *
 * <p>Immutable and thread-safe.
 */
public final class RequestGuard {
    private final Set<String> requiredScopes;

    /** A guard that requires no scope and checks only {@code authorization_details}. */
    public RequestGuard() { this(Set.of()); }

    /** A guard that also requires every one of {@code scopes}. */
    public RequestGuard(Set<String> requiredScopes) {
        this.requiredScopes = Collections.unmodifiableSet(new LinkedHashSet<>(Objects.requireNonNull(requiredScopes, "requiredScopes")));
    }

    /** Shortcut for {@code new RequestGuard(Set.of(scopes))}. */
    public static RequestGuard requiring(String... scopes) { return new RequestGuard(Set.of(scopes)); }

    public Set<String> requiredScopes() { return requiredScopes; }

    /**
     * Whether {@code token} allows the request, and why (or why not).
     *
     * @param query every query parameter of the request with all its values, decoded; see {@link #parseQuery}
     */
    public RequestDecision check(VerifiedToken token, String method, String path, Map<String, List<String>> query) {
        Objects.requireNonNull(token, "token");
        for (String scope : requiredScopes) {
            if (!token.hasScope(scope)) {
                return new RequestDecision(false, "the token lacks the scope " + scope);
            }
        }
        return token.check(method, path, query);
    }

    /**
     * Like {@link #check} but refuses by throwing.
     *
     * @throws AccessDeniedException {@code insufficient_scope} or {@code request_not_allowed} (403)
     */
    public void enforce(VerifiedToken token, String method, String path, Map<String, List<String>> query) {
        Objects.requireNonNull(token, "token");
        for (String scope : requiredScopes) {
            if (!token.hasScope(scope)) {
                throw new AccessDeniedException(AccessDeniedException.Failure.INSUFFICIENT_SCOPE, "the token lacks the scope " + scope);
            }
        }
        RequestDecision decision = token.check(method, path, query);
        if (!decision.allowed()) {
            throw new AccessDeniedException(AccessDeniedException.Failure.REQUEST_NOT_ALLOWED, decision.reason());
        }
    }

    /**
     * Parses a raw query string ({@code a=1&b=2&a=3}, as from {@code URI.getRawQuery()}) into decoded
     * names and values in order (application/x-www-form-urlencoded rules: {@code +} is a space).
     * A parameter without {@code =} has the value {@code ""}. {@code null} or empty: no parameters.
     *
     * @throws IllegalArgumentException on a malformed percent-encoding
     */
    public static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return query;
    }
}
