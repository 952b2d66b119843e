package io.imsm.server.identity;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import io.imsm.server.config.Config;

import java.util.Objects;

/**
 * Argon2id hashing (PHC string format) through Password4j. bcrypt hashes from imports are accepted
 * and reported as needing a rehash, so the next successful login upgrades them to Argon2id.
 */
public final class PasswordHasher {
    private final Argon2Function argon2;
    private final String dummyHash;

    public PasswordHasher(Config.Passwords cfg) {
        Objects.requireNonNull(cfg);
        this.argon2 = Argon2Function.getInstance(cfg.argon2MemoryKib(), cfg.argon2Iterations(), cfg.argon2Parallelism(),
                32, Argon2.ID);
        this.dummyHash = hash("imsm-dummy-password-for-timing");
    }

    public String hash(String password) {
        return Password.hash(password).addRandomSalt(16).with(argon2).getResult();
    }

    /** True when {@code password} matches {@code storedHash} (Argon2 PHC string or bcrypt $2a/$2b/$2y$). */
    public boolean verify(String password, String storedHash) {
        if (password == null || storedHash == null) {
            return false;
        }
        if (isBcrypt(storedHash)) {
            return Password.check(password, storedHash).withBcrypt();
        }
        if (storedHash.startsWith("$argon2")) {
            return Password.check(password, storedHash).with(Argon2Function.getInstanceFromHash(storedHash));
        }
        return false;
    }

    /** Spends the same work as a real verification, so an unknown username takes as long as a known one. */
    public void burn(String password) {
        verify(password == null ? "" : password, dummyHash);
    }

    public boolean needsRehash(String storedHash) {
        return storedHash == null || isBcrypt(storedHash) || !storedHash.startsWith(argon2PhcPrefix());
    }

    private String argon2PhcPrefix() {
        return "$argon2id$v=19$m=" + argon2.getMemory() + ",t=" + argon2.getIterations() + ",p=" + argon2.getParallelism() + "$";
    }

    /** Modular crypt format of bcrypt: $2x$NN$ + 53 characters of bcrypt's base64. */
    public static boolean isWellFormedBcrypt(String hash) {
        return hash != null && hash.matches("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    }

    public static boolean isBcrypt(String hash) {
        return hash.startsWith("$2a$") || hash.startsWith("$2b$") || hash.startsWith("$2y$");
    }
}
