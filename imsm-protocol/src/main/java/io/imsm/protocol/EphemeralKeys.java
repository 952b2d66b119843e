package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.spec.ECFieldFp;
import java.util.Map;
import java.util.Objects;

/** Ephemeral P-256 keys of KX1: generating one's own, and validating the peer's {@code epk}. */
public final class EphemeralKeys {
    private EphemeralKeys() {}

    private static final int COORDINATE_LENGTH = 32;
    private static final BigInteger P = ((ECFieldFp) Curve.P_256.toECParameterSpec().getCurve().getField()).getP();

    /** A fresh ephemeral P-256 key pair (private JWK, no {@code kid}). */
    public static ECKey generate(SecureRandom random) {
        return P256.generate(random);
    }

    /**
     * Validates a received {@code epk} claim and returns it as a clean public JWK holding only
     * {@code kty}, {@code crv}, {@code x}, {@code y}. Refused ({@link ProtocolException.Reason#BAD_POINT}):
     * anything that is not a JSON object, another {@code kty} or {@code crv}, a private part {@code d},
     * coordinates that are not exactly 32 bytes in canonical base64url (RFC 7518 section 6.2.1.2) or
     * not below the field prime, and points not on P-256 (the invalid-curve attack: an off-curve
     * point would leak bits of our ephemeral private key through the ECDH result).
     */
    public static ECKey requireValidPeerKey(Object epk) {
        if (!(epk instanceof Map<?, ?> jwk)) {
            throw bad("epk must be a JSON object");
        }
        if (!"EC".equals(jwk.get("kty"))) {
            throw bad("epk must have kty EC");
        }
        if (!Curve.P_256.getName().equals(jwk.get("crv"))) {
            throw bad("epk must be on curve P-256");
        }
        if (jwk.containsKey("d")) {
            throw bad("epk must not contain a private part");
        }
        Base64URL x = coordinate(jwk.get("x"), "x");
        Base64URL y = coordinate(jwk.get("y"), "y");
        try {
            // The Nimbus constructor checks that (x, y) is on the curve and throws otherwise.
            return new ECKey.Builder(Curve.P_256, x, y).build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new KxException(ProtocolException.Reason.BAD_POINT, "epk is not a point on P-256", e);
        }
    }

    /** The same checks for an already parsed JWK. */
    public static ECKey requireValidPeerKey(ECKey epk) {
        Objects.requireNonNull(epk, "epk");
        return requireValidPeerKey(epk.toJSONObject());
    }

    private static Base64URL coordinate(Object value, String name) {
        if (!(value instanceof String s)) {
            throw bad("epk." + name + " must be a string");
        }
        Base64URL b64 = new Base64URL(s);
        byte[] bytes = b64.decode();
        if (bytes.length != COORDINATE_LENGTH || !Base64URL.encode(bytes).toString().equals(s)) {
            throw bad("epk." + name + " must be 32 bytes in canonical base64url");
        }
        if (new BigInteger(1, bytes).compareTo(P) >= 0) {
            throw bad("epk." + name + " is not a field element");
        }
        return b64;
    }

    private static KxException bad(String message) {
        return new KxException(ProtocolException.Reason.BAD_POINT, message);
    }
}
