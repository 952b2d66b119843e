package io.imsm.server.identity;

import com.password4j.Password;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Argon2id hashing (PHC string format) through BouncyCastle ({@link Argon2id}). bcrypt hashes from
 * imports are accepted (checked by Password4j) and reported as needing a rehash, so the next
 * successful login upgrades them to Argon2id.
 *
 * <p>Every hash and verification holds one of {@code passwords.max_concurrent_hashes} permits: an
 * Argon2id run holds its memory cost (19 MiB by default) of heap, and requests run on unbounded
 * virtual threads, so without a bound a burst of logins could exhaust the heap. A caller that finds
 * every permit taken waits a short while, then gets {@code 503 server_busy} with {@code Retry-After}.
 */
public final class PasswordHasher {
    private final Argon2id argon2;
    private final String dummyHash;
    private final Semaphore permits;
    private final long queueTimeoutMillis;

    public PasswordHasher(Config.Passwords cfg, SecureRandom random) {
        Objects.requireNonNull(cfg);
        this.argon2 = new Argon2id(new Argon2id.Cost(cfg.argon2MemoryKib(), cfg.argon2Iterations(), cfg.argon2Parallelism()),
                random);
        this.permits = new Semaphore(cfg.effectiveMaxConcurrentHashes(), true);
        this.queueTimeoutMillis = cfg.hashQueueTimeoutMillis();
        // random bytes at the configured cost, not a hash computed here: an Argon2 run on the main thread
        // cost every start about 0.3 s of CPU before the first request (docs/benchmarks.md, start-up)
        this.dummyHash = argon2.unmatchable();
    }

    public String hash(String password) {
        return bounded(() -> argon2.hash(password));
    }

    private <T> T bounded(Supplier<T> work) {
        boolean acquired;
        try {
            acquired = permits.tryAcquire(queueTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            throw new ImsmException.Unavailable(ErrorCode.SERVER_BUSY,
                    "The server is busy checking other passwords. Try again in a moment.", 1);
        }
        try {
            return work.get();
        } finally {
            permits.release();
        }
    }

    private boolean boundedCheck(BooleanSupplier check) {
        return bounded(check::getAsBoolean);
    }

    /** True when {@code password} matches {@code storedHash} (Argon2 PHC string or bcrypt $2a/$2b/$2y$). */
    public boolean verify(String password, String storedHash) {
        if (password == null || storedHash == null) {
            return false;
        }
        if (isBcrypt(storedHash)) {
            return boundedCheck(() -> Password.check(password, storedHash).withBcrypt());
        }
        if (storedHash.startsWith("$argon2")) {
            return boundedCheck(() -> Argon2id.verify(password, storedHash));
        }
        return false;
    }

    /** Spends the same work as a real verification, so an unknown username takes as long as a known one. */
    public void burn(String password) {
        verify(password == null ? "" : password, dummyHash);
    }

    public boolean needsRehash(String storedHash) {
        return storedHash == null || isBcrypt(storedHash) || !storedHash.startsWith(argon2.cost().prefix());
    }

    /** Modular crypt format of bcrypt: $2x$NN$ + 53 characters of bcrypt's base64. */
    public static boolean isWellFormedBcrypt(String hash) {
        return hash != null && hash.matches("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    }

    public static boolean isBcrypt(String hash) {
        return hash.startsWith("$2a$") || hash.startsWith("$2b$") || hash.startsWith("$2y$");
    }
}
