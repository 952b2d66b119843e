package io.imsm.server.keys;

import io.imsm.server.store.Database;
import io.imsm.server.store.SettingsStore;

import java.util.function.Supplier;

/**
 * Settings rows whose value is a secret made once on the first start and stored as a JWE under the
 * key-encryption key, bound to its row (the recovery-code key, the gateway's key).
 */
public final class SecretSettings {
    private SecretSettings() {}

    /** The context a setting's ciphertext is bound to (see {@link KeyEncryptionKey#encrypt}). */
    public static String context(String name) {
        return KeyEncryptionKey.context("settings", "setting_value", name);
    }

    /** The plaintext of the setting {@code name}, made with {@code generate} and stored when there is none yet. */
    public static String loadOrCreate(Database db, SettingsStore settings, KeyEncryptionKey kek, String name, Supplier<String> generate) {
        String ctx = context(name);
        String stored = db.inTransaction(h -> settings.get(h, name).orElseGet(() -> {
            String enc = kek.encrypt(generate.get(), ctx);
            settings.put(h, name, enc);
            return enc;
        }));
        return kek.decrypt(stored, ctx);
    }
}
