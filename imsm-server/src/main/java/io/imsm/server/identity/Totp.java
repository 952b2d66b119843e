package io.imsm.server.identity;

import io.imsm.protocol.ConstantTime;
import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import org.apache.commons.codec.binary.Base32;

import javax.crypto.spec.SecretKeySpec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps — what authenticator apps expect) via java-otp.
 * A code is accepted for the current step and one step either side (RFC 6238 §5.2 network delay).
 */
public final class Totp {
    public static final Duration STEP = Duration.ofSeconds(30);
    private static final TimeBasedOneTimePasswordGenerator GENERATOR = new TimeBasedOneTimePasswordGenerator(STEP, 6);

    private Totp() {}

    /** A new 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 without padding. */
    public static String newSecret(Secrets secrets) {
        return new Base32().encodeToString(secrets.bytes(20)).replace("=", "");
    }

    public static String otpauthUri(String issuer, String account, String base32Secret) {
        String label = enc(issuer) + ":" + enc(account);
        return "otpauth://totp/" + label + "?secret=" + base32Secret + "&issuer=" + enc(issuer)
                + "&algorithm=SHA1&digits=6&period=30";
    }

    /** The code for a given instant (tests and enrollment use it). */
    public static String code(String base32Secret, Instant at) {
        try {
            return GENERATOR.generateOneTimePasswordString(key(base32Secret), at, Locale.ROOT);
        } catch (InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The time step whose code equals {@code code}, searching now-1..now+1; empty when none matches.
     * Comparison is constant-time per candidate.
     */
    public static OptionalLong matchingStep(String base32Secret, String code, Instant now) {
        if (code == null || !code.matches("\\d{6}")) {
            return OptionalLong.empty();
        }
        long current = now.getEpochSecond() / STEP.getSeconds();
        OptionalLong found = OptionalLong.empty();
        for (long step = current - 1; step <= current + 1; step++) {
            String expected = code(base32Secret, Instant.ofEpochSecond(step * STEP.getSeconds()));
            if (ConstantTime.equals(expected, code) && found.isEmpty()) {
                found = OptionalLong.of(step);
            }
        }
        return found;
    }

    private static SecretKeySpec key(String base32Secret) {
        return new SecretKeySpec(new Base32().decode(base32Secret), GENERATOR.getAlgorithm());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
