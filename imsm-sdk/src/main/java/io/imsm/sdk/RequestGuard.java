package io.imsm.sdk;

import com.sun.net.httpserver.HttpExchange;
import io.imsm.protocol.RequestDecision;
import io.imsm.protocol.RequestTarget;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a verified token allows a request: the scopes this guard requires (all of them),
 * then the token's {@code authorization_details} (docs/protocol.md section 7.1: method and canonical
 * path equal, exactly the listed query parameters with exactly the listed values). Make one guard per
 * set of required scopes, e.g. one per route.
 *
 * <p>The guard takes the request itself ({@link HttpExchange}, or the method and the URI as received;
 * {@link JavalinAdapter#enforce} for Javalin) and derives the canonical path and the decoded query
 * from the raw URI, so a service cannot pass a decoded path by mistake.
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

    /** Whether {@code token} allows the request, and why (or why not). */
    public RequestDecision check(VerifiedToken token, RequestTarget request) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(request, "request");
        for (String scope : requiredScopes) {
            if (!token.hasScope(scope)) {
                return new RequestDecision(false, "the token lacks the scope " + scope);
            }
        }
        return token.check(request);
    }

    /**
     * Like {@link #check} but refuses by throwing.
     *
     * @throws AccessDeniedException {@code insufficient_scope} or {@code request_not_allowed} (403)
     */
    public void enforce(VerifiedToken token, RequestTarget request) {
        RequestDecision decision = check(token, request);
        if (!decision.allowed()) {
            throw new AccessDeniedException(token.scopes().containsAll(requiredScopes)
                    ? AccessDeniedException.Failure.REQUEST_NOT_ALLOWED : AccessDeniedException.Failure.INSUFFICIENT_SCOPE,
                    decision.reason());
        }
    }

    /**
     * Checks the request as received: its method and its URI, of which only the raw path and raw
     * query are used (docs/protocol.md section 7.1 defines their canonical form).
     *
     * @return the request's target, whose decoded {@link RequestTarget#query()} the service can use
     * @throws AccessDeniedException {@code bad_request} (400) when the path or query is malformed or
     *                               has dot segments, else as {@link #enforce(VerifiedToken, RequestTarget)}
     */
    public RequestTarget enforce(VerifiedToken token, String method, URI requestUri) {
        RequestTarget target = target(method, requestUri);
        enforce(token, target);
        return target;
    }

    /** {@link #enforce(VerifiedToken, String, URI)} for a request of the JDK's HTTP server. */
    public RequestTarget enforce(VerifiedToken token, HttpExchange exchange) {
        return enforce(token, exchange.getRequestMethod(), exchange.getRequestURI());
    }

    /**
     * The canonical target of a request.
     *
     * @throws AccessDeniedException {@code bad_request} (400) when the path or query is malformed or
     *                               has dot segments
     */
    public static RequestTarget target(String method, URI requestUri) {
        try {
            return RequestTarget.of(method, requestUri);
        } catch (IllegalArgumentException e) {
            throw new AccessDeniedException(AccessDeniedException.Failure.BAD_REQUEST, e.getMessage(), e);
        }
    }
}
