package io.imsm.server.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.imsm.protocol.JwkUtil;
import io.imsm.server.store.Database;
import io.imsm.server.store.KeyStore;

import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;

/** The IMS's ES256 signing keys: generated on first start, stored encrypted, published as JWKS. */
public final class SigningKeys {
    private final Database db;
    private final KeyStore store;
    private final KeyEncryptionKey kek;
    private final Clock clock;
    private final SecureRandom random;
    private volatile ECKey active;
    private volatile JWKSet publicSet;

    public SigningKeys(Database db, KeyStore store, KeyEncryptionKey kek, Clock clock, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.kek = Objects.requireNonNull(kek);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    /** Loads the keys, generating the first ES256 key when there is none. Returns true if one was generated. */
    public boolean loadOrGenerate() {
        boolean generated = db.inTransaction(h -> {
            if (!store.list(h).isEmpty()) {
                return false;
            }
            ECKey key = generate();
            store.insert(h, new KeyStore.StoredKey(key.getKeyID(), "ES256", kek.encrypt(key.toJSONString(), KeyStore.privateKeyContext(key.getKeyID())),
                    key.toPublicJWK().toJSONString(), "active", clock.instant()));
            return true;
        });
        // Keys stored before row binding are bound now: this is their only write besides a KEK rotation.
        db.inTransaction(h -> {
            for (KeyStore.StoredKey k : store.list(h)) {
                if (KeyEncryptionKey.isUnbound(k.privateJwkEnc())) {
                    String ctx = KeyStore.privateKeyContext(k.kid());
                    store.replacePrivateEnc(h, k.kid(), kek.encrypt(kek.decrypt(k.privateJwkEnc(), ctx), ctx));
                }
            }
            return null;
        });
        List<KeyStore.StoredKey> keys = db.read(store::list);
        ECKey current = null;
        for (KeyStore.StoredKey k : keys) {
            if ("active".equals(k.status())) {
                try {
                    current = ECKey.parse(kek.decrypt(k.privateJwkEnc(), KeyStore.privateKeyContext(k.kid())));
                } catch (ParseException e) {
                    throw new IllegalStateException("stored signing key " + k.kid() + " is not a JWK", e);
                }
            }
        }
        if (current == null) {
            throw new IllegalStateException("no active signing key");
        }
        active = current;
        publicSet = JwkUtil.publicSet(keys.stream().map(k -> {
            try {
                return ECKey.parse(k.publicJwk());
            } catch (ParseException e) {
                throw new IllegalStateException(e);
            }
        }).toList());
        return generated;
    }

    private ECKey generate() {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .secureRandom(random).generate();
            return new ECKey.Builder(key).keyID(JwkUtil.thumbprint(key)).build();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate an ES256 key", e);
        }
    }

    public boolean isLoaded() { return active != null; }

    /** The active private key, for the token service. */
    public ECKey activeKey() {
        ECKey k = active;
        if (k == null) {
            throw new IllegalStateException("signing keys are not loaded");
        }
        return k;
    }

    /** The public JWKS document. */
    public JWKSet jwks() {
        return publicSet == null ? new JWKSet() : publicSet;
    }
}
