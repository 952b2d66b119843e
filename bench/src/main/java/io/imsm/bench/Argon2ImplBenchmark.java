package io.imsm.bench;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Password4j's Argon2id against BouncyCastle's ({@link Argon2BytesGenerator}) at the configured
 * default cost (m=19 MiB, t=2, p=1, 32-byte hash): one login's verification of a stored PHC string
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}). Both read the same stored hash, so the setup
 * also proves that BouncyCastle computes exactly the hash Password4j stored. Run with {@code -prof gc}
 * for the bytes allocated per verification.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class Argon2ImplBenchmark {
    static final int MEMORY_KIB = 19456;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    static final String PASSWORD = "correct horse battery staple";

    Argon2Function password4j;
    String stored;
    byte[] salt;
    byte[] expected;

    @Setup
    public void setUp() {
        password4j = Argon2Function.getInstance(MEMORY_KIB, ITERATIONS, PARALLELISM, 32, Argon2.ID);
        stored = Password.hash(PASSWORD).addRandomSalt(16).with(password4j).getResult();
        // $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, both unpadded standard base64 (PHC string format)
        String[] parts = stored.split("\\$");
        salt = Base64.getDecoder().decode(parts[4]);
        expected = Base64.getDecoder().decode(parts[5]);
        if (!bouncyCastleVerify()) {
            throw new IllegalStateException("BouncyCastle does not reproduce Password4j's hash: " + stored);
        }
    }

    @Benchmark
    public boolean password4jVerify() {
        return Password.check(PASSWORD, stored).with(Argon2Function.getInstanceFromHash(stored));
    }

    @Benchmark
    public boolean bouncyCastleVerify() {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withMemoryAsKB(MEMORY_KIB).withIterations(ITERATIONS)
                .withParallelism(PARALLELISM).withSalt(salt).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[expected.length];
        generator.generateBytes(PASSWORD.getBytes(StandardCharsets.UTF_8), out);
        return MessageDigest.isEqual(out, expected);
    }
}
