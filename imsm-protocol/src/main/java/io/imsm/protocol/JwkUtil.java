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
