package io.imsm.server.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Holder and controller JWTs as a wallet would make them: ES256K over SHA-256, r || s, secp256k1 keys. */
final class HolderJwts {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private HolderJwts() {}

    static EthAddress address(BigInteger privateKey) {
        return EthAddress.ofPublicKey(Secp256k1.uncompressed(Secp256k1.publicPoint(privateKey)));
    }

    /** The usual claims: iss = the key's address, a fresh jti, valid for 2 minutes from {@code now}. */
    static Map<String, Object> claims(BigInteger key, String subject, String audience, Instant now) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", address(key).checksummed());
        c.put("sub", subject);
        c.put("aud", audience);
        c.put("iat", now.getEpochSecond());
        c.put("exp", now.getEpochSecond() + 120);
        c.put("jti", UUID.randomUUID().toString());
        return c;
    }

    static String sign(BigInteger key, Map<String, Object> claims) {
        return sign(key, Map.of("alg", "ES256K", "typ", "JWT"), claims);
    }

    static String sign(BigInteger key, Map<String, Object> header, Map<String, Object> claims) {
        String input = part(header) + "." + part(claims);
        Secp256k1.Signature sig = Secp256k1.sign(sha256(input.getBytes(StandardCharsets.US_ASCII)), key);
        return input + "." + B64.encodeToString(sig.jws());
    }

    static String part(Object json) {
        try {
            return B64.encodeToString(JSON.writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
