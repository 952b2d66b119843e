package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/** {@code client_secret_basic} (RFC 6749 §2.3.1, HTTP Basic) and {@code client_secret_post} (the same pair as form parameters). */
public final class ClientSecretAuth {
    private ClientSecretAuth() {}

    public static ClientAuthMethod basic(ClientRegistry clients) {
        Objects.requireNonNull(clients);
        return new ClientAuthMethod() {
            @Override public String name() { return "client_secret_basic"; }

            @Override public Optional<OAuthClient> authenticate(TokenRequest r) {
                String h = r.authorization();
                if (h == null || !h.regionMatches(true, 0, "Basic ", 0, 6) || h.length() > 2048) {
                    return Optional.empty();
                }
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw OAuthError.invalidClient("The Basic credentials are not base64.");
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    throw OAuthError.invalidClient("The Basic credentials are not client_id:client_secret.");
                }
                // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined
                String id = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
                String secret = URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
                if (r.param("client_id") != null && !r.param("client_id").equals(id)) {
                    throw OAuthError.invalidRequest("client_id differs from the client in the Authorization header.");
                }
                return Optional.of(clients.withSecret(id, secret).orElseThrow(() -> OAuthError.invalidClient("Unknown client or wrong secret.")));
            }
        };
    }

    public static ClientAuthMethod post(ClientRegistry clients) {
        Objects.requireNonNull(clients);
        return new ClientAuthMethod() {
            @Override public String name() { return "client_secret_post"; }

            @Override public Optional<OAuthClient> authenticate(TokenRequest r) {
                String secret = r.param("client_secret");
                if (secret == null) {
                    return Optional.empty();
                }
                return Optional.of(clients.withSecret(r.param("client_id"), secret)
                        .orElseThrow(() -> OAuthError.invalidClient("Unknown client or wrong secret.")));
            }
        };
    }

    /** {@code none}: a public client names itself (RFC 6749 §2.1); PKCE and exact redirect URIs protect it. */
    public static ClientAuthMethod none(ClientRegistry clients) {
        Objects.requireNonNull(clients);
        return new ClientAuthMethod() {
            @Override public String name() { return "none"; }

            @Override public Optional<OAuthClient> authenticate(TokenRequest r) {
                String id = r.param("client_id");
                if (id == null || r.param("client_secret") != null || r.param("client_assertion") != null || r.authorization() != null
                        || !r.clientCertificates().isEmpty()) {
                    return Optional.empty();
                }
                OAuthClient c = clients.find(id).orElseThrow(() -> OAuthError.invalidClient("Unknown client."));
                if (!c.isPublic()) {
                    throw OAuthError.invalidClient("This client must authenticate (" + c.tokenEndpointAuthMethod() + ").");
                }
                return Optional.of(c);
            }
        };
    }
}
