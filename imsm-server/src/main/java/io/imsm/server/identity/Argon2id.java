package io.imsm.server.identity;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Argon2id (RFC 9106) through BouncyCastle's {@link Argon2BytesGenerator}, stored as a PHC string:
 * {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>}, salt and hash in unpadded
 * standard base64 — the format Password4j wrote, so every stored hash keeps verifying. BouncyCastle
 * was chosen over Password4j by docs/benchmarks.md: about 30 % faster per verification and a fifth of
 * the heap allocated per call at the default cost.
 */
final class Argon2id {
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{11,88})\\$([A-Za-z0-9+/]{22,88})");
    /** Bounds on what a stored string may ask for, so a tampered row cannot make a login allocate without limit. */
    private static final int MAX_MEMORY_KIB = 4 * 1024 * 1024;
    private static final int MAX_ITERATIONS = 100;
    private static final int MAX_PARALLELISM = 16;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    /** The cost parameters of one hash. */
    record Cost(int memoryKib, int iterations, int parallelism) {
        Cost {
            if (memoryKib < 8 * parallelism || memoryKib > MAX_MEMORY_KIB || iterations < 1 || iterations > MAX_ITERATIONS
                    || parallelism < 1 || parallelism > MAX_PARALLELISM) {
                throw new IllegalArgumentException("Argon2id cost out of range: m=" + memoryKib + ", t=" + iterations + ", p=" + parallelism);
            }
        }

        /** The PHC string up to the salt, e.g. {@code $argon2id$v=19$m=19456,t=2,p=1$}. */
        String prefix() {
            return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism + "$";
        }
    }

    private final Cost cost;
    private final SecureRandom random;

    Argon2id(Cost cost, SecureRandom random) {
        this.cost = Objects.requireNonNull(cost, "cost");
        this.random = Objects.requireNonNull(random, "random");
    }

    Cost cost() { return cost; }

    /** A new PHC string for {@code password} with a random 16-byte salt at the configured cost. */
    String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return phc(salt, derive(password, salt, cost, HASH_BYTES));
    }

    /**
     * A PHC string at the configured cost whose salt and hash are random bytes, not derived from any
     * password: verifying a password against it costs exactly one verification at this cost and fails
     * (but for a 2^-256 chance). Costs no Argon2 run to make, so a server start does not pay one.
     */
    String unmatchable() {
        byte[] salt = new byte[SALT_BYTES];
        byte[] hash = new byte[HASH_BYTES];
        random.nextBytes(salt);
        random.nextBytes(hash);
        return phc(salt, hash);
    }

    /** The PHC string at the configured cost for a salt and a hash. */
    private String phc(byte[] salt, byte[] hash) {
        return cost.prefix() + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    /** True when {@code phc} is an Argon2id PHC string (within the bounds) of {@code password}. */
    static boolean verify(String password, String phc) {
        Optional<Parsed> p = parse(phc);
        if (p.isEmpty()) {
            return false;
        }
        byte[] actual = derive(password, p.get().salt(), p.get().cost(), p.get().hash().length);
        return MessageDigest.isEqual(actual, p.get().hash());
    }

    private record Parsed(Cost cost, byte[] salt, byte[] hash) {}

    private static Optional<Parsed> parse(String phc) {
        if (phc == null) {
            return Optional.empty();
        }
        Matcher m = PHC.matcher(phc);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            Cost cost = new Cost(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
            return Optional.of(new Parsed(cost, Base64.getDecoder().decode(m.group(4)), Base64.getDecoder().decode(m.group(5))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] derive(String password, byte[] salt, Cost cost, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(cost.memoryKib()).withIterations(cost.iterations()).withParallelism(cost.parallelism())
                .withSalt(salt).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[length];
        try {
            generator.generateBytes(pw, out);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
        return out;
    }
}
