// Signs a holder's (or a domain account's) ES256K JWT for the IMSM identity gateway (docs/gateway.md).
//
//   java -cp "imsm-server/target/lib/*" examples/gateway/SignHolderJwt.java \
//        <private key hex> <subject> <gateway address> [lifetime seconds, default 120]
//
// Prints the JWT on stdout and the signer's address on stderr. Needs only BouncyCastle (bcprov) on the
// class path; the private key never leaves this process. JDK 21 or newer (single-file source launch).

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.KeccakDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.util.BigIntegers;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

public class SignHolderJwt {
    static final X9ECParameters K1 = CustomNamedCurves.getByName("secp256k1");
    static final ECDomainParameters CURVE = new ECDomainParameters(K1.getCurve(), K1.getG(), K1.getN(), K1.getH());

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SignHolderJwt <private key hex> <subject> <gateway address> [lifetime seconds]");
            System.exit(2);
        }
        BigInteger key = new BigInteger(args[0].replaceFirst("^0x", ""), 16);
        String subject = args[1];
        String gateway = args[2];
        long lifetime = args.length > 3 ? Long.parseLong(args[3]) : 120;

        // address: 0x + last 20 bytes of Keccak-256 of the uncompressed public key without 04
        byte[] pub = K1.getG().multiply(key).normalize().getEncoded(false);
        String address = "0x" + HexFormat.of().formatHex(keccak(java.util.Arrays.copyOfRange(pub, 1, 65)), 12, 32);

        long now = System.currentTimeMillis() / 1000;
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        String header = "{\"alg\":\"ES256K\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":\"" + address + "\",\"sub\":\"" + subject + "\",\"aud\":\"" + gateway + "\",\"iat\":" + now
                + ",\"exp\":" + (now + lifetime) + ",\"jti\":\"" + HexFormat.of().formatHex(id) + "\"}";
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));

        // ES256K (RFC 8812): ECDSA over SHA-256 of the signing input, signature r || s (32 bytes each)
        SHA256Digest sha = new SHA256Digest();
        byte[] hash = new byte[32];
        sha.update(input.getBytes(StandardCharsets.US_ASCII), 0, input.length());
        sha.doFinal(hash, 0);
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(key, CURVE));
        BigInteger[] rs = signer.generateSignature(hash);
        BigInteger s = rs[1].compareTo(CURVE.getN().shiftRight(1)) > 0 ? CURVE.getN().subtract(rs[1]) : rs[1];
        byte[] sig = new byte[64];
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, rs[0]), 0, sig, 0, 32);
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, s), 0, sig, 32, 32);

        System.err.println("signer address: " + address);
        System.out.println(input + "." + b64.encodeToString(sig));
    }

    static byte[] keccak(byte[] in) {
        KeccakDigest d = new KeccakDigest(256);
        d.update(in, 0, in.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }
}
