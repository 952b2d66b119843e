package io.imsm.server.apitoken;

import io.imsm.server.ImsmException;
import io.imsm.server.oauth.OAuthError;
import io.imsm.server.oauth.TokenExchangeGrant;
import io.imsm.server.oauth.TokenRequest;
import io.imsm.server.oauth.TokenResponse;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A person's user API token ({@code imsm_...}) as an RFC 8693 subject token at {@code /oauth2/token}: the
 * exchange gives the same delegated API token as {@code POST /api/v1/tokens/delegate}
 * ({@link ApiTokenService#delegate}), so the standard endpoint and IMSM's own agree.
 */
public final class ApiTokenSubjects implements TokenExchangeGrant.SubjectTokens {
    private final ApiTokenService tokens;

    public ApiTokenSubjects(ApiTokenService tokens) {
        this.tokens = Objects.requireNonNull(tokens);
    }

    @Override public String tokenType() { return TokenExchangeGrant.ACCESS_TOKEN_TYPE; }

    @Override public boolean reads(String token) { return ApiTokenFormat.parse(token).isPresent(); }

    @Override public Optional<TokenExchangeGrant.Subject> resolve(String token) { return Optional.empty(); }

    @Override
    public Optional<TokenResponse> exchange(String token, String audience, Set<String> scope, TokenRequest request) {
        if (audience == null) {
            throw OAuthError.invalidRequest("An API token is exchanged for one service: give audience.");
        }
        try {
            ApiTokenService.Delegated d = tokens.delegate(token, audience, scope, null, request.ip());
            long ttl = Math.max(0, Duration.between(d.issuedAt(), d.expiresAt()).toSeconds());
            return Optional.of(new TokenResponse(d.token(), "Bearer", ttl, null, String.join(" ", d.scopes()), null,
                    TokenExchangeGrant.ACCESS_TOKEN_TYPE));
        } catch (ImsmException.Invalid e) {
            throw OAuthError.invalidScope(e.getMessage());
        } catch (ImsmException.Unauthenticated | ImsmException.Forbidden e) {
            throw OAuthError.invalidGrant(e.getMessage());
        }
    }
}
