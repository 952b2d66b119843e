package io.imsm.server.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.json.Json;
import org.bouncycastle.math.ec.ECPoint;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A compact JWS with {@code alg} ES256K (RFC 8812 §3.1) signed by an Ethereum-style account, as
 * holders and domain accounts send them. The signer's key is registered nowhere: it is recovered from
 * the signature and its address must be {@code iss}. Every other {@code alg} (none, HS256, ES256,
 * RS256 ...) is refused before any key is looked at, so there is nothing to confuse. Claims:
 * {@code iss}, {@code sub}, {@code aud} (the gateway), {@code iat}, {@code exp} (at most
 * {@code maxLifetime} ahead), {@code jti}; the caller checks the {@code jti} against the replay store.
 */
public final class Es256kJwt {
    /** Refused before any parsing: a holder's token has a few hundred characters. */
    public static final int MAX_CHARS = 4096;
    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    /** A subject (service agreement) id. */
    static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9:._-]{1,128}");
    private static final Pattern JTI = Pattern.compile("[\\x21-\\x7e]{8,128}");
    /** A member named twice (two {@code alg}s ...) is refused rather than read as the last one. */
    private static final ObjectReader STRICT = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** 9999-12-31T23:59:59Z. */
    private static final long MAX_NUMERIC_DATE = 253_402_300_799L;
    /** Clock difference tolerated between the signer and the gateway. */
    static final Duration SKEW = Duration.ofSeconds(30);

    private Es256kJwt() {}

    /** What a verified token says. {@code issuer} is the recovered signer's address. */
    public record Claims(EthAddress issuer, String subject, Instant issuedAt, Instant expiresAt, String jti) {}

    public static Claims verify(String token, EthAddress audience, Instant now, Duration maxLifetime) {
        if (token == null || token.length() > MAX_CHARS) {
            throw invalid("The token is missing or longer than " + MAX_CHARS + " characters.");
        }
        if (!COMPACT.matcher(token).matches()) {
            throw invalid("The token is not a compact JWS (three base64url parts without padding).");
        }
        String[] parts = token.split("\\.");
        JsonNode header = json(parts[0], "header");
        if (!"ES256K".equals(header.path("alg").textValue())) {
            throw invalid("Only alg ES256K is accepted here.");
        }
        if (header.has("crit") || (header.has("typ") && !"JWT".equals(header.path("typ").textValue()))) {
            throw invalid("The header has parameters this gateway does not understand.");
        }
        JsonNode claims = json(parts[1], "payload");
        byte[] signature = base64url(parts[2], "signature");
        if (signature.length != 64) {
            throw invalid("An ES256K signature is r || s, 64 bytes.");
        }
        EthAddress issuer = address(claims.path("iss").textValue(), "iss");
        String subject = claims.path("sub").textValue();
        if (subject == null || !SUBJECT.matcher(subject).matches()) {
            throw invalid("sub must be a subject id (1-128 letters, digits, ':', '.', '_', '-').");
        }
        String jti = claims.path("jti").textValue();
        if (jti == null || !JTI.matcher(jti).matches()) {
            throw invalid("jti must be 8-128 visible characters, new for every request.");
        }
        Instant iat = numericDate(claims.path("iat"));
        Instant exp = numericDate(claims.path("exp"));

        byte[] hash = sha256((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
        if (!signedBy(hash, r, s, issuer)) {
            throw invalid("The signature is not the key of the address in iss.");
        }
        if (!audience(claims.get("aud"), audience)) {
            throw invalid("aud must be this gateway's address, " + audience.checksummed() + ".");
        }
        if (!exp.isAfter(now.minus(SKEW))) {
            throw invalid("The token has expired.");
        }
        if (iat.isAfter(now.plus(SKEW)) || !exp.isAfter(iat)) {
            throw invalid("iat is in the future or not before exp.");
        }
        if (exp.isAfter(now.plus(maxLifetime).plus(SKEW)) || Duration.between(iat, exp).compareTo(maxLifetime) > 0) {
            throw invalid("exp may be at most " + maxLifetime.toSeconds() + " seconds after iat and ahead of now.");
        }
        return new Claims(issuer, subject, iat, exp, jti);
    }

    /** True when one of the two recovery ids yields a key whose address is {@code issuer} and which verifies. */
    private static boolean signedBy(byte[] hash, BigInteger r, BigInteger s, EthAddress issuer) {
        for (int id = 0; id < 2; id++) {
            Optional<ECPoint> q = Secp256k1.recover(hash, r, s, id);
            if (q.isPresent() && EthAddress.ofPublicKey(Secp256k1.uncompressed(q.get())).equals(issuer)
                    && Secp256k1.verify(hash, r, s, q.get())) {
                return true;
            }
        }
        return false;
    }

    /** An integer NumericDate between 1970 and 9999 (a larger number would overflow Instant). */
    private static Instant numericDate(JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0 || n.asLong() > MAX_NUMERIC_DATE) {
            throw invalid("iat and exp must be NumericDate integers.");
        }
        return Instant.ofEpochSecond(n.asLong());
    }

    private static boolean audience(JsonNode aud, EthAddress expected) {
        if (aud != null && aud.isTextual()) {
            return expected.lower().equalsIgnoreCase(aud.textValue());
        }
        if (aud != null && aud.isArray() && aud.size() == 1 && aud.get(0).isTextual()) {
            return expected.lower().equalsIgnoreCase(aud.get(0).textValue());
        }
        return false;
    }

    private static EthAddress address(String value, String claim) {
        try {
            return EthAddress.parse(value, claim);
        } catch (ImsmException e) {
            throw invalid(claim + " must be an address, 0x followed by 40 hex digits.");
        }
    }

    private static JsonNode json(String part, String what) {
        try {
            JsonNode n = STRICT.readTree(base64url(part, what));
            if (n == null || !n.isObject()) {
                throw invalid("The " + what + " is not a JSON object.");
            }
            return n;
        } catch (IOException e) {
            throw invalid("The " + what + " is not JSON.");
        }
    }

    private static byte[] base64url(String part, String what) {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw invalid("The " + what + " is not base64url.");
        }
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ImsmException invalid(String message) {
        return new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, message);
    }
}
