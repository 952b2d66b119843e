package io.imsm.protocol;

import java.security.MessageDigest;
import java.util.Objects;

/**
 * The two 32-byte session secrets derived by KX1: {@code mac_key = OKM[0..32)} MACs the session
 * tokens (HS256), {@code enc_key = OKM[32..64)} encrypts their {@code enc} claim (A256GCM). The arrays
 * are copied in and out, {@link #toString()} never shows them and {@link #equals} is constant-time.
 */
public record SessionKeys(byte[] macKey, byte[] encKey) {
    public static final int KEY_LENGTH = 32;

    public SessionKeys {
        macKey = copy(macKey, "macKey");
        encKey = copy(encKey, "encKey");
    }

    private static byte[] copy(byte[] key, String name) {
        Objects.requireNonNull(key, name);
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException(name + " must be " + KEY_LENGTH + " bytes");
        }
        return key.clone();
    }

    @Override public byte[] macKey() { return macKey.clone(); }

    @Override public byte[] encKey() { return encKey.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionKeys k
                && MessageDigest.isEqual(macKey, k.macKey) & MessageDigest.isEqual(encKey, k.encKey);
    }

    /** Constant: a hash of secret bytes would leak some of them, and these are not map keys. */
    @Override public int hashCode() { return SessionKeys.class.hashCode(); }

    @Override public String toString() { return "SessionKeys[macKey=<hidden>, encKey=<hidden>]"; }
}
