package io.imsm.server.identity;

import com.password4j.Password;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.testing.MutableClock;
import me.gosimple.nbvcxz.resources.ConfigurationBuilder;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Password hashing, password policy, TOTP (RFC 6238 vectors) and recovery codes. */
class CredentialsTest {
    final PasswordHasher hasher = new PasswordHasher(new Config.Passwords(1024, 1, 1, 12, 3, 0, 1000), new SecureRandom());

    @Test
    void whenHashing_thenArgon2idPhcWithConfiguredCostAndRandomSalt() {
        String a = hasher.hash("correct horse battery");
        String b = hasher.hash("correct horse battery");
        assertThat(a).startsWith("$argon2id$v=19$m=1024,t=1,p=1$").isNotEqualTo(b);
        assertThat(hasher.verify("correct horse battery", a)).isTrue();
        assertThat(hasher.verify("correct horse batterY", a)).isFalse();
        assertThat(hasher.needsRehash(a)).isFalse();
        assertThat(new PasswordHasher(new Config.Passwords(2048, 2, 1, 12, 3, 0, 1000), new SecureRandom()).needsRehash(a)).as("cost raised").isTrue();
    }

    @Test
    void whenUnknownUsersPasswordIsBurned_thenTheStandInHashHasARealHashsShapeAndMatchesNothing() {
        // the stand-in for unknown users is made without an Argon2 run (start-up); a verification against it
        // must still parse it and run Argon2id at the configured cost, as against a stored hash
        Argon2id argon2 = new Argon2id(new Argon2id.Cost(1024, 1, 1), new SecureRandom());
        String real = argon2.hash("correct horse battery");
        String standIn = argon2.unmatchable();
        String[] realParts = real.split("\\$");
        String[] standInParts = standIn.split("\\$");
        assertThat(standInParts).hasSameSizeAs(realParts);
        assertThat(standIn).startsWith("$argon2id$v=19$m=1024,t=1,p=1$").isNotEqualTo(argon2.unmatchable());
        for (int i = 0; i < realParts.length; i++) {
            assertThat(standInParts[i]).as("part " + i).hasSameSizeAs(realParts[i]);
        }
        for (String pw : List.of("", "correct horse battery", "imsm-dummy-password-for-timing")) {
            assertThat(Argon2id.verify(pw, standIn)).as(pw).isFalse();
        }
    }

    @Test
    void whenHashWasStoredByPassword4j_thenStillVerifies() {
        // hashes stored before the switch to BouncyCastle: same PHC format, same bytes of the password
        for (String pw : List.of("correct horse battery", "Grüße aus Zürich ✓ 密码")) {
            String stored = Password.hash(pw).addRandomSalt(16)
                    .with(com.password4j.Argon2Function.getInstance(1024, 1, 1, 32, com.password4j.types.Argon2.ID)).getResult();
            assertThat(hasher.verify(pw, stored)).as(pw).isTrue();
            assertThat(hasher.verify(pw + "x", stored)).isFalse();
            assertThat(hasher.needsRehash(stored)).isFalse();
        }
    }

    @Test
    void whenStoredArgon2StringIsTamperedOrAsksTooMuch_thenRefusedWithoutHashing() {
        String a = hasher.hash("correct horse battery");
        assertThat(hasher.verify("correct horse battery", a.replace("m=1024", "m=99999999"))).isFalse();
        assertThat(hasher.verify("correct horse battery", a.replace("$argon2id$", "$argon2i$"))).isFalse();
        assertThat(hasher.verify("correct horse battery", a.substring(0, a.length() - 4))).isFalse();
        assertThat(hasher.verify("correct horse battery", a + "$extra")).isFalse();
    }

    @Test
    void whenStoredHashIsBcrypt_thenVerifiedAndMarkedForRehash() {
        String bcrypt = Password.hash("imported password").withBcrypt().getResult();
        assertThat(PasswordHasher.isWellFormedBcrypt(bcrypt)).isTrue();
        assertThat(hasher.verify("imported password", bcrypt)).isTrue();
        assertThat(hasher.verify("imported passwort", bcrypt)).isFalse();
        assertThat(hasher.needsRehash(bcrypt)).isTrue();
        assertThat(PasswordHasher.isWellFormedBcrypt("$2b$10$tooShort")).isFalse();
        assertThat(hasher.verify("x", "plaintext-in-db")).as("unknown formats never verify").isFalse();
    }

    @Test
    void whenPasswordIsWeak_thenPolicyNamesTheRule() {
        PasswordPolicy p = new PasswordPolicy(12, 3);
        assertThatThrownBy(() -> p.check("alice", "short")).hasMessageContaining("at least 12");
        assertThatThrownBy(() -> p.check("alice-the-admin", "Alice-The-Admin")).hasMessageContaining("username");
        assertThatThrownBy(() -> p.check("alice", "x".repeat(257))).hasMessageContaining("at most");
        p.check("alice", "a sentence that is long enough");
    }

    @Test
    void whenPasswordIsCommonOrPatterned_thenRefusedWithTheEstimatorsAdvice() {
        PasswordPolicy p = new PasswordPolicy(12, 3);
        for (String weak : List.of("password1234", "PasswordPassword", "qwertyuiop123", "123456789012", "iloveyou2024!")) {
            assertThatThrownBy(() -> p.check("alice", weak)).as(weak).isInstanceOf(ImsmException.Invalid.class)
                    .hasMessageStartingWith("This password is too easy to guess")
                    .satisfies(e -> assertThat(((ImsmException) e).code()).isEqualTo(ErrorCode.WEAK_PASSWORD));
        }
        assertThatThrownBy(() -> p.check("alice", "password1234")).hasMessageContaining("common password");
        // the username counts as a known word: long, but guessable for whoever knows the account
        assertThatThrownBy(() -> p.check("rosalind.franklin", "rosalind.franklin1")).hasMessageContaining("too easy");
        p.check("alice", "velvet cactus orbit lantern");
        p.check("alice", "Tz8-kQw2-Lm9x");
    }

    @Test
    void whenNoPasswordIsCheckedForAWhile_thenTheWordListsLeaveMemoryAndComeBackForTheNextCheck() {
        MutableClock clock = MutableClock.startingNow();
        AtomicInteger reads = new AtomicInteger();
        PasswordPolicy p = new PasswordPolicy(12, 3, clock, () -> {
            reads.incrementAndGet();
            return ConfigurationBuilder.getDefaultDictionaries();
        });
        // not read at start-up (18 MB of heap and 0.7 s), nor for a password too short to estimate
        assertThatThrownBy(() -> p.check("alice", "short")).hasMessageContaining("at least 12");
        assertThat(p.holdsDictionaries()).isFalse();
        assertThat(reads).hasValue(0);

        assertThatThrownBy(() -> p.check("alice", "password1234")).hasMessageContaining("common password");
        assertThat(p.holdsDictionaries()).isTrue();
        clock.advance(PasswordPolicy.KEEP_DICTIONARIES.minusSeconds(1));
        p.check("alice", "velvet cactus orbit lantern");
        clock.advance(PasswordPolicy.KEEP_DICTIONARIES.minusSeconds(1));
        assertThat(p.holdsDictionaries()).as("each check keeps them another while").isTrue();
        assertThat(reads).hasValue(1);

        clock.advance(Duration.ofSeconds(2));
        assertThat(p.holdsDictionaries()).isFalse();
        assertThatThrownBy(() -> p.check("alice", "password1234")).hasMessageContaining("common password");
        assertThat(reads).hasValue(2);
    }

    @Test
    void whenMinStrengthIsZero_thenOnlyLengthAndUsernameRulesApply() {
        PasswordPolicy p = new PasswordPolicy(12, 0);
        p.check("alice", "password1234");
        assertThatThrownBy(() -> p.check("alice", "password")).hasMessageContaining("at least 12");
        assertThatThrownBy(() -> new PasswordPolicy(12, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenRfc6238Vectors_thenCodesMatch() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890"; 6-digit codes are the last 6 digits.
        String secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assertThat(Totp.code(secret, Instant.ofEpochSecond(59))).isEqualTo("287082");
        assertThat(Totp.code(secret, Instant.ofEpochSecond(1111111109))).isEqualTo("081804");
        assertThat(Totp.code(secret, Instant.ofEpochSecond(2000000000))).isEqualTo("279037");
    }

    @Test
    void whenCodeIsOneStepOff_thenAccepted_butTwoStepsOffRefused() {
        String secret = Totp.newSecret(new Secrets(new SecureRandom()));
        Instant now = Instant.ofEpochSecond(1_800_000_000L);
        long step = now.getEpochSecond() / 30;
        assertThat(Totp.matchingStep(secret, Totp.code(secret, now.minusSeconds(30)), now)).hasValue(step - 1);
        assertThat(Totp.matchingStep(secret, Totp.code(secret, now.plusSeconds(30)), now)).hasValue(step + 1);
        assertThat(Totp.matchingStep(secret, Totp.code(secret, now.minusSeconds(60)), now)).isEmpty();
        assertThat(Totp.matchingStep(secret, "12345", now)).isEmpty();
        assertThat(Totp.matchingStep(secret, "abcdef", now)).isEmpty();
        assertThat(Totp.otpauthUri("IMSM example", "bob", secret)).startsWith("otpauth://totp/IMSM%20example:bob?secret=" + secret);
    }

    @Test
    void whenRecoveryCodesGenerated_thenDistinctFormattedAndHashedNormalized() {
        var codes = RecoveryCodes.generate(new Secrets(new SecureRandom()), 10);
        assertThat(codes).hasSize(10).doesNotHaveDuplicates().allMatch(c -> c.matches("[a-z2-9]{5}-[a-z2-9]{5}"));
        String c = codes.get(0);
        assertThat(RecoveryCodes.legacyHash(c.toUpperCase().replace("-", " "))).isEqualTo(RecoveryCodes.legacyHash(c));
        assertThat(RecoveryCodes.legacyHash(c)).hasSize(64).doesNotContain(c);
    }
}
