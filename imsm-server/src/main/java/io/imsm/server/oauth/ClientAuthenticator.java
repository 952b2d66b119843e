package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Client authentication over a list of {@link ClientAuthMethod}s. RFC 6749 §2.3: a client uses exactly
 * one method per request; and it must be the method it registered (OIDC Registration
 * {@code token_endpoint_auth_method}), so a leaked secret of a private_key_jwt client is worth nothing.
 */
public final class ClientAuthenticator {
    private final List<ClientAuthMethod> methods;

    public ClientAuthenticator(List<ClientAuthMethod> methods) {
        this.methods = List.copyOf(methods);
    }

    /** The names of the methods, for discovery. */
    public List<String> methodNames() {
        return methods.stream().map(ClientAuthMethod::name).toList();
    }

    /** The authenticated client, or {@code invalid_client}. */
    public OAuthClient authenticate(TokenRequest request) {
        List<String> used = new ArrayList<>();
        OAuthClient client = null;
        for (ClientAuthMethod m : methods) {
            Optional<OAuthClient> c = m.authenticate(request);
            if (c.isPresent()) {
                used.add(m.name());
                client = c.get();
                if (!m.name().equals(client.tokenEndpointAuthMethod())) {
                    throw OAuthError.invalidClient("This client authenticates with " + client.tokenEndpointAuthMethod() + ", not " + m.name() + ".");
                }
            }
        }
        if (used.size() > 1) {
            throw OAuthError.invalidRequest("Use one client authentication method per request, not " + used + ".");
        }
        return Objects.requireNonNullElseGet(client, () -> {
            throw OAuthError.invalidClient("Client authentication is required.");
        });
    }
}
