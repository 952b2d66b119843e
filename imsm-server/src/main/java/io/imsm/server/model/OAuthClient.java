package io.imsm.server.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;
import java.util.Map;

/**
 * A registered OAuth client (docs/oauth.md), as the admin API shows and takes it and as it is stored
 * (a JSON document; the secrets are kept apart, hashed). Field names are the API's.
 *
 * @param type                    {@code confidential} or {@code public}
 * @param tokenEndpointAuthMethod {@code client_secret_basic}, {@code client_secret_post}, {@code private_key_jwt} or {@code none}
 * @param jwks                    the client's public keys (a JWK set) for {@code private_key_jwt}
 */
public record OAuthClient(String clientId, String name, String type, List<String> grantTypes, List<String> redirectUris,
                          List<String> postLogoutRedirectUris, List<String> scopes, List<String> audiences,
                          String tokenEndpointAuthMethod, Map<String, Object> jwks, Integer accessTokenTtlSeconds,
                          Integer refreshTokenTtlSeconds, Boolean requireConsent) {

    public static final String CONFIDENTIAL = "confidential";
    public static final String PUBLIC = "public";

    @JsonIgnore
    public boolean isPublic() {
        return PUBLIC.equals(type);
    }

    public boolean allowsGrant(String grantType) {
        return grantTypes != null && grantTypes.contains(grantType);
    }

    public OAuthClient withClientId(String id) {
        return new OAuthClient(id, name, type, grantTypes, redirectUris, postLogoutRedirectUris, scopes, audiences,
                tokenEndpointAuthMethod, jwks, accessTokenTtlSeconds, refreshTokenTtlSeconds, requireConsent);
    }
}
