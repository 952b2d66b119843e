package io.imsm.server.apitoken;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of a user API token: {@code imsm_<key>.<secret>}. The key finds the row; only a SHA-256 of
 * the secret is stored. Both parts are URL-safe base64 of random bytes (16 for the key, 32 for the secret).
 */
record ApiTokenFormat(String key, String secret) {
    static final String PREFIX = "imsm_";
    private static final Pattern FORM = Pattern.compile("imsm_([A-Za-z0-9_-]{16,32})\\.([A-Za-z0-9_-]{32,64})");

    static Optional<ApiTokenFormat> parse(String token) {
        if (token == null || token.length() > 120 || !token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(token);
        return m.matches() ? Optional.of(new ApiTokenFormat(m.group(1), m.group(2))) : Optional.empty();
    }

    String token() {
        return PREFIX + key + "." + secret;
    }

    @Override public String toString() { return "ApiTokenFormat[key=" + key + "]"; }
}
