package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * The P-256 operations of KX1 (key generation, ES256 signing and verification, ECDH) on
 * BouncyCastle's lightweight API with its custom curve ({@code SecP256R1Curve}: field arithmetic on
 * 32-bit limbs, a fixed-point comb for multiples of the generator). It measured about four times
 * faster than the JDK's SunEC for the crypto of one exchange (docs/benchmarks.md), and it skips the
 * JCA key conversions (JWK to {@code ECPublicKey} through a {@code KeyFactory}) each call paid.
 *
 * <p>Every validation stays: a public point must have canonical 32-byte coordinates below the field
 * prime and lie on the curve (P-256 has cofactor 1, so that puts it in the prime-order group, and
 * the point at infinity has no affine coordinates); a signature must be exactly 64 bytes (IEEE P1363
 * {@code r || s}, RFC 7518 section 3.4) with {@code r} and {@code s} in [1, n-1]; an ECDH result at
 * infinity is refused. Signatures use a fresh random nonce from the caller's {@link SecureRandom}.
 */
public final class P256 {
    private P256() {}

    private static final X9ECParameters X9 = CustomNamedCurves.getByName("secp256r1");
    private static final ECCurve CURVE = X9.getCurve();
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE, X9.getG(), X9.getN(), X9.getH());
    private static final BigInteger N = X9.getN();
    private static final BigInteger P = CURVE.getField().getCharacteristic();
    /** Bytes of a coordinate, of a scalar, of each half of a P1363 signature. */
    public static final int SIZE = 32;

    /** A fresh key pair as a private JWK (no {@code kid}). */
    public static ECKey generate(SecureRandom random) {
        BigInteger d = BigIntegers.createRandomInRange(BigInteger.ONE, N.subtract(BigInteger.ONE), Objects.requireNonNull(random, "random"));
        ECPoint q = new FixedPointCombMultiplier().multiply(DOMAIN.getG(), d).normalize();
        return new ECKey.Builder(Curve.P_256, Base64URL.encode(fixed(q.getAffineXCoord().toBigInteger())),
                Base64URL.encode(fixed(q.getAffineYCoord().toBigInteger())))
                .d(Base64URL.encode(fixed(d)))
                .build();
    }

    /**
     * The public point of a P-256 JWK, validated: coordinates of exactly 32 bytes, below the field
     * prime, on the curve.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static ECPoint publicPoint(ECKey key) {
        Objects.requireNonNull(key, "key");
        if (!Curve.P_256.equals(key.getCurve())) {
            throw new IllegalArgumentException("not a P-256 key");
        }
        return point(key.getX() == null ? null : key.getX().decode(), key.getY() == null ? null : key.getY().decode());
    }

    /** The validated point from raw big-endian coordinates (see {@link #publicPoint}). */
    static ECPoint point(byte[] xBytes, byte[] yBytes) {
        BigInteger x = coordinate(xBytes);
        BigInteger y = coordinate(yBytes);
        // validatePoint refuses (x, y) off the curve; cofactor 1 makes every curve point one of order n.
        return CURVE.validatePoint(x, y);
    }

    private static BigInteger coordinate(byte[] bytes) {
        if (bytes == null || bytes.length != SIZE) {
            throw new IllegalArgumentException("a P-256 coordinate must be 32 bytes");
        }
        BigInteger v = new BigInteger(1, bytes);
        if (v.compareTo(P) >= 0) {
            throw new IllegalArgumentException("a P-256 coordinate must be below the field prime");
        }
        return v;
    }

    /** The private scalar of a private P-256 JWK, in [1, n-1]. */
    public static BigInteger privateScalar(ECKey key) {
        Objects.requireNonNull(key, "key");
        if (!key.isPrivate() || !Curve.P_256.equals(key.getCurve())) {
            throw new IllegalArgumentException("not a private P-256 key");
        }
        byte[] bytes = key.getD().decode();
        BigInteger d = new BigInteger(1, bytes);
        Arrays.fill(bytes, (byte) 0);
        if (d.signum() <= 0 || d.compareTo(N) >= 0) {
            throw new IllegalArgumentException("the private scalar is out of range");
        }
        return d;
    }

    /**
     * ECDH (SEC 1 section 3.3.1): the 32-byte big-endian x-coordinate of {@code d * peer}. The peer
     * point must come from {@link #publicPoint} (validated).
     */
    public static byte[] sharedSecret(BigInteger d, ECPoint peer) {
        ECPoint z = peer.multiply(d).normalize();
        if (z.isInfinity()) {
            throw new IllegalArgumentException("ECDH result is the point at infinity");
        }
        return fixed(z.getAffineXCoord().toBigInteger());
    }

    /** ES256 over {@code message}: SHA-256, ECDSA with a random nonce, 64-byte P1363 {@code r || s}. */
    public static byte[] sign(BigInteger d, byte[] message, SecureRandom random) {
        ECDSASigner ecdsa = new ECDSASigner();
        ecdsa.init(true, new ParametersWithRandom(new ECPrivateKeyParameters(d, DOMAIN), random));
        BigInteger[] rs = ecdsa.generateSignature(sha256(message));
        byte[] out = new byte[2 * SIZE];
        BigIntegers.asUnsignedByteArray(rs[0], out, 0, SIZE);
        BigIntegers.asUnsignedByteArray(rs[1], out, SIZE, SIZE);
        return out;
    }

    /** Checks an ES256 signature: exactly 64 bytes, r and s in [1, n-1], then ECDSA with SHA-256. */
    public static boolean verify(ECPoint q, byte[] message, byte[] signature) {
        if (signature == null || signature.length != 2 * SIZE) {
            return false;
        }
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, SIZE));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, SIZE, 2 * SIZE));
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) {
            return false;
        }
        ECDSASigner ecdsa = new ECDSASigner();
        ecdsa.init(false, new ECPublicKeyParameters(q, DOMAIN));
        return ecdsa.verifySignature(sha256(message), r, s);
    }

    private static byte[] sha256(byte[] message) {
        SHA256Digest digest = new SHA256Digest();
        digest.update(message, 0, message.length);
        byte[] out = new byte[SIZE];
        digest.doFinal(out, 0);
        return out;
    }

    private static byte[] fixed(BigInteger v) {
        return BigIntegers.asUnsignedByteArray(SIZE, v);
    }

    /**
     * A Nimbus {@link JWSSigner} for ES256 on this implementation, built once per key (the scalar is
     * decoded once). Thread-safe.
     */
    public static JWSSigner signer(ECKey privateKey, SecureRandom random) {
        BigInteger d = privateScalar(privateKey);
        Objects.requireNonNull(random, "random");
        return new Provider() {
            @Override
            public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
                requireEs256(header);
                return Base64URL.encode(P256.sign(d, signingInput, random));
            }
        };
    }

    /** A Nimbus {@link JWSVerifier} for ES256 on this implementation; the key is validated once. Thread-safe. */
    public static JWSVerifier verifier(ECKey publicKey) {
        ECPoint q = publicPoint(publicKey);
        return new Verifier(q);
    }

    private static void requireEs256(JWSHeader header) throws JOSEException {
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
            throw new JOSEException("only ES256");
        }
    }

    private abstract static class Provider implements JWSSigner {
        private final JCAContext jca = new JCAContext();

        @Override public Set<JWSAlgorithm> supportedJWSAlgorithms() { return Set.of(JWSAlgorithm.ES256); }

        @Override public JCAContext getJCAContext() { return jca; }
    }

    private static final class Verifier implements JWSVerifier {
        private final JCAContext jca = new JCAContext();
        private final ECPoint q;

        Verifier(ECPoint q) { this.q = q; }

        @Override
        public boolean verify(JWSHeader header, byte[] signedContent, Base64URL signature) throws JOSEException {
            requireEs256(header);
            return P256.verify(q, signedContent, signature.decode());
        }

        @Override public Set<JWSAlgorithm> supportedJWSAlgorithms() { return Set.of(JWSAlgorithm.ES256); }

        @Override public JCAContext getJCAContext() { return jca; }
    }
}
