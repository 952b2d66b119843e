package io.imsm.server.gateway;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9IntegerConverter;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * secp256k1 on BouncyCastle's lightweight API: keys, signatures as JWS ES256K carries them (RFC 8812:
 * {@code r || s}, 32 bytes each) and public-key recovery (SEC 1 v2 §4.1.6), which is how the gateway
 * learns a holder's key: it is registered nowhere, only its address is claimed.
 */
public final class Secp256k1 {
    private static final X9ECParameters PARAMS = CustomNamedCurves.getByName("secp256k1");
    public static final ECDomainParameters CURVE = new ECDomainParameters(PARAMS.getCurve(), PARAMS.getG(), PARAMS.getN(), PARAMS.getH());
    private static final BigInteger HALF_N = CURVE.getN().shiftRight(1);

    private Secp256k1() {}

    /** A signature (r, s) and the recovery id that gives back the signer's key. */
    public record Signature(BigInteger r, BigInteger s, int recoveryId) {
        /** The 64-byte JWS form {@code r || s}. */
        public byte[] jws() {
            byte[] out = new byte[64];
            System.arraycopy(BigIntegers.asUnsignedByteArray(32, r), 0, out, 0, 32);
            System.arraycopy(BigIntegers.asUnsignedByteArray(32, s), 0, out, 32, 32);
            return out;
        }
    }

    /** A new private key: uniform in [1, n-1]. */
    public static BigInteger newPrivateKey(SecureRandom random) {
        BigInteger n = CURVE.getN();
        BigInteger d;
        do {
            d = BigIntegers.createRandomBigInteger(256, random);
        } while (d.signum() == 0 || d.compareTo(n) >= 0);
        return d;
    }

    public static ECPoint publicPoint(BigInteger privateKey) {
        return new FixedPointCombMultiplier().multiply(CURVE.getG(), privateKey).normalize();
    }

    /** The 65-byte uncompressed encoding {@code 04 || X || Y}. */
    public static byte[] uncompressed(ECPoint p) {
        return p.normalize().getEncoded(false);
    }

    /** Deterministic (RFC 6979) signature of a 32-byte hash, s normalized to the lower half. */
    public static Signature sign(byte[] hash, BigInteger privateKey) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(privateKey, CURVE));
        BigInteger[] rs = signer.generateSignature(hash);
        BigInteger r = rs[0];
        BigInteger s = rs[1].compareTo(HALF_N) > 0 ? CURVE.getN().subtract(rs[1]) : rs[1];
        byte[] expected = uncompressed(publicPoint(privateKey));
        for (int id = 0; id < 2; id++) {
            Optional<ECPoint> q = recover(hash, r, s, id);
            if (q.isPresent() && java.util.Arrays.equals(uncompressed(q.get()), expected)) {
                return new Signature(r, s, id);
            }
        }
        throw new IllegalStateException("no recovery id gives back the signing key");
    }

    /** Plain ECDSA verification against a known public key. */
    public static boolean verify(byte[] hash, BigInteger r, BigInteger s, ECPoint publicKey) {
        ECDSASigner v = new ECDSASigner();
        v.init(false, new ECPublicKeyParameters(publicKey, CURVE));
        return v.verifySignature(hash, r, s);
    }

    /**
     * The public key that makes (r, s) a valid signature of {@code hash}, for recovery id 0 or 1 (the
     * parity of R's y; ids 2 and 3, for an R.x above n, occur with probability about 2^-128 and are
     * not tried). Empty when r or s is out of range or R is not on the curve.
     */
    public static Optional<ECPoint> recover(byte[] hash, BigInteger r, BigInteger s, int recoveryId) {
        BigInteger n = CURVE.getN();
        if (recoveryId < 0 || recoveryId > 1 || r.signum() <= 0 || s.signum() <= 0 || r.compareTo(n) >= 0 || s.compareTo(n) >= 0) {
            return Optional.empty();
        }
        ECPoint bigR;
        try {
            X9IntegerConverter x9 = new X9IntegerConverter();
            byte[] compressed = x9.integerToBytes(r, 1 + x9.getByteLength(CURVE.getCurve()));
            compressed[0] = (byte) (recoveryId == 1 ? 0x03 : 0x02);
            bigR = CURVE.getCurve().decodePoint(compressed);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // r is no x-coordinate on the curve
        }
        if (!bigR.multiply(n).isInfinity()) {
            return Optional.empty();
        }
        // Q = r^-1 (s R - e G)  (SEC 1 v2 §4.1.6 step 1.6.1)
        BigInteger e = new BigInteger(1, hash);
        BigInteger rInv = r.modInverse(n);
        BigInteger a = n.subtract(e).mod(n).multiply(rInv).mod(n);
        BigInteger b = s.multiply(rInv).mod(n);
        ECPoint q = ECAlgorithms.sumOfTwoMultiplies(CURVE.getG(), a, bigR, b).normalize();
        return q.isInfinity() ? Optional.empty() : Optional.of(q);
    }
}
