package io.imsm.server.identity;

import io.imsm.server.keys.KeyEncryptionKey;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * How a login name that matches no account is written to the audit log and the text log: as a keyed
 * hash ({@code unknown:} + the first 16 hex digits of HMAC-SHA256 under a key derived from the
 * key-encryption key). People type passwords into the name field; a plain hash of such a guessable
 * string could be reversed by trying candidates, a keyed one cannot without the key. The same name
 * always gives the same value, so repeated attempts with one name still show up together.
 */
public final class LoginNames {
    static final String PREFIX = "unknown:";
    private final SecretKeySpec key;

    public LoginNames(KeyEncryptionKey kek) {
        this.key = new SecretKeySpec(Objects.requireNonNull(kek).deriveKey("imsm unknown login names v1"), "HmacSHA256");
    }

    /** The value to record for a name that is not an account. */
    public String unknown(String typed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            String normalized = typed == null ? "" : typed.trim().toLowerCase(Locale.ROOT);
            byte[] d = mac.doFinal(normalized.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(d, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
