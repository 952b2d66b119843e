package io.imsm.server.gateway;

import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * ECIES to the gateway's secp256k1 key, the scheme of {@code encryptedDC} (docs/gateway.md):
 * an ephemeral key E, Z = x(e · G_pub) (32 bytes), K = HKDF-SHA256(IKM = Z, salt = E uncompressed,
 * info = {@value #INFO}), AES-256-GCM with a random 96-bit nonce and the additional data the caller
 * names (the DC's controller address), written as {@code 0x} + hex(E (65) || nonce (12) || ciphertext || tag (16)).
 * Only the holder of the gateway's private key can read it, and it is public-key encryption, so a
 * rotation of the key-encryption key leaves published DDOs (and with them the DIDs) unchanged.
 */
public final class Ecies {
    static final String INFO = "IMSM gateway encryptedDC v1";
    private static final int POINT = 65;
    private static final int NONCE = 12;
    private static final int TAG = 16;

    private Ecies() {}

    public static String encrypt(ECPoint recipient, byte[] plaintext, String additionalData, SecureRandom random) {
        BigInteger e = Secp256k1.newPrivateKey(random);
        byte[] ephemeral = Secp256k1.uncompressed(Secp256k1.publicPoint(e));
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        byte[] sealed = gcm(Cipher.ENCRYPT_MODE, key(e, recipient, ephemeral), nonce, additionalData, plaintext);
        byte[] out = new byte[POINT + NONCE + sealed.length];
        System.arraycopy(ephemeral, 0, out, 0, POINT);
        System.arraycopy(nonce, 0, out, POINT, NONCE);
        System.arraycopy(sealed, 0, out, POINT + NONCE, sealed.length);
        return "0x" + HexFormat.of().formatHex(out);
    }

    /** @throws IllegalArgumentException when the value is malformed or does not decrypt (wrong key or data) */
    public static byte[] decrypt(BigInteger recipientKey, String value, String additionalData) {
        if (value == null || !value.startsWith("0x") || value.length() > 400_000) {
            throw new IllegalArgumentException("not an encryptedDC value");
        }
        byte[] raw = HexFormat.of().parseHex(value.substring(2));
        if (raw.length < POINT + NONCE + TAG) {
            throw new IllegalArgumentException("encryptedDC is too short");
        }
        byte[] ephemeral = Arrays.copyOfRange(raw, 0, POINT);
        ECPoint point = Secp256k1.CURVE.getCurve().decodePoint(ephemeral); // refuses points not on the curve
        if (point.isInfinity()) {
            throw new IllegalArgumentException("bad ephemeral key");
        }
        byte[] nonce = Arrays.copyOfRange(raw, POINT, POINT + NONCE);
        byte[] sealed = Arrays.copyOfRange(raw, POINT + NONCE, raw.length);
        return gcm(Cipher.DECRYPT_MODE, key(recipientKey, point, ephemeral), nonce, additionalData, sealed);
    }

    private static byte[] key(BigInteger privateKey, ECPoint publicKey, byte[] ephemeral) {
        ECDHBasicAgreement agreement = new ECDHBasicAgreement();
        agreement.init(new ECPrivateKeyParameters(privateKey, Secp256k1.CURVE));
        byte[] z = BigIntegers.asUnsignedByteArray(32, agreement.calculateAgreement(new ECPublicKeyParameters(publicKey, Secp256k1.CURVE)));
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(z, ephemeral, INFO.getBytes(StandardCharsets.UTF_8)));
        byte[] k = new byte[32];
        hkdf.generateBytes(k, 0, k.length);
        return k;
    }

    private static byte[] gcm(int mode, byte[] key, byte[] nonce, String additionalData, byte[] input) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(additionalData.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(input);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("encryptedDC does not decrypt with this key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
