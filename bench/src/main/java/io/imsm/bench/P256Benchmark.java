package io.imsm.bench;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.P256;
import org.bouncycastle.math.ec.ECPoint;
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

import javax.crypto.KeyAgreement;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The P-256 work of KX1 with the JDK's SunEC against BouncyCastle's lightweight API on the
 * {@code SecP256R1} custom curve ({@link P256}, what the exchange uses): key generation, ES256
 * signing and verification (P1363 signatures), ECDH, and "the crypto of one exchange, both sides":
 * two key generations, two signatures, two verifications, two ECDH. Setup checks that both compute
 * the same ECDH secret and accept each other's signatures.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class P256Benchmark {
    private static final byte[] MESSAGE = ("eyJhbGciOiJFUzI1NiIsImtpZCI6ImltcyIsInR5cCI6Imltc20ta3grand0In0."
            + "eyJpc3MiOiJodHRwczovL2ltcy5leGFtcGxlIiwiYXVkIjoidHJhbnNhY3Rpb24tc2VhcmNoIn0").getBytes(StandardCharsets.US_ASCII);

    SecureRandom random;
    KeyPairGenerator jdkGen;
    KeyPair jdkA;
    KeyPair jdkB;
    byte[] jdkSig;
    ECKey bcA;
    ECKey bcB;
    BigInteger bcAd;
    ECPoint bcAq;
    ECPoint bcBq;
    byte[] bcSig;

    @Setup
    public void setup() throws Exception {
        random = new SecureRandom();
        jdkGen = KeyPairGenerator.getInstance("EC", "SunEC");
        jdkGen.initialize(new ECGenParameterSpec("secp256r1"), random);
        jdkA = jdkGen.generateKeyPair();
        jdkB = jdkGen.generateKeyPair();
        jdkSig = jdkSign(jdkA);
        bcA = P256.generate(random);
        bcB = P256.generate(random);
        bcAd = P256.privateScalar(bcA);
        bcAq = P256.publicPoint(bcA.toPublicJWK());
        bcBq = P256.publicPoint(bcB.toPublicJWK());
        bcSig = P256.sign(bcAd, MESSAGE, random);
        // The same results from both: ECDH between a JDK key and a BouncyCastle key, signatures across.
        ECKey jdkAsJwk = new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256, (ECPublicKey) jdkA.getPublic())
                .privateKey(jdkA.getPrivate()).build();
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
        ka.init(jdkA.getPrivate());
        ka.doPhase(bcB.toECPublicKey(), true);
        if (!Arrays.equals(ka.generateSecret(), P256.sharedSecret(P256.privateScalar(bcB), P256.publicPoint(jdkAsJwk.toPublicJWK())))) {
            throw new IllegalStateException("ECDH differs between SunEC and BouncyCastle");
        }
        if (!P256.verify(P256.publicPoint(jdkAsJwk.toPublicJWK()), MESSAGE, jdkSig) || !jdkVerify(bcA.toECPublicKey(), bcSig)) {
            throw new IllegalStateException("signatures do not verify across SunEC and BouncyCastle");
        }
    }

    private byte[] jdkSign(KeyPair kp) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        s.initSign(kp.getPrivate(), random);
        s.update(MESSAGE);
        return s.sign();
    }

    private boolean jdkVerify(java.security.PublicKey key, byte[] sig) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        s.initVerify(key);
        s.update(MESSAGE);
        return s.verify(sig);
    }

    private byte[] jdkEcdh(KeyPair own, KeyPair peer) throws Exception {
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
        ka.init(own.getPrivate());
        ka.doPhase(peer.getPublic(), true); // SunEC validates the peer point here
        return ka.generateSecret();
    }

    @Benchmark public KeyPair sunEcKeygen() { return jdkGen.generateKeyPair(); }

    @Benchmark public byte[] sunEcSign() throws Exception { return jdkSign(jdkA); }

    @Benchmark public boolean sunEcVerify() throws Exception { return jdkVerify(jdkA.getPublic(), jdkSig); }

    @Benchmark public byte[] sunEcEcdh() throws Exception { return jdkEcdh(jdkA, jdkB); }

    /** Both sides of one exchange on SunEC: 2 × (keygen, sign, verify, ECDH). */
    @Benchmark
    public int sunEcExchangeBothSides() throws Exception {
        KeyPair ims = jdkGen.generateKeyPair();
        byte[] offerSig = jdkSign(jdkA);
        boolean offerOk = jdkVerify(jdkA.getPublic(), offerSig);
        KeyPair svc = jdkGen.generateKeyPair();
        byte[] zs = jdkEcdh(svc, ims);
        byte[] answerSig = jdkSign(jdkB);
        boolean answerOk = jdkVerify(jdkB.getPublic(), answerSig);
        byte[] zi = jdkEcdh(ims, svc);
        return (offerOk && answerOk ? 1 : 0) + zs[0] + zi[0];
    }

    @Benchmark public ECKey bcKeygen() { return P256.generate(random); }

    @Benchmark public byte[] bcSign() { return P256.sign(bcAd, MESSAGE, random); }

    @Benchmark public boolean bcVerify() { return P256.verify(bcAq, MESSAGE, bcSig); }

    /** ECDH including the peer point's validation from its JWK (what KeyDerivation.sharedSecret does). */
    @Benchmark public byte[] bcEcdh() { return P256.sharedSecret(bcAd, P256.publicPoint(bcB)); }

    /**
     * Both sides of one exchange on {@link P256}, as the exchange runs it (keys as JWKs, each peer
     * point validated from its JWK, long-term verification keys decoded once as in KxVerifier).
     */
    @Benchmark
    public int bcExchangeBothSides() {
        ECKey ims = P256.generate(random);
        byte[] offerSig = P256.sign(bcAd, MESSAGE, random);
        boolean offerOk = P256.verify(bcAq, MESSAGE, offerSig);
        ECKey svc = P256.generate(random);
        byte[] zs = P256.sharedSecret(P256.privateScalar(svc), P256.publicPoint(ims.toPublicJWK()));
        byte[] answerSig = P256.sign(P256.privateScalar(bcB), MESSAGE, random);
        boolean answerOk = P256.verify(bcBq, MESSAGE, answerSig);
        byte[] zi = P256.sharedSecret(P256.privateScalar(ims), P256.publicPoint(svc.toPublicJWK()));
        return (offerOk && answerOk ? 1 : 0) + zs[0] + zi[0];
    }
}
