package io.imsm.server.oauth;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.ApiTokenCallers;
import io.imsm.server.identity.Caller;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * IMSM's own OAuth access tokens as bearer tokens on IMSM's API (docs/decisions/0017): a person's token
 * whose {@code aud} holds IMSM's issuer acts for that person with the token's scopes, as a user API token
 * does. A service's token (client credentials) has no person to act for and is refused here.
 */
public final class AccessTokenCallers implements ApiTokenCallers {
    private final OAuthTokens tokens;
    private final Supplier<String> issuer;

    public AccessTokenCallers(OAuthTokens tokens, Supplier<String> issuer) {
        this.tokens = Objects.requireNonNull(tokens);
        this.issuer = Objects.requireNonNull(issuer);
    }

    @Override
    public Optional<Caller> callerFor(String token, String ip) {
        if (!looksLikeJwt(token)) {
            return Optional.empty();
        }
        OAuthTokens.Presented p = tokens.presentedTo(token, issuer.get())
                .orElseThrow(() -> new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The bearer token is not valid."));
        if (!p.forPerson()) {
            throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN,
                    "A service's access token does not act on IMSM's API; use a person's token.");
        }
        return Optional.of(Caller.apiToken(p.person(), p.scopes(), ip));
    }

    /** The compact JWS form (RFC 7515 §7.1): three base64url parts. */
    public static boolean looksLikeJwt(String token) {
        if (token == null || token.length() > 8192) {
            return false;
        }
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch == '.') {
                dots++;
            } else if (!(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_')) {
                return false;
            }
        }
        return dots == 2;
    }
}
