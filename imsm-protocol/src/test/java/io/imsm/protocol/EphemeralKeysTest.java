package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;

import static io.imsm.protocol.Fixture.kxFailure;
import static io.imsm.protocol.ProtocolException.Reason.BAD_POINT;
import static org.assertj.core.api.Assertions.assertThat;

class EphemeralKeysTest {
    private static final BigInteger P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private final SecureRandom random = new SecureRandom();

    @Test
    void whenGenerated_thenPrivateP256WithoutKid() {
        ECKey k = EphemeralKeys.generate(random);
        assertThat(k.isPrivate()).isTrue();
        assertThat(k.getCurve()).isEqualTo(Curve.P_256);
        assertThat(k.getKeyID()).isNull();
    }

    @Test
    void whenPeerKeyIsValid_thenOnlyThePublicMembersAreKept() {
        ECKey k = EphemeralKeys.generate(random);
        Map<String, Object> json = new HashMap<>(k.toPublicJWK().toJSONObject());
        json.put("kid", "x");
        json.put("use", "enc");
        ECKey clean = EphemeralKeys.requireValidPeerKey(json);
        assertThat(clean.toJSONObject()).containsOnlyKeys("kty", "crv", "x", "y");
        assertThat(clean).isEqualTo(k.toPublicJWK());
    }

    @Test
    void whenPointIsOffTheCurve_thenBadPoint() {
        Map<String, Object> json = new HashMap<>(EphemeralKeys.generate(random).toPublicJWK().toJSONObject());
        BigInteger y = new BigInteger(1, new Base64URL((String) json.get("y")).decode());
        json.put("y", coordinate(y.add(BigInteger.ONE).mod(P)));
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(json))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenCoordinateIsNotCanonical_thenBadPoint() {
        ECKey k = EphemeralKeys.generate(random);
        BigInteger x = new BigInteger(1, k.getX().decode());
        Map<String, Object> json = new HashMap<>(k.toPublicJWK().toJSONObject());
        // x + p, when it still fits in 32 bytes, is the same field element in a second encoding
        if (x.add(P).bitLength() <= 256) {
            json.put("x", coordinate(x.add(P)));
            assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(json))).isEqualTo(BAD_POINT);
        }
        Map<String, Object> big = new HashMap<>(k.toPublicJWK().toJSONObject());
        big.put("x", coordinate(P));
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(big))).isEqualTo(BAD_POINT);
        Map<String, Object> padded = new HashMap<>(k.toPublicJWK().toJSONObject());
        padded.put("x", k.getX() + "=");
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(padded))).isEqualTo(BAD_POINT);
        Map<String, Object> shortX = new HashMap<>(k.toPublicJWK().toJSONObject());
        shortX.put("x", Base64URL.encode(new byte[31]).toString());
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(shortX))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenOtherCurveOtherKtyOrPrivate_thenBadPoint() throws Exception {
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(p384.toPublicJWK().toJSONObject()))).isEqualTo(BAD_POINT);
        // same coordinate sizes as P-256, another curve (the JDK cannot generate secp256k1 keys)
        Map<String, Object> k1 = new HashMap<>(EphemeralKeys.generate(random).toPublicJWK().toJSONObject());
        k1.put("crv", "secp256k1");
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(k1))).isEqualTo(BAD_POINT);
        Map<String, Object> x25519 = Map.of("kty", "OKP", "crv", "X25519", "x", Base64URL.encode(new byte[32]).toString());
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(x25519))).isEqualTo(BAD_POINT);
        var rsa = new RSAKeyGenerator(2048).generate();
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(rsa.toPublicJWK().toJSONObject()))).isEqualTo(BAD_POINT);
        ECKey priv = EphemeralKeys.generate(random);
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey(priv))).isEqualTo(BAD_POINT);
        assertThat(kxFailure(() -> EphemeralKeys.requireValidPeerKey((Object) null))).isEqualTo(BAD_POINT);
    }

    @Test
    void whenDerivingWithAPeerKeyOfAnotherCurve_thenBadPointBeforeAnyEcdh() throws Exception {
        ECKey own = EphemeralKeys.generate(random);
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate().toPublicJWK();
        assertThat(kxFailure(() -> KeyDerivation.sharedSecret(own, p384))).isEqualTo(BAD_POINT);
        // Nimbus itself refuses to build an off-curve ECKey, so an off-curve point can only arrive as JSON
        Map<String, Object> json = new HashMap<>(EphemeralKeys.generate(random).toPublicJWK().toJSONObject());
        json.put("y", json.get("x"));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ECKey.parse(json))).isInstanceOf(java.text.ParseException.class);
    }

    private static String coordinate(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, out, 32 - len, len);
        return Base64URL.encode(out).toString();
    }
}
