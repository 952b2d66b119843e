package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

import java.util.Optional;

/**
 * One way a client proves who it is at the token, introspection and revocation endpoints (RFC 6749
 * §2.3, OIDC Core §9, RFC 8705). {@link ClientAuthenticator} asks each method in turn: a method that
 * sees none of its credentials in the request answers empty; one that sees them answers the client or
 * throws {@code invalid_client}. Add one by adding it to the list in the wiring.
 */
public interface ClientAuthMethod {
    /** The name in discovery and in a client's {@code token_endpoint_auth_method}. */
    String name();

    /** The client the request authenticates as with this method, empty when it carries no credentials of this kind. */
    Optional<OAuthClient> authenticate(TokenRequest request);
}
