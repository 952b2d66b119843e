package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import javax.crypto.KeyAgreement;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;

/**
 * KX1 key derivation (docs/protocol.md, section "Derive"):
 * <pre>
 * Z       = ECDH-P256(own ephemeral private key, peer ephemeral public key)  (32-byte x-coordinate)
 * salt    = UTF-8(sid)
 * info    = UTF-8("IMSM-KX1|" + thumb(IMS epk) + "|" + thumb(S epk))       (RFC 7638 SHA-256, base64url)
 * OKM     = HKDF-SHA256(IKM = Z, salt, info, L = 64)                          (RFC 5869)
 * mac_key = OKM[0..32)   enc_key = OKM[32..64)
 * </pre>
 */
public final class KeyDerivation {
    private KeyDerivation() {}

    /** The IMS side: its own ephemeral private key, the service's {@code epk} from the answer. */
    public static SessionKeys deriveForIms(ECKey imsEphemeral, ECKey serviceEpk, String sid) {
        return derive(imsEphemeral, serviceEpk, sid, imsEphemeral, serviceEpk);
    }

    /** The service side: its own ephemeral private key, the IMS {@code epk} from the offer. */
    public static SessionKeys deriveForService(ECKey serviceEphemeral, ECKey imsEpk, String sid) {
        return derive(serviceEphemeral, imsEpk, sid, imsEpk, serviceEphemeral);
    }

    private static SessionKeys derive(ECKey own, ECKey peer, String sid, ECKey imsEpk, ECKey serviceEpk) {
        byte[] z = sharedSecret(own, peer);
        byte[] okm = null;
        try {
            okm = okm(z, sid, info(imsEpk, serviceEpk));
            return new SessionKeys(Arrays.copyOfRange(okm, 0, 32), Arrays.copyOfRange(okm, 32, 64));
        } finally {
            Arrays.fill(z, (byte) 0);
            if (okm != null) {
                Arrays.fill(okm, (byte) 0);
            }
        }
    }

    /**
     * Z: the ECDH shared secret (SEC 1 section 3.3.1), i.e. the 32-byte big-endian x-coordinate of
     * own.d * peer.Q, as the JDK's {@code KeyAgreement "ECDH"} returns it. The peer key is validated
     * first; the JDK validates it again.
     */
    public static byte[] sharedSecret(ECKey ownPrivate, ECKey peerPublic) {
        Objects.requireNonNull(ownPrivate, "ownPrivate");
        if (!ownPrivate.isPrivate() || !Curve.P_256.equals(ownPrivate.getCurve())) {
            throw new IllegalArgumentException("own ephemeral key must be a private P-256 key");
        }
        ECKey peer = EphemeralKeys.requireValidPeerKey(Objects.requireNonNull(peerPublic, "peerPublic"));
        try {
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(ownPrivate.toECPrivateKey());
            ka.doPhase(peer.toECPublicKey(), true);
            byte[] z = ka.generateSecret();
            if (z.length != 32) {
                throw new IllegalStateException("ECDH returned " + z.length + " bytes");
            }
            return z;
        } catch (JOSEException | GeneralSecurityException e) {
            throw new KxException(ProtocolException.Reason.BAD_POINT, "ECDH with the peer key failed", e);
        }
    }

    /** {@code "IMSM-KX1|" + thumb(IMS epk) + "|" + thumb(S epk)}; thumbprints of the public keys (RFC 7638). */
    public static String info(ECKey imsEpk, ECKey serviceEpk) {
        return Kx1.INFO_PREFIX + JwkUtil.thumbprint(imsEpk.toPublicJWK()) + "|" + JwkUtil.thumbprint(serviceEpk.toPublicJWK());
    }

    /** HKDF-SHA256 (RFC 5869 sections 2.2 and 2.3) with salt = UTF-8(sid), 64 bytes of output. */
    public static byte[] okm(byte[] z, String sid, String info) {
        Objects.requireNonNull(z, "z");
        if (!Kx1.isValidId(sid)) {
            throw new IllegalArgumentException("sid must be 1..128 base64url characters");
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(z, sid.getBytes(StandardCharsets.UTF_8), Objects.requireNonNull(info, "info").getBytes(StandardCharsets.UTF_8)));
        byte[] okm = new byte[Kx1.OKM_LENGTH];
        hkdf.generateBytes(okm, 0, okm.length);
        return okm;
    }
}
