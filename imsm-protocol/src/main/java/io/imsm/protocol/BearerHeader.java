package io.imsm.protocol;

/** Reads the {@code Authorization: Bearer} header (RFC 6750 section 2.1), for the IMS and the services alike. */
public final class BearerHeader {
    private static final String SCHEME = "Bearer ";

    private BearerHeader() {}

    /**
     * The token of a {@code Bearer} Authorization header value (the scheme compared case-insensitively,
     * RFC 7235 section 2.1), or null when the value is absent, another scheme, or carries no token.
     */
    public static String token(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        if (value.length() <= SCHEME.length() || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return null;
        }
        String token = value.substring(SCHEME.length()).strip();
        return token.isEmpty() ? null : token;
    }
}
