package io.imsm.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.imsm.protocol.Fixture.b64;
import static io.imsm.protocol.Fixture.macRaw;
import static io.imsm.protocol.Fixture.tokenFailure;
import static io.imsm.protocol.ProtocolException.Reason.BAD_SIGNATURE;
import static io.imsm.protocol.ProtocolException.Reason.MALFORMED;
import static io.imsm.protocol.ProtocolException.Reason.WRONG_ALGORITHM;
import static io.imsm.protocol.ProtocolException.Reason.WRONG_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

/** The compact JWS parser of the token verifiers: hostile shapes, sizes and JSON. */
class CompactJwsTest {
    private static final String HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"s1\"}";
    private static final byte[] KEY = new byte[32];

    private static String token(String header) {
        return b64(header) + "." + b64("{\"sub\":\"alice\"}") + ".c2ln";
    }

    @Test
    void whenNotThreeBase64UrlParts_thenMalformed() {
        String h = b64(HEADER);
        for (String bad : new String[] {"", h, h + ".e30", h + ".e30.c2ln.c2ln", h + "..c2ln", ".e30.c2ln", h + ".e3 0.c2ln",
                h + ".e30+.c2ln", h + ".e30=.c2ln", h + ".e30.c2ln\n", h + ".é30.c2ln", "e.e30.c2ln"}) {
            assertThat(tokenFailure(() -> CompactJws.parse(bad))).as(bad).isEqualTo(MALFORMED);
        }
        assertThat(tokenFailure(() -> CompactJws.parse(null))).isEqualTo(MALFORMED);
    }

    @Test
    void whenLongerThanTheMessageLimit_thenMalformedBeforeAnyParsing() {
        String padded = token(HEADER);
        String tooLong = padded.substring(0, padded.lastIndexOf('.') + 1) + "A".repeat(Kx1.MAX_MESSAGE_BYTES);
        assertThat(tokenFailure(() -> CompactJws.parse(tooLong))).isEqualTo(MALFORMED);
        String atLimit = padded + "A".repeat(Kx1.MAX_MESSAGE_BYTES - padded.length());
        assertThat(CompactJws.parse(atLimit).algorithm()).isEqualTo("HS256");
    }

    @Test
    void whenHeaderIsNotOneStrictJsonObject_thenMalformed() {
        for (String bad : new String[] {"[]", "\"HS256\"", "{", "{\"alg\":\"HS256\"}x", "{\"alg\":\"HS256\"} {}", " {\"alg\":\"HS256\"}",
                "{'alg':'HS256'}", "{alg:\"HS256\"}", "{\"alg\":\"HS256\",}", "{\"alg\":\"HS256\" /* c */}", "{}",
                "{\"alg\":null}", "{\"alg\":256}", "{\"alg\":\"HS256\",\"typ\":1}", "{\"alg\":\"HS256\",\"kid\":[\"a\"]}",
                "{\"alg\":\"HS256\",\"crit\":\"exp\"}", "{\"alg\":\"HS256\",\"crit\":[1]}",
                "{\"alg\":\"HS256\",\"x\":NaN}"}) {
            assertThat(tokenFailure(() -> CompactJws.parse(token(bad)))).as(bad).isEqualTo(MALFORMED);
        }
    }

    @Test
    void whenHeaderIsNotUtf8_thenMalformed() {
        byte[] utf16 = HEADER.getBytes(StandardCharsets.UTF_16LE);
        byte[] bom = ("\uFEFF" + HEADER).getBytes(StandardCharsets.UTF_8);
        byte[] latin1 = "{\"alg\":\"HS256\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        for (byte[] bad : List.of(utf16, HEADER.getBytes(StandardCharsets.UTF_16BE), bom, latin1)) {
            String t = Base64.getUrlEncoder().withoutPadding().encodeToString(bad) + "." + b64("{}") + ".c2ln";
            assertThat(tokenFailure(() -> CompactJws.parse(t))).isEqualTo(MALFORMED);
        }
    }

    @Test
    void whenAMemberAppearsTwice_thenMalformed_atAnyDepth() {
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"alg\":\"none\"}")))).isEqualTo(MALFORMED);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"none\",\"alg\":\"HS256\"}")))).isEqualTo(MALFORMED);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"x\":{\"a\":1,\"a\":2}}")))).isEqualTo(MALFORMED);
        // escapes do not make a different name
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"\\u0061lg\":\"none\"}")))).isEqualTo(MALFORMED);

        String dupClaim = macRaw(HEADER, "{\"sub\":\"alice\",\"sub\":\"admin\"}", KEY);
        CompactJws jws = CompactJws.parse(dupClaim);
        jws.verifyHs256(KEY);
        assertThat(tokenFailure(() -> jws.claims(Set.of("sub")))).isEqualTo(MALFORMED);
        String dupSkipped = macRaw(HEADER, "{\"sub\":\"alice\",\"other\":{\"a\":1,\"a\":2}}", KEY);
        assertThat(tokenFailure(() -> CompactJws.parse(dupSkipped).claims(Set.of("sub")))).isEqualTo(MALFORMED);
    }

    @Test
    void whenNestedTooDeep_thenMalformed() {
        String deep = "[".repeat(CompactJws.MAX_DEPTH) + "]".repeat(CompactJws.MAX_DEPTH);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"x\":" + deep + "}")))).isEqualTo(MALFORMED);
        String payload = "{\"authorization_details\":" + deep + "}";
        assertThat(tokenFailure(() -> CompactJws.parse(macRaw(HEADER, payload, KEY)).claims(Set.of("authorization_details"))))
                .isEqualTo(MALFORMED);
        String shallow = "[".repeat(4) + "]".repeat(4);
        assertThat(CompactJws.parse(macRaw(HEADER, "{\"x\":" + shallow + "}", KEY)).claims(Set.of("x"))).containsKey("x");
    }

    @Test
    void whenPayloadIsNotAJsonObject_thenMalformed() {
        for (String bad : new String[] {"[]", "null", "{\"sub\":\"a\"}{}", "{\"sub\":\"a\"", "{\"sub\":01}"}) {
            assertThat(tokenFailure(() -> CompactJws.parse(macRaw(HEADER, bad, KEY)).claims(Set.of("sub")))).as(bad).isEqualTo(MALFORMED);
        }
    }

    @Test
    void whenClaimsAreRead_thenOnlyTheWantedOnesAreKept_withJsonTypes() {
        String payload = "{\"sub\":\"alice\",\"exp\":17,\"nbf\":1.5,\"big\":123456789012345678901234567890,\"n\":null,"
                + "\"d\":[{\"q\":{\"a\":\"b\"}},true],\"ignored\":{\"x\":[1,2]}}";
        Map<String, Object> c = CompactJws.parse(macRaw(HEADER, payload, KEY)).claims(Set.of("sub", "exp", "nbf", "big", "n", "d"));
        assertThat(c).containsOnlyKeys("sub", "exp", "nbf", "big", "d")
                .containsEntry("sub", "alice").containsEntry("exp", 17L).containsEntry("nbf", 1.5)
                .containsEntry("d", List.of(Map.of("q", Map.of("a", "b")), true));
        assertThat(c.get("big")).isInstanceOf(Double.class);
    }

    @Test
    void whenHeaderIsNotThePinnedOne_thenWrongAlgorithmOrTypeOrMalformed() {
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"none\",\"typ\":\"JWT\"}")).requireHeader("HS256", List.of("JWT"))))
                .isEqualTo(WRONG_ALGORITHM);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"hs256\",\"typ\":\"JWT\"}")).requireHeader("HS256", List.of("JWT"))))
                .isEqualTo(WRONG_ALGORITHM);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"ES256\",\"typ\":\"JWT\"}")).requireHeader("HS256", List.of("JWT"))))
                .isEqualTo(WRONG_ALGORITHM);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\"}")).requireHeader("HS256", List.of("JWT"))))
                .isEqualTo(WRONG_TYPE);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"typ\":\"JWTX\"}")).requireHeader("HS256", List.of("JWT"))))
                .isEqualTo(WRONG_TYPE);
        assertThat(tokenFailure(() -> CompactJws.parse(token("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"],\"exp\":1}"))
                .requireHeader("HS256", List.of("JWT")))).isEqualTo(MALFORMED);
        // media type forms (RFC 7515 section 4.1.9), an empty crit, and unused members such as jwk are accepted
        CompactJws.parse(token("{\"alg\":\"HS256\",\"typ\":\"application/jwt\",\"crit\":[]}")).requireHeader("HS256", List.of("JWT"));
        CompactJws.parse(token("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}"))
                .requireHeader("HS256", List.of("JWT"));
    }

    @Test
    void whenMacIsWrongOrOfAnotherLength_thenBadSignature() {
        String good = macRaw(HEADER, "{\"sub\":\"alice\"}", KEY);
        CompactJws.parse(good).verifyHs256(KEY);
        byte[] other = KEY.clone();
        other[0] = 1;
        assertThat(tokenFailure(() -> CompactJws.parse(good).verifyHs256(other))).isEqualTo(BAD_SIGNATURE);
        String base = good.substring(0, good.lastIndexOf('.') + 1);
        String sig = good.substring(good.lastIndexOf('.') + 1);
        for (String bad : new String[] {base, base + sig.substring(0, sig.length() - 2), base + sig + "AA",
                base + (sig.charAt(0) == 'A' ? 'B' : 'A') + sig.substring(1)}) {
            assertThat(tokenFailure(() -> CompactJws.parse(bad).verifyHs256(KEY))).as(bad).isEqualTo(BAD_SIGNATURE);
        }
    }
}
