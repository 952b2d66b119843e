package io.imsm.server.oauth;

import io.imsm.server.model.OAuthClient;

import java.util.Objects;

/** RFC 6749 §6, with rotation and reuse detection in {@link PersonTokens#refresh}. */
public final class RefreshTokenGrant implements GrantHandler {
    private final PersonTokens people;

    public RefreshTokenGrant(PersonTokens people) {
        this.people = Objects.requireNonNull(people);
    }

    @Override public String grantType() { return "refresh_token"; }

    @Override
    public TokenResponse handle(TokenRequest request, OAuthClient client) {
        return people.refresh(client, request.require("refresh_token"), request.param("scope"), request.ip());
    }
}
