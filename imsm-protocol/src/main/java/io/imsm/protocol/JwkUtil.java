package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;

import java.util.List;
import java.util.Objects;

/** JWK helpers shared by the server, the SDK and the proxy. Pure functions, no I/O. */
public final class JwkUtil {
    private JwkUtil() {}

    /** RFC 7638 SHA-256 thumbprint of a JWK, base64url without padding. */
    public static String thumbprint(JWK jwk) {
        Objects.requireNonNull(jwk, "jwk");
        try {
            return jwk.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot compute the JWK thumbprint: " + e.getMessage(), e);
        }
    }

    /**
     * The same RFC 7638 thumbprint for a P-256 key, private or public (only {@code crv}, {@code kty},
     * {@code x} and {@code y} count, section 3.2), hashed straight from the coordinates as the key
     * holds them: no public copy of the key (Nimbus checks the point on the curve again for each copy,
     * in {@code BigInteger} arithmetic) and no JSON object. The members are base64url or fixed
     * names, so nothing needs escaping (section 3.3).
     */
    public static String thumbprintP256(ECKey key) {
        Objects.requireNonNull(key, "key");
        if (!Curve.P_256.equals(key.getCurve())) {
            throw new IllegalArgumentException("the key must be an EC P-256 JWK");
        }
        String members = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + key.getX() + "\",\"y\":\"" + key.getY() + "\"}";
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(members.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * The public JWKS document for a list of keys: every private part stripped, so a caller cannot
     * leak a private key by passing the wrong object.
     */
    public static JWKSet publicSet(List<? extends JWK> keys) {
        return new JWKSet(keys.stream().map(JWK::toPublicJWK).map(k -> (JWK) k).toList());
    }

    /** Parses an ES256 public key and refuses anything that is not an EC P-256 public JWK. */
    public static ECKey parseP256Public(String json) {
        final JWK jwk;
        try {
            jwk = JWK.parse(json);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException("not a JWK: " + e.getMessage(), e);
        }
        if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
            throw new IllegalArgumentException("the key must be an EC P-256 JWK");
        }
        if (ec.isPrivate()) {
            throw new IllegalArgumentException("a private key was given where a public key is expected");
        }
        return ec;
    }
}
