package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code /oauth2/token} (RFC 6749 §3.2): authenticates the client through the {@link ClientAuthenticator},
 * then hands the request to the {@link GrantHandler} of its {@code grant_type}. New grants plug in by
 * adding a handler to the list in the wiring.
 */
public final class TokenEndpoint {
    private final ClientAuthenticator authenticator;
    private final Map<String, GrantHandler> grants = new LinkedHashMap<>();

    public TokenEndpoint(ClientAuthenticator authenticator, List<GrantHandler> handlers) {
        this.authenticator = Objects.requireNonNull(authenticator);
        for (GrantHandler g : handlers) {
            if (grants.put(g.grantType(), g) != null) {
                throw new IllegalArgumentException("two handlers for " + g.grantType());
            }
        }
    }

    public Set<String> grantTypes() {
        return grants.keySet();
    }

    public ClientAuthenticator authenticator() {
        return authenticator;
    }

    public TokenResponse token(TokenRequest request) {
        String grantType = request.require("grant_type");
        GrantHandler handler = grants.get(grantType);
        if (handler == null) {
            throw OAuthError.unsupportedGrantType("grant_type " + grantType + " is not supported.");
        }
        OAuthClient client = authenticator.authenticate(request);
        if (!client.allowsGrant(grantType)) {
            throw OAuthError.unauthorizedClient("This client is not registered for " + grantType + ".");
        }
        return handler.handle(request, client);
    }
}
