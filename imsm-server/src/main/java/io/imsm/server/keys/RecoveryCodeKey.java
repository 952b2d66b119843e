package io.imsm.server.keys;

import io.imsm.server.store.Database;
import io.imsm.server.store.SettingsStore;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The key recovery codes are hashed with (HMAC-SHA256). Recovery codes have 50 bits: a plain hash in
 * a stolen database copy could be brute-forced offline, a keyed one cannot without this key. The key
 * is random and stored in the settings table encrypted under the key-encryption key (bound to its row),
 * rather than derived from the KEK, so that {@code imsm kek rotate} re-encrypts it and the codes people
 * hold keep working after a rotation (see docs/decisions/0008-keyed-recovery-codes.md).
 */
public final class RecoveryCodeKey {
    public static final String SETTING = "recovery_code_key";
    public static final String CONTEXT = SecretSettings.context(SETTING);

    private final Database db;
    private final SettingsStore settings;
    private final KeyEncryptionKey kek;
    private final SecureRandom random;
    private volatile SecretKeySpec key;

    public RecoveryCodeKey(Database db, SettingsStore settings, KeyEncryptionKey kek, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.settings = Objects.requireNonNull(settings);
        this.kek = Objects.requireNonNull(kek);
        this.random = Objects.requireNonNull(random);
    }

    /** Reads the key, generating it on the first start (after migrations). */
    public void loadOrGenerate() {
        String value = SecretSettings.loadOrCreate(db, settings, kek, SETTING, () -> {
            byte[] raw = new byte[32];
            random.nextBytes(raw);
            return Base64.getEncoder().encodeToString(raw);
        });
        key = new SecretKeySpec(Base64.getDecoder().decode(value), "HmacSHA256");
    }

    /** HMAC-SHA256 hex of a normalized code. */
    public String hmacHex(String normalized) {
        SecretKeySpec k = key;
        if (k == null) {
            throw new IllegalStateException("the recovery-code key is not loaded");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(k);
            return HexFormat.of().formatHex(mac.doFinal(normalized.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
