package io.imsm.server.oauth;

import java.util.Objects;

/**
 * An error the OAuth endpoints answer as RFC 6749 §5.2 JSON ({@code error}, {@code error_description}),
 * not as problem JSON: off-the-shelf clients read these names.
 */
public final class OAuthError extends RuntimeException {
    private final String error;
    private final int status;

    public OAuthError(String error, int status, String description) {
        super(Objects.requireNonNull(description));
        this.error = Objects.requireNonNull(error);
        this.status = status;
    }

    public String error() { return error; }
    public int status() { return status; }
    public String description() { return getMessage(); }

    /** RFC 6749 §5.2: 401 with {@code WWW-Authenticate} when the client tried to authenticate. */
    public static OAuthError invalidClient(String d) { return new OAuthError("invalid_client", 401, d); }
    public static OAuthError invalidRequest(String d) { return new OAuthError("invalid_request", 400, d); }
    public static OAuthError invalidGrant(String d) { return new OAuthError("invalid_grant", 400, d); }
    public static OAuthError unauthorizedClient(String d) { return new OAuthError("unauthorized_client", 400, d); }
    public static OAuthError unsupportedGrantType(String d) { return new OAuthError("unsupported_grant_type", 400, d); }
    public static OAuthError invalidScope(String d) { return new OAuthError("invalid_scope", 400, d); }
    public static OAuthError invalidToken(String d) { return new OAuthError("invalid_token", 401, d); }
    public static OAuthError invalidTarget(String d) { return new OAuthError("invalid_target", 400, d); }
    public static OAuthError accessDenied(String d) { return new OAuthError("access_denied", 400, d); }
    /** RFC 8628 §3.5 */
    public static OAuthError authorizationPending() { return new OAuthError("authorization_pending", 400, "The person has not confirmed the code yet."); }
    public static OAuthError slowDown() { return new OAuthError("slow_down", 400, "Polling too fast; wait 5 seconds longer."); }
    public static OAuthError expiredToken() { return new OAuthError("expired_token", 400, "The device code has expired; start again."); }
}
