package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JwkUtilTest {
    @Test
    void whenThumbprintOfRfc7638Example_thenMatchesTheRfc() throws Exception {
        // RFC 7638 section 3.1 example key and its SHA-256 thumbprint
        String rsa = "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
                + "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d"
                + "0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw"
                + "apJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
        assertThat(JwkUtil.thumbprint(com.nimbusds.jose.jwk.JWK.parse(rsa))).isEqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    @Test
    void whenP256ThumbprintIsHashedFromTheCoordinates_thenItIsNimbusThumbprintOfThePublicKey() throws Exception {
        for (int i = 0; i < 20; i++) {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k" + i).generate();
            String expected = key.toPublicJWK().computeThumbprint().toString();
            assertThat(JwkUtil.thumbprintP256(key)).isEqualTo(expected);
            assertThat(JwkUtil.thumbprintP256(key.toPublicJWK())).isEqualTo(expected);
        }
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        assertThatThrownBy(() -> JwkUtil.thumbprintP256(p384)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenPublicSetBuilt_thenPrivatePartsAreStripped() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        var set = JwkUtil.publicSet(List.of(ec, new RSAKeyGenerator(2048).keyID("k2").generate()));
        assertThat(set.getKeys()).hasSize(2).noneMatch(k -> k.isPrivate());
        assertThat(set.toString()).doesNotContain("\"d\"");
    }

    @Test
    void whenParsingServiceKey_thenOnlyPublicP256Accepted() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        assertThat(JwkUtil.parseP256Public(ec.toPublicJWK().toJSONString()).getCurve()).isEqualTo(Curve.P_256);
        assertThatThrownBy(() -> JwkUtil.parseP256Public(ec.toJSONString())).hasMessageContaining("private key");
        assertThatThrownBy(() -> JwkUtil.parseP256Public(new ECKeyGenerator(Curve.P_384).generate().toPublicJWK().toJSONString()))
                .hasMessageContaining("P-256");
        assertThatThrownBy(() -> JwkUtil.parseP256Public("{\"kty\":")).hasMessageContaining("not a JWK");
    }
}
