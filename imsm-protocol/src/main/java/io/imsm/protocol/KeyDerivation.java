package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.ECPoint;

import java.nio.charset.StandardCharsets;
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
     * own.d * peer.Q, computed by {@link P256}. The peer key is validated once here (canonical 32-byte
     * coordinates below the field prime, on the curve), whether or not the caller validated it before.
     */
    public static byte[] sharedSecret(ECKey ownPrivate, ECKey peerPublic) {
        Objects.requireNonNull(ownPrivate, "ownPrivate");
        Objects.requireNonNull(peerPublic, "peerPublic");
        if (!ownPrivate.isPrivate() || !Curve.P_256.equals(ownPrivate.getCurve())) {
            throw new IllegalArgumentException("own ephemeral key must be a private P-256 key");
        }
        if (peerPublic.isPrivate()) {
            throw new KxException(ProtocolException.Reason.BAD_POINT, "epk must not contain a private part");
        }
        final ECPoint peer;
        try {
            peer = P256.publicPoint(peerPublic);
        } catch (IllegalArgumentException e) {
            throw new KxException(ProtocolException.Reason.BAD_POINT, "epk is not a point on P-256", e);
        }
        try {
            return P256.sharedSecret(P256.privateScalar(ownPrivate), peer);
        } catch (IllegalArgumentException e) {
            throw new KxException(ProtocolException.Reason.BAD_POINT, "ECDH with the peer key failed", e);
        }
    }

    /** {@code "IMSM-KX1|" + thumb(IMS epk) + "|" + thumb(S epk)}; thumbprints of the public keys (RFC 7638). */
    public static String info(ECKey imsEpk, ECKey serviceEpk) {
        return Kx1.INFO_PREFIX + JwkUtil.thumbprintP256(imsEpk) + "|" + JwkUtil.thumbprintP256(serviceEpk);
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
