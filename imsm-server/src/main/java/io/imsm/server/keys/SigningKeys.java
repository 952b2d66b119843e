package io.imsm.server.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.imsm.protocol.JwkUtil;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.store.Database;
import io.imsm.server.store.KeyStore;

import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The IMS's ES256 signing keys: stored encrypted under the key-encryption key, published as JWKS, rotated.
 *
 * <p>A key lives through three stages. {@code next}: published in the JWKS, signs nothing, so every JWKS
 * consumer that refreshes its cache within {@link Rotation#publishAhead()} knows it before the first token
 * it signs. {@code active}: signs. {@code retired}: published until {@code publish_until}, the moment the
 * longest-lived token it may have signed has expired; then deleted. A rotation promotes {@code next} to
 * {@code active}, retires the active key and creates a new {@code next}; it is due when the {@code next}
 * key has waited {@link Rotation#period()}, and an operator may ask for it earlier once the {@code next}
 * key has been published for {@code publishAhead}.
 */
public final class SigningKeys {
    public static final String NEXT = "next";
    public static final String ACTIVE = "active";
    public static final String RETIRED = "retired";

    /**
     * @param period          how long a key waits as {@code next} (and then signs) before the next rotation
     * @param publishAhead    how long a key is published before it may sign
     * @param longestLifetime the longest lifetime of any token the keys sign; a retired key stays this long
     */
    public record Rotation(Duration period, Duration publishAhead, Duration longestLifetime) {}

    /** What a rotation did. */
    public record Rotated(String retiredKid, String activeKid, String nextKid, Instant retiredPublishedUntil) {}

    private final Database db;
    private final KeyStore store;
    private final KeyEncryptionKey kek;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random;
    private final Rotation rotation;
    private volatile ECKey active;
    private volatile JWKSet publicSet;

    public SigningKeys(Database db, KeyStore store, KeyEncryptionKey kek, AuditLog audit, Clock clock, SecureRandom random, Rotation rotation) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.kek = Objects.requireNonNull(kek);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.rotation = Objects.requireNonNull(rotation);
    }

    /** Loads the keys, generating the first ES256 key (and its successor) when there is none. Returns true if one was generated. */
    public boolean loadOrGenerate() {
        boolean generated = db.inTransaction(h -> {
            List<KeyStore.StoredKey> keys = store.list(h);
            boolean none = keys.isEmpty();
            if (none) {
                insert(h, ACTIVE);
            }
            // Databases from before rotation have no successor yet: it is published from now on.
            if (keys.stream().noneMatch(k -> NEXT.equals(k.status()))) {
                insert(h, NEXT);
            }
            return none;
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
        reload();
        return generated;
    }

    /** Reads the keys again (another instance may have rotated them); called by the housekeeping. */
    public void reload() {
        List<KeyStore.StoredKey> keys = db.read(store::list);
        Instant now = clock.instant();
        ECKey current = null;
        for (KeyStore.StoredKey k : keys) {
            if (ACTIVE.equals(k.status())) {
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
        publicSet = JwkUtil.publicSet(keys.stream()
                .filter(k -> !RETIRED.equals(k.status()) || k.publishUntil() == null || !k.publishUntil().isBefore(now))
                .map(k -> {
                    try {
                        return ECKey.parse(k.publicJwk());
                    } catch (ParseException e) {
                        throw new IllegalStateException(e);
                    }
                }).toList());
    }

    /**
     * Rotates now (an operator's request): the {@code next} key signs from now on. Refused while the
     * {@code next} key has been published for less than {@code publishAhead}, since a JWKS consumer may
     * not know it yet.
     */
    public Rotated rotate(String actor, String ip) {
        Rotated r = db.inTransaction(h -> {
            Instant now = clock.instant();
            KeyStore.StoredKey next = stage(h, NEXT);
            Instant signsFrom = next.createdAt().plus(rotation.publishAhead());
            if (now.isBefore(signsFrom)) {
                throw new ImsmException.Conflict("The next signing key " + next.kid() + " has been published only since " + next.createdAt()
                        + "; JWKS consumers may not know it yet. It may sign from " + signsFrom + ".");
            }
            return rotateIn(h, next, now, actor, ip);
        });
        reload();
        return r;
    }

    /** Rotates when the schedule says so, and deletes retired keys no token needs; called by the housekeeping. */
    public Optional<Rotated> rotateIfDue() {
        Optional<Rotated> r = db.inTransaction(h -> {
            Instant now = clock.instant();
            int dropped = store.deleteRetiredBefore(h, now);
            if (dropped > 0) {
                audit.record(h, "schedule", "keys.retired_dropped", null, null, "ok", "count=" + dropped);
            }
            KeyStore.StoredKey next = stage(h, NEXT);
            if (now.isBefore(next.createdAt().plus(rotation.period()))) {
                return Optional.<Rotated>empty();
            }
            return Optional.of(rotateIn(h, next, now, "schedule", null));
        });
        reload();
        return r;
    }

    private Rotated rotateIn(org.jdbi.v3.core.Handle h, KeyStore.StoredKey next, Instant now, String actor, String ip) {
        KeyStore.StoredKey current = stage(h, ACTIVE);
        Instant until = now.plus(rotation.longestLifetime());
        // Conditional updates: two instances rotating at once cannot both win.
        if (!store.changeStatus(h, current.kid(), ACTIVE, RETIRED, until) || !store.changeStatus(h, next.kid(), NEXT, ACTIVE, null)) {
            throw new ImsmException.Conflict("The signing keys were rotated at the same moment by another request; try again.");
        }
        ECKey newNext = insert(h, NEXT);
        audit.record(h, actor, "keys.rotate", next.kid(), ip, "ok", "retired=" + current.kid() + " next=" + newNext.getKeyID()
                + " retired_published_until=" + until);
        return new Rotated(current.kid(), next.kid(), newNext.getKeyID(), until);
    }

    private KeyStore.StoredKey stage(org.jdbi.v3.core.Handle h, String status) {
        return store.list(h).stream().filter(k -> status.equals(k.status())).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("no " + status + " signing key"));
    }

    private ECKey insert(org.jdbi.v3.core.Handle h, String status) {
        ECKey key = generate();
        store.insert(h, new KeyStore.StoredKey(key.getKeyID(), "ES256", kek.encrypt(key.toJSONString(), KeyStore.privateKeyContext(key.getKeyID())),
                key.toPublicJWK().toJSONString(), status, clock.instant()));
        return key;
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

    /** The public JWKS document: the next, the active and the retired keys still needed. */
    public JWKSet jwks() {
        return publicSet == null ? new JWKSet() : publicSet;
    }
}
