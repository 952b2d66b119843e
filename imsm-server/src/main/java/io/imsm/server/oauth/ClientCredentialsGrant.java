package io.imsm.server.oauth;

import io.imsm.protocol.Scopes;
import io.imsm.server.model.OAuthClient;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** RFC 6749 §4.4: a service account's own access token; its scope is what it asked for within its registered scopes. */
public final class ClientCredentialsGrant implements GrantHandler {
    private final AccessTokens tokens;
    private final ClientRegistry clients;

    public ClientCredentialsGrant(AccessTokens tokens, ClientRegistry clients) {
        this.tokens = Objects.requireNonNull(tokens);
        this.clients = Objects.requireNonNull(clients);
    }

    @Override public String grantType() { return "client_credentials"; }

    @Override
    public TokenResponse handle(TokenRequest request, OAuthClient client) {
        if (client.isPublic()) {
            throw OAuthError.unauthorizedClient("A public client has no credentials of its own.");
        }
        String requested = request.param("scope");
        Set<String> scope = new LinkedHashSet<>(client.scopes());
        if (requested != null) {
            Set<String> asked = Scopes.parse(requested);
            if (!client.scopes().containsAll(asked)) {
                throw OAuthError.invalidScope("This client may ask for " + client.scopes() + " only.");
            }
            scope = asked;
        }
        String s = String.join(" ", scope);
        int ttl = clients.accessTokenTtl(client);
        String at = tokens.accessToken(new AccessTokens.Grant(client.clientId(), client.clientId(), client.audiences(), s, null, null, null, ttl,
                Map.of()));
        return TokenResponse.bearer(at, ttl, s);
    }
}
