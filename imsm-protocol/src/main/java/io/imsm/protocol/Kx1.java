package io.imsm.protocol;

import com.nimbusds.jose.util.Base64URL;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

/** Constants of the KX1 wire contract (docs/protocol.md) and its random identifiers. */
public final class Kx1 {
    private Kx1() {}

    /** {@code typ} of offers, answers and revocations: explicit typing per RFC 8725 section 3.11. */
    public static final String MESSAGE_TYPE = "imsm-kx+jwt";
    /** {@code typ} of session tokens (RFC 7519 section 5.1). */
    public static final String TOKEN_TYPE = "JWT";
    /** {@code typ} of IMS-signed OAuth access tokens (RFC 9068), e.g. the certificate exchange's; ES256 tokens may have either. */
    public static final String ACCESS_TOKEN_TYPE = "at+jwt";
    /** An offer or revocation lives at most this long: {@code exp <= iat + 60 s}. */
    public static final Duration MAX_MESSAGE_LIFETIME = Duration.ofSeconds(60);
    /** The largest clock skew a verifier may allow. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);
    /**
     * The largest KX1 message (offer, answer, revocation) and session token, in bytes of its compact
     * serialization: far above any real message (an offer is under 1 KiB), small enough that reading
     * one from an untrusted peer costs nothing. Receivers read at most this much and refuse more.
     */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024;
    /** Prefix of the HKDF {@code info} string. */
    public static final String INFO_PREFIX = "IMSM-KX1|";
    /** HKDF output length in bytes: {@code mac_key || enc_key}. */
    public static final int OKM_LENGTH = 64;
    /** {@code type} of the RFC 9396 authorization_details entries IMSM understands. */
    public static final String HTTP_DETAIL_TYPE = "imsm:http";

    /** A fresh random 128-bit identifier, base64url without padding (22 characters): {@code jti}, {@code sid}. */
    public static String newId(SecureRandom random) {
        byte[] b = new byte[16];
        Objects.requireNonNull(random, "random").nextBytes(b);
        return Base64URL.encode(b).toString();
    }

    /**
     * Whether a {@code sid} or {@code jti} is acceptable on the wire: base64url alphabet, 1..128
     * characters. It is used as a {@code kid}, an HKDF salt and a URL path segment, so nothing else is
     * allowed in it.
     */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) { // [A-Za-z0-9_-]: a loop, not a regex, on every token's kid, sid and jti
            char c = id.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    static Duration checkSkew(Duration maxSkew) {
        Objects.requireNonNull(maxSkew, "maxSkew");
        if (maxSkew.isNegative() || maxSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("the clock skew must be between 0 and " + MAX_CLOCK_SKEW.toSeconds() + " s");
        }
        return maxSkew;
    }
}
