package io.imsm.bench;

import io.imsm.server.config.Config;
import io.imsm.server.identity.PasswordHasher;
import io.imsm.server.identity.Secrets;
import io.imsm.server.identity.Totp;
import io.imsm.server.keys.KeyEncryptionKey;
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

import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What one login costs on the server, piece by piece: the Argon2id verify at the default parameters
 * (the dominant cost by design), unwrapping the TOTP secret under the KEK, and checking a TOTP code.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LoginCostBenchmark {
    PasswordHasher defaults;
    String argon2Hash;
    KeyEncryptionKey kek;
    String sealedSecret;
    String secret;
    String code;
    Instant now;

    @Setup
    public void setup() throws Exception {
        defaults = new PasswordHasher(new Config.Passwords(19456, 2, 1, 12, 3, 0, 1000), new SecureRandom());
        argon2Hash = defaults.hash("a long enough passphrase");
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        kek = KeyEncryptionKey.load(Base64.getEncoder().encodeToString(raw), Files.createTempDirectory("bench"), new SecureRandom());
        secret = Totp.newSecret(new Secrets(new SecureRandom()));
        sealedSecret = kek.encrypt(secret, "users.totp_secret_enc:bench-user");
        now = Instant.now();
        code = Totp.code(secret, now);
    }

    @Benchmark
    public boolean argon2idVerifyDefaultCost() {
        return defaults.verify("a long enough passphrase", argon2Hash);
    }

    @Benchmark
    public String kekUnwrapTotpSecret() {
        return kek.decrypt(sealedSecret, "users.totp_secret_enc:bench-user");
    }

    @Benchmark
    public OptionalLong totpCheck() {
        return Totp.matchingStep(secret, code, now);
    }
}
