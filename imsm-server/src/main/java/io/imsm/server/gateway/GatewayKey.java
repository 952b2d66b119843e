package io.imsm.server.gateway;

import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.keys.SecretSettings;
import io.imsm.server.store.Database;
import io.imsm.server.store.SettingsStore;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The gateway's own secp256k1 identity: generated on first start, stored in the settings table as a
 * JWE under the key-encryption key (bound to its row, re-encrypted by {@code imsm kek rotate}). Its
 * address is published at {@code GET /api/v1/gateway} and in every DC-DDO; {@code encryptedDC} values
 * are encrypted to its public key.
 */
public final class GatewayKey {
    /** The settings row; {@code keys.KekRotation} lists it among the values it re-encrypts. */
    public static final String SETTING = "gateway_key";

    private final Database db;
    private final SettingsStore settings;
    private final KeyEncryptionKey kek;
    private final SecureRandom random;
    private volatile Loaded loaded;

    private record Loaded(BigInteger privateKey, ECPoint publicKey, EthAddress address) {}

    public GatewayKey(Database db, SettingsStore settings, KeyEncryptionKey kek, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.settings = Objects.requireNonNull(settings);
        this.kek = Objects.requireNonNull(kek);
        this.random = Objects.requireNonNull(random);
    }

    /** Reads the key, generating it on the first start (after migrations). */
    public void loadOrGenerate() {
        String hex = SecretSettings.loadOrCreate(db, settings, kek, SETTING,
                () -> HexFormat.of().formatHex(BigIntegers.asUnsignedByteArray(32, Secp256k1.newPrivateKey(random))));
        BigInteger d = new BigInteger(1, HexFormat.of().parseHex(hex));
        ECPoint q = Secp256k1.publicPoint(d);
        loaded = new Loaded(d, q, EthAddress.ofPublicKey(Secp256k1.uncompressed(q)));
    }

    private Loaded key() {
        Loaded k = loaded;
        if (k == null) {
            throw new IllegalStateException("the gateway key is not loaded");
        }
        return k;
    }

    public EthAddress address() { return key().address(); }

    public ECPoint publicKey() { return key().publicKey(); }

    /** Opens an {@code encryptedDC} value (see {@link Ecies}). */
    byte[] decrypt(String encrypted, String additionalData) {
        return Ecies.decrypt(key().privateKey(), encrypted, additionalData);
    }
}
