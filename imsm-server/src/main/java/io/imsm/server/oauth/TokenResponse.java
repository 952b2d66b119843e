package io.imsm.server.oauth;

/** RFC 6749 §5.1 (and RFC 8693 §2.2.1 {@code issued_token_type}); null members are left out. */
public record TokenResponse(String accessToken, String tokenType, long expiresIn, String refreshToken, String scope, String idToken,
                            String issuedTokenType) {
    public static TokenResponse bearer(String accessToken, long expiresIn, String scope) {
        return new TokenResponse(accessToken, "Bearer", expiresIn, null, scope, null, null);
    }
}
