package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

import javax.crypto.KeyAgreement;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static io.imsm.protocol.Fixture.kxFailure;
import static io.imsm.protocol.ProtocolException.Reason.BAD_POINT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The BouncyCastle P-256 the exchange runs on: the same results as the JDK's SunEC, and the
 * Wycheproof-style invalid points and signatures refused.
 */
class P256Test {
    private static final BigInteger P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger N = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
    private static final byte[] MESSAGE = "header.payload".getBytes(StandardCharsets.US_ASCII);
    private final SecureRandom random = new SecureRandom();

    @Test
    void whenEcdhWithTheJdk_thenTheSameSecret() throws Exception {
        ECKey a = P256.generate(random);
        ECKey b = P256.generate(random);
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
        ka.init(a.toECPrivateKey());
        ka.doPhase(b.toECPublicKey(), true);
        byte[] jdk = ka.generateSecret();
        assertThat(P256.sharedSecret(P256.privateScalar(a), P256.publicPoint(b.toPublicJWK()))).isEqualTo(jdk);
        assertThat(P256.sharedSecret(P256.privateScalar(b), P256.publicPoint(a.toPublicJWK()))).isEqualTo(jdk);
    }

    @Test
    void whenSignedByEitherImplementation_thenTheOtherVerifies() throws Exception {
        ECKey key = P256.generate(random);
        byte[] ours = P256.sign(P256.privateScalar(key), MESSAGE, random);
        assertThat(ours).hasSize(64);
        Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        jdk.initVerify(key.toECPublicKey());
        jdk.update(MESSAGE);
        assertThat(jdk.verify(ours)).isTrue();

        jdk.initSign(key.toECPrivateKey(), random);
        jdk.update(MESSAGE);
        byte[] theirs = jdk.sign();
        assertThat(P256.verify(P256.publicPoint(key.toPublicJWK()), MESSAGE, theirs)).isTrue();
    }

    @Test
    void whenSignatureIsTamperedOrMalformed_thenItDoesNotVerify() throws Exception {
        ECKey key = P256.generate(random);
        ECPoint q = P256.publicPoint(key.toPublicJWK());
        byte[] sig = P256.sign(P256.privateScalar(key), MESSAGE, random);
        assertThat(P256.verify(q, MESSAGE, sig)).isTrue();

        assertThat(P256.verify(q, "header.payloae".getBytes(StandardCharsets.US_ASCII), sig)).as("other message").isFalse();
        for (int i : new int[] {0, 31, 32, 63}) {
            byte[] flipped = sig.clone();
            flipped[i] ^= 1;
            assertThat(P256.verify(q, MESSAGE, flipped)).as("bit flipped in byte " + i).isFalse();
        }
        assertThat(P256.verify(q, MESSAGE, new byte[0])).as("empty").isFalse();
        assertThat(P256.verify(q, MESSAGE, Arrays.copyOf(sig, 63))).as("63 bytes").isFalse();
        assertThat(P256.verify(q, MESSAGE, Arrays.copyOf(sig, 65))).as("65 bytes, trailing zero").isFalse();
        byte[] padded = new byte[66];
        System.arraycopy(sig, 0, padded, 1, 32);
        System.arraycopy(sig, 32, padded, 34, 32);
        assertThat(P256.verify(q, MESSAGE, padded)).as("r and s each with a leading zero").isFalse();

        Signature der = Signature.getInstance("SHA256withECDSA", "SunEC");
        der.initSign(key.toECPrivateKey(), random);
        der.update(MESSAGE);
        assertThat(P256.verify(q, MESSAGE, der.sign())).as("ASN.1 DER instead of P1363").isFalse();

        BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
        assertThat(P256.verify(q, MESSAGE, p1363(BigInteger.ZERO, s))).as("r = 0").isFalse();
        assertThat(P256.verify(q, MESSAGE, p1363(r, BigInteger.ZERO))).as("s = 0").isFalse();
        assertThat(P256.verify(q, MESSAGE, p1363(N.add(BigInteger.ONE), s))).as("r = n + 1").isFalse();
        assertThat(P256.verify(q, MESSAGE, p1363(N, s))).as("r = n").isFalse();
        assertThat(P256.verify(q, MESSAGE, p1363(r, N))).as("s = n").isFalse();
        // Low S is not required (RFC 7518): the malleable twin verifies, as with the JDK.
        assertThat(P256.verify(q, MESSAGE, p1363(r, N.subtract(s)))).as("n - s").isTrue();
        ECKey other = P256.generate(random);
        assertThat(P256.verify(P256.publicPoint(other.toPublicJWK()), MESSAGE, sig)).as("another key").isFalse();
    }

    private static byte[] p1363(BigInteger r, BigInteger s) {
        byte[] out = new byte[64];
        byte[] rb = r.mod(BigInteger.ONE.shiftLeft(256)).toByteArray();
        byte[] sb = s.mod(BigInteger.ONE.shiftLeft(256)).toByteArray();
        System.arraycopy(rb, Math.max(0, rb.length - 32), out, 32 - Math.min(32, rb.length), Math.min(32, rb.length));
        System.arraycopy(sb, Math.max(0, sb.length - 32), out, 64 - Math.min(32, sb.length), Math.min(32, sb.length));
        return out;
    }

    @Test
    void whenPointIsInvalid_thenRefused() {
        ECKey key = P256.generate(random);
        byte[] x = key.getX().decode();
        byte[] y = key.getY().decode();
        assertThat(P256.point(x, y)).isNotNull();
        byte[] yPlusOne = fixed(new BigInteger(1, y).add(BigInteger.ONE).mod(P));
        assertThatThrownBy(() -> P256.point(x, yPlusOne)).as("off the curve").isInstanceOf(IllegalArgumentException.class);
        byte[] minusY = fixed(P.subtract(new BigInteger(1, y)));
        assertThat(P256.point(x, minusY)).as("the negated point is on the curve").isNotNull();
        assertThatThrownBy(() -> P256.point(new byte[32], new byte[32])).as("(0, 0)").isInstanceOf(IllegalArgumentException.class);
        byte[] one = fixed(BigInteger.ONE);
        assertThatThrownBy(() -> P256.point(new byte[32], one)).as("(0, 1): on a curve with another b").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> P256.point(fixed(P), y)).as("x = p").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> P256.point(x, fixed(P.add(BigInteger.ONE)))).as("y = p + 1").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> P256.point(Arrays.copyOfRange(x, 1, 32), y)).as("31 bytes").isInstanceOf(IllegalArgumentException.class);
        byte[] longX = new byte[33];
        System.arraycopy(x, 0, longX, 1, 32);
        assertThatThrownBy(() -> P256.point(longX, y)).as("33 bytes").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenPeerEpkIsOffTheCurve_thenTheExchangeRefusesIt() {
        ECKey key = P256.generate(random);
        Map<String, Object> json = new HashMap<>(key.toPublicJWK().toJSONObject());
        json.put("y", Base64URL.encode(fixed(new BigInteger(1, key.getY().decode()).add(BigInteger.ONE).mod(P))).toString());
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(json))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenDerivingWithAPrivatePeerKey_thenRefused() {
        ECKey own = P256.generate(random);
        ECKey peer = P256.generate(random);
        assertThat(kxFailure(() -> KeyDerivation.sharedSecret(own, peer))).isEqualTo(BAD_POINT);
    }

    private static byte[] fixed(BigInteger v) {
        byte[] out = new byte[32];
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        if (v.bitLength() > 256) {
            throw new IllegalArgumentException("too large");
        }
        return out;
    }
}
