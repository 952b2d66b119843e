package io.imsm.server.keys;

import io.imsm.server.store.AccessRequestStore;
import io.imsm.server.store.CaStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.KeyStore;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.UserStore;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Re-encrypts every value stored under the key-encryption key (signing keys, TOTP secrets, the CA key, the
 * recovery-code key) from one KEK to another in one transaction: either all values move or none.
 * Values from before row binding are bound on the way. Meant to run with IMSM stopped
 * ({@code imsm kek rotate}); a server still running on the old key would fail to read new values.
 */
public final class KekRotation {
    public record Result(int signingKeys, int totpSecrets, int otherSecrets, int wereUnbound) {
        public int total() { return signingKeys + totpSecrets + otherSecrets; }
    }

    /**
     * Settings rows held under the KEK: the recovery-code key and the identity gateway's key
     * ({@code gateway.GatewayKey.SETTING}, spelled out here because gateway depends on keys).
     */
    public static final List<String> SECRET_SETTINGS = List.of(RecoveryCodeKey.SETTING, "gateway_key");

    private final Database db;
    private final KeyStore keys;
    private final UserStore users;
    private final SettingsStore settings;
    private final AccessRequestStore accessRequests;
    private final CaStore caKeys = new CaStore();

    public KekRotation(Database db, KeyStore keys, UserStore users, SettingsStore settings, AccessRequestStore accessRequests) {
        this.accessRequests = Objects.requireNonNull(accessRequests);
        this.db = Objects.requireNonNull(db);
        this.keys = Objects.requireNonNull(keys);
        this.users = Objects.requireNonNull(users);
        this.settings = Objects.requireNonNull(settings);
    }

    public Result rotate(KeyEncryptionKey from, KeyEncryptionKey to) {
        Objects.requireNonNull(from);
        Objects.requireNonNull(to);
        if (from.kid().equals(to.kid())) {
            throw new IllegalArgumentException("the new key-encryption key is the same as the old one");
        }
        return db.inTransaction(h -> {
            int signing = 0;
            int totp = 0;
            int other = 0;
            int unbound = 0;
            for (KeyStore.StoredKey k : keys.list(h)) {
                String ctx = KeyStore.privateKeyContext(k.kid());
                unbound += KeyEncryptionKey.isUnbound(k.privateJwkEnc()) ? 1 : 0;
                keys.replacePrivateEnc(h, k.kid(), to.encrypt(from.decrypt(k.privateJwkEnc(), ctx), ctx));
                signing++;
            }
            for (Map.Entry<String, String> e : users.totpSecrets(h).entrySet()) {
                String ctx = UserStore.totpSecretContext(e.getKey());
                unbound += KeyEncryptionKey.isUnbound(e.getValue()) ? 1 : 0;
                users.replaceTotpSecretEnc(h, e.getKey(), to.encrypt(from.decrypt(e.getValue(), ctx), ctx));
                totp++;
            }
            for (Map.Entry<String, String> e : accessRequests.encryptedRequests(h).entrySet()) {
                String ctx = AccessRequestStore.requestContext(e.getKey());
                accessRequests.replaceRequestEnc(h, e.getKey(), to.encrypt(from.decrypt(e.getValue(), ctx), ctx));
                other++;
            }
            for (String name : SECRET_SETTINGS) {
                var secret = settings.get(h, name);
                if (secret.isPresent()) {
                    String ctx = SecretSettings.context(name);
                    settings.put(h, name, to.encrypt(from.decrypt(secret.get(), ctx), ctx));
                    other++;
                }
            }
            for (CaStore.StoredCa ca : caKeys.list(h)) {
                String ctx = CaStore.privateKeyContext(ca.id());
                caKeys.replacePrivateEnc(h, ca.id(), to.encrypt(from.decrypt(ca.privateKeyEnc(), ctx), ctx));
                other++;
            }
            return new Result(signing, totp, other, unbound);
        });
    }
}
