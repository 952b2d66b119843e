package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.imsm.protocol.Fixture.tokenFailure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test vectors of docs/protocol.md section 12. The values are frozen here and in the page; this
 * test checks that the code produces exactly them and that the page still states them.
 */
class ProtocolVectorsTest {
    static final String IMS_EPHEMERAL = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"7kqZecVRMTxz_F6Ea1DRN588nbjbm3LjnXPszAK0JyY\","
            + "\"y\":\"7QKjrPMrtxjuMo7xRiEixipgL9pMw2ZDS_DpLeUKHJI\",\"d\":\"LH73qagnPbP1Q10czJedRt6uah6wT7aXCEGtF3jasVE\"}";
    static final String S_EPHEMERAL = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"q4tP6RqmQK3z072Knw2WbDantHmMJF8beQtTNDyyvAg\","
            + "\"y\":\"sd9yOxeu4vwFZxH3i-a22C0F2AEcup7h5wrYIJE09Ik\",\"d\":\"6gt-YLotGoXrNNMTAomTSxG56NVB34gcHPuJBxUNeWw\"}";
    static final String SID = "c2Vzc2lvbi12ZWN0b3ItMQ";
    static final String Z = "f31a0a10cc65cbb04dbe112578246c171203a487ea2392783388d4e51e0281ef";
    static final String THUMB_IMS = "bcSl4lp671GqDauEjeCItWKEkh7Fmo9zZCpOvfku2UQ";
    static final String THUMB_S = "wCe0Cgfk3cUi0bLp7Cfrg-G2znGjnsmdGJMh7kP7sFA";
    static final String INFO = "IMSM-KX1|bcSl4lp671GqDauEjeCItWKEkh7Fmo9zZCpOvfku2UQ|wCe0Cgfk3cUi0bLp7Cfrg-G2znGjnsmdGJMh7kP7sFA";
    static final String OKM = "bbac87331aa1f0564bdb8508485cd85bed0e97648d6fe52149d4cc5741c534bb"
            + "bb80fccd80cd28f9d711c703ba63fcaa98e24a9a2ba147d0abd3d27c7150b63a";
    static final String MAC_KEY = "bbac87331aa1f0564bdb8508485cd85bed0e97648d6fe52149d4cc5741c534bb";
    static final String ENC_KEY = "bb80fccd80cd28f9d711c703ba63fcaa98e24a9a2ba147d0abd3d27c7150b63a";

    static final String ISSUER = "https://ims.example";
    static final String SERVICE = "transaction-search";
    static final long IAT = 1767225600L;
    static final long EXP = 1767225900L;
    static final long SESSION_EXP = 1767229200L;
    static final String TOKEN_1_JTI = "dG9rZW4tdmVjdG9yLTAwMQ";
    static final String TOKEN_1 = "eyJraWQiOiJjMlZ6YzJsdmJpMTJaV04wYjNJdE1RIiwidHlwIjoiSldUIiwiYWxnIjoiSFMyNTYifQ."
            + "eyJzdWIiOiJhbGljZSIsImF1ZCI6InRyYW5zYWN0aW9uLXNlYXJjaCIsImF1dGhvcml6YXRpb25fZGV0YWlscyI6W3sidHlwZSI6Imltc206aHR0cCIs"
            + "Im1ldGhvZCI6IkdFVCIsInBhdGgiOiIvc2VhcmNoIiwicXVlcnkiOnsiYWNjb3VudCI6IjEyMzQ1In19XSwic2NvcGUiOiJzZWFyY2g6cmVhZCIsImlz"
            + "cyI6Imh0dHBzOi8vaW1zLmV4YW1wbGUiLCJleHAiOjE3NjcyMjU5MDAsImlhdCI6MTc2NzIyNTYwMCwianRpIjoiZEc5clpXNHRkbVZqZEc5eUxUQXdN"
            + "USIsInNpZCI6ImMyVnpjMmx2YmkxMlpXTjBiM0l0TVEifQ.MPv_x691UJab-OuxmO0xh0J7o9YFRwWylsZgyVt8LhE";
    static final String TOKEN_1_HEADER = "{\"kid\":\"c2Vzc2lvbi12ZWN0b3ItMQ\",\"typ\":\"JWT\",\"alg\":\"HS256\"}";
    static final String TOKEN_1_CLAIMS = "{\"sub\":\"alice\",\"aud\":\"transaction-search\",\"authorization_details\":[{\"type\":"
            + "\"imsm:http\",\"method\":\"GET\",\"path\":\"/search\",\"query\":{\"account\":\"12345\"}}],\"scope\":\"search:read\","
            + "\"iss\":\"https://ims.example\",\"exp\":1767225900,\"iat\":1767225600,\"jti\":\"dG9rZW4tdmVjdG9yLTAwMQ\","
            + "\"sid\":\"c2Vzc2lvbi12ZWN0b3ItMQ\"}";
    static final String TOKEN_2 = "eyJraWQiOiJjMlZ6YzJsdmJpMTJaV04wYjNJdE1RIiwidHlwIjoiSldUIiwiYWxnIjoiSFMyNTYifQ."
            + "eyJzdWIiOiJhbGljZSIsImF1ZCI6InRyYW5zYWN0aW9uLXNlYXJjaCIsInNjb3BlIjoic2VhcmNoOnJlYWQiLCJpc3MiOiJodHRwczovL2ltcy5leGFt"
            + "cGxlIiwiZW5jIjoiZXlKcmFXUWlPaUpqTWxaNll6SnNkbUpwTVRKYVYwNHdZak5KZEUxUklpd2laVzVqSWpvaVFUSTFOa2REVFNJc0ltRnNaeUk2SW1S"
            + "cGNpSjkuLjVRUmEyNU9pVFFFV3Rsd0ouVXFQSWlVU19OX1NUUFBBOUZaNzZNX2txTlJOTTF3QjBLVHNjU0tZT3BvcVNuN21icHZoRF9nRVk4cGxpemJR"
            + "LkJwN1pnSUl3WXA1WU9vNHFCXzVESUEiLCJleHAiOjE3NjcyMjU5MDAsImlhdCI6MTc2NzIyNTYwMCwianRpIjoiZEc5clpXNHRkbVZqZEc5eUxUQXdN"
            + "ZyIsInNpZCI6ImMyVnpjMmx2YmkxMlpXTjBiM0l0TVEifQ.TqW_4wxB7yYlvcpQ-T4TYS2yDdjbpqXZtyMlcOrbeIM";
    static final String TOKEN_2_ENC = "eyJraWQiOiJjMlZ6YzJsdmJpMTJaV04wYjNJdE1RIiwiZW5jIjoiQTI1NkdDTSIsImFsZyI6ImRpciJ9..5QRa25OiTQEWtlwJ."
            + "UqPIiUS_N_STPPA9FZ76M_kqNRNM1wB0KTscSKYOpoqSn7mbpvhD_gEY8plizbQ.Bp7ZgIIwYp5YOo4qB_5DIA";

    private static final HexFormat HEX = HexFormat.of();

    private static ECKey key(String json) throws Exception { return ECKey.parse(json); }

    static SessionKeys vectorKeys() {
        return new SessionKeys(HEX.parseHex(MAC_KEY), HEX.parseHex(ENC_KEY));
    }

    private static SessionTokenVerifier verifierAt(long epochSecond) {
        return new SessionTokenVerifier(ISSUER, SERVICE, Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC), Duration.ofSeconds(60));
    }

    @Test
    void whenPrivateScalarsAreDerivedFromTheLabels_thenTheyAreTheVectorKeys() throws Exception {
        java.math.BigInteger n = com.nimbusds.jose.jwk.Curve.P_256.toECParameterSpec().getOrder();
        for (var e : Map.of("IMSM-KX1 test vector: IMS ephemeral key", IMS_EPHEMERAL,
                "IMSM-KX1 test vector: service ephemeral key", S_EPHEMERAL).entrySet()) {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(e.getKey().getBytes(StandardCharsets.UTF_8));
            assertThat(new java.math.BigInteger(1, h).mod(n)).isEqualTo(new java.math.BigInteger(1, key(e.getValue()).getD().decode()));
        }
        assertThat(new String(new Base64URL(SID).decode(), StandardCharsets.US_ASCII)).isEqualTo("session-vector-1");
    }

    @Test
    void whenDerivingFromTheVectorKeys_thenEveryIntermediateValueMatches() throws Exception {
        ECKey ims = key(IMS_EPHEMERAL);
        ECKey s = key(S_EPHEMERAL);
        assertThat(HEX.formatHex(KeyDerivation.sharedSecret(ims, s.toPublicJWK()))).isEqualTo(Z);
        assertThat(HEX.formatHex(KeyDerivation.sharedSecret(s, ims.toPublicJWK()))).isEqualTo(Z);
        assertThat(JwkUtil.thumbprint(ims.toPublicJWK())).isEqualTo(THUMB_IMS);
        assertThat(JwkUtil.thumbprint(s.toPublicJWK())).isEqualTo(THUMB_S);
        assertThat(KeyDerivation.info(ims, s)).isEqualTo(INFO);
        assertThat(HEX.formatHex(KeyDerivation.okm(HEX.parseHex(Z), SID, INFO))).isEqualTo(OKM);
        assertThat(KeyDerivation.deriveForIms(ims, s.toPublicJWK(), SID)).isEqualTo(vectorKeys());
        assertThat(KeyDerivation.deriveForService(s, ims.toPublicJWK(), SID)).isEqualTo(vectorKeys());
        assertThat(HEX.formatHex(KeyDerivation.deriveForIms(ims, s.toPublicJWK(), SID).macKey())).isEqualTo(MAC_KEY);
        assertThat(HEX.formatHex(KeyDerivation.deriveForService(s, ims.toPublicJWK(), SID).encKey())).isEqualTo(ENC_KEY);
    }

    @Test
    void whenMintingTheVectorToken_thenTheCompactStringIsExactlyTheVector() {
        SessionToken token = new SessionToken(ISSUER, "alice", SERVICE, Instant.ofEpochSecond(IAT), Instant.ofEpochSecond(EXP),
                TOKEN_1_JTI, SID, "search:read",
                List.of(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345"))), Map.of());
        String minted = SessionTokens.mintHs256(token, Instant.ofEpochSecond(SESSION_EXP), vectorKeys(), new SecureRandom());
        assertThat(minted).isEqualTo(TOKEN_1);
        String[] parts = minted.split("\\.");
        assertThat(new Base64URL(parts[0]).decodeToString()).isEqualTo(TOKEN_1_HEADER);
        assertThat(new Base64URL(parts[1]).decodeToString()).isEqualTo(TOKEN_1_CLAIMS);
    }

    @Test
    void whenVerifyingTheVectorTokens_thenTheyAreAcceptedWithinTheWindowOnly() {
        SessionToken one = verifierAt(IAT + 100).verify(TOKEN_1, kid -> kid.equals(SID) ? Optional.of(vectorKeys()) : Optional.empty());
        assertThat(one.check(RequestTarget.parse("GET", "/search?account=12345")).allowed()).isTrue();
        assertThat(one.check(RequestTarget.parse("GET", "/search?account=12345&limit=10")).allowed()).isFalse();
        verifierAt(IAT - 60).verify(TOKEN_1, kid -> Optional.of(vectorKeys()));
        verifierAt(EXP + 60).verify(TOKEN_1, kid -> Optional.of(vectorKeys()));
        assertThat(tokenFailure(() -> verifierAt(IAT - 61).verify(TOKEN_1, kid -> Optional.of(vectorKeys()))))
                .isEqualTo(ProtocolException.Reason.NOT_YET_VALID);
        assertThat(tokenFailure(() -> verifierAt(EXP + 61).verify(TOKEN_1, kid -> Optional.of(vectorKeys()))))
                .isEqualTo(ProtocolException.Reason.EXPIRED);

        SessionToken two = verifierAt(IAT + 100).verify(TOKEN_2, kid -> Optional.of(vectorKeys()));
        assertThat(two.confidentialClaims()).containsExactlyInAnyOrderEntriesOf(Map.of("account", "12345", "email", "alice@example.com"));
        assertThat(two.jti()).isEqualTo("dG9rZW4tdmVjdG9yLTAwMg");
        assertThat((String) Fixture.json(TOKEN_2.split("\\.")[1]).get("enc")).isEqualTo(TOKEN_2_ENC);
    }

    @Test
    void whenReadingDocsProtocolMd_thenItStatesTheSameVectors() throws Exception {
        Path doc = Path.of("..", "docs", "protocol.md");
        assertThat(doc).exists();
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        for (String value : List.of(IMS_EPHEMERAL, S_EPHEMERAL, SID, Z, THUMB_IMS, THUMB_S, INFO, OKM, MAC_KEY, ENC_KEY,
                TOKEN_1, TOKEN_1_HEADER, TOKEN_1_CLAIMS, TOKEN_2, TOKEN_2_ENC, TOKEN_1_JTI, String.valueOf(SESSION_EXP))) {
            assertThat(text).as("docs/protocol.md states %s", value).contains(value);
        }
    }
}
