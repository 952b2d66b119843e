package io.imsm.sdk;

import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.RequestDecision;
import io.imsm.protocol.RequestTarget;
import io.imsm.protocol.Scopes;
import io.imsm.protocol.SessionToken;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A token that passed every check of {@link TokenVerifier}. Check the request itself with
 * {@link RequestGuard}.
 *
 * @param binding the kind of token: a KX1 session token or an IMS-signed token of the jwks binding
 * @param token   the verified claims as the protocol library returns them
 */
public record VerifiedToken(Binding binding, SessionToken token) {

    /** How the token is bound to this service (docs/protocol.md sections 7 and 9). */
    public enum Binding {
        /** HS256 under the session's {@code mac_key}, from a key exchange with this service. */
        SESSION,
        /** ES256 signed by the IMS, verified against its key set; no session, no {@code enc}. */
        JWKS
    }

    public VerifiedToken {
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(token, "token");
    }

    /** {@code sub}: the user or service the token is for. */
    public String subject() { return token.subject(); }

    /** The granted scopes ({@code scope} split at spaces). */
    public Set<String> scopes() { return token.scopes(); }

    public boolean hasScope(String scope) { return Scopes.contains(token.scope(), scope); }

    /** The session id ({@code kid} and {@code sid}); {@code null} for a jwks-binding token without one. */
    public String sid() { return token.sid(); }

    public String jti() { return token.jti(); }

    public Instant issuedAt() { return token.issuedAt(); }

    public Instant expiresAt() { return token.expiresAt(); }

    /** RFC 9396 entries limiting the token to particular requests; empty: no per-request limit. */
    public List<HttpAuthorizationDetail> authorizationDetails() { return token.authorizationDetails(); }

    /** The claims that came encrypted in {@code enc}, decrypted. */
    public Map<String, Object> confidentialClaims() { return token.confidentialClaims(); }

    /** All claims, the decrypted confidential ones merged in place of {@code enc}. */
    public Map<String, Object> claims() { return token.claims(); }

    /** Whether the request is within {@link #authorizationDetails()}. */
    public RequestDecision check(RequestTarget request) {
        return token.check(request);
    }

    /** Without claim values: confidential claims must not end up in logs. */
    @Override
    public String toString() {
        return "VerifiedToken[binding=" + binding + ", sub=" + subject() + ", sid=" + sid() + ", scope=" + token.scope()
                + ", exp=" + expiresAt() + ", authorization_details=" + authorizationDetails().size()
                + ", confidential claims=" + confidentialClaims().keySet() + "]";
    }
}
