package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

/** One grant type of the token endpoint (RFC 6749 §4 and extensions); {@link TokenEndpoint} dispatches by {@link #grantType()}. */
public interface GrantHandler {
    String grantType();

    /** Answers the token response for an authenticated client that may use this grant. */
    TokenResponse handle(TokenRequest request, OAuthClient client);
}
