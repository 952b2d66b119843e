package io.imsm.server.identity;

import io.imsm.server.keys.RecoveryCodeKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Single-use recovery codes: 10 characters from a 31-symbol alphabet without look-alikes (no i, l,
 * o, 0, 1), so 10 x log2(31) = 49.5 bits each, shown as {@code xxxxx-xxxxx}, stored as HMAC-SHA256 under the {@link RecoveryCodeKey} (their entropy
 * makes a slow hash unnecessary and login attempts are rate limited; the key keeps a database copy
 * alone from being enough to recover them). Rows written before the key existed hold a plain SHA-256
 * and stay usable until the person gets new codes.
 */
public final class RecoveryCodes {
    private static final char[] ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789".toCharArray();

    private RecoveryCodes() {}

    public static List<String> generate(Secrets secrets, int count) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder(11);
            for (int j = 0; j < 10; j++) {
                if (j == 5) {
                    sb.append('-');
                }
                sb.append(ALPHABET[secrets.random().nextInt(ALPHABET.length)]);
            }
            out.add(sb.toString());
        }
        return out;
    }

    public static boolean looksLikeOne(String code) {
        return code != null && normalize(code).matches("[a-z0-9]{10}");
    }

    public static String hash(String code, RecoveryCodeKey key) {
        return key.hmacHex(normalize(code));
    }

    /** The unkeyed hash of rows written before recovery codes were keyed ({@code recovery_codes.keyed = false}). */
    public static String legacyHash(String code) {
        return Secrets.sha256Hex(normalize(code));
    }

    private static String normalize(String code) {
        return code.trim().toLowerCase(Locale.ROOT).replace("-", "").replace(" ", "");
    }
}
