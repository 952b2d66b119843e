package io.imsm.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The one constant-time comparison of IMSM: protocol values (sid, nonce), CSRF tokens, TOTP codes,
 * bearer secrets. {@link MessageDigest#isEqual} does not exit early on the first differing byte, so
 * the time taken does not tell an attacker how much of a guess was right.
 */
public final class ConstantTime {
    private ConstantTime() {}

    /** True when both are non-null and have the same UTF-8 bytes; false for a null on either side. */
    public static boolean equals(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** True when both are non-null and equal: MACs and other secret bytes. */
    public static boolean equals(byte[] a, byte[] b) {
        return a != null && b != null && MessageDigest.isEqual(a, b);
    }
}
