package io.imsm.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.imsm.server.keys.KekRotation;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gateway's primitives against published vectors (Keccak-256, EIP-55, private key → address) and
 * the DID vectors of docs/gateway.md, which are frozen here and in the page.
 */
class GatewayCryptoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The private key of the web3.js accounts documentation example. */
    static final BigInteger WEB3_KEY = new BigInteger("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", 16);

    @Test
    void whenKeccak256OfPublishedInputs_thenPublishedDigests() {
        assertThat(Keccak.keccak256Hex(new byte[0])).isEqualTo("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        assertThat(Keccak.keccak256Hex("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
        assertThat(Keccak.keccak256Prefixed("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    }

    @Test
    void whenEip55VectorsInAnyCase_thenTheirChecksummedForm() {
        for (String v : List.of("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")) {
            assertThat(EthAddress.parse(v.toLowerCase(), "a").checksummed()).isEqualTo(v);
            assertThat(EthAddress.parse(v.toUpperCase().replace("0X", "0x"), "a")).isEqualTo(EthAddress.parse(v, "a"));
        }
        assertThatThrownBy(() -> EthAddress.parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "a")).hasMessageContaining("40 hex");
    }

    @Test
    void whenKnownPrivateKeys_thenKnownAddresses() {
        assertThat(HolderJwts.address(WEB3_KEY).checksummed()).isEqualTo("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        assertThat(HolderJwts.address(BigInteger.ONE).checksummed()).isEqualTo("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
        assertThat(HolderJwts.address(BigInteger.TWO).checksummed()).isEqualTo("0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF");
        assertThat(HolderJwts.address(BigInteger.valueOf(3)).checksummed()).isEqualTo("0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69");
    }

    @Test
    void whenSigned_thenOneRecoveryIdGivesTheKeyBackAndTheOtherDoesNot() {
        byte[] hash = Keccak.keccak256("message".getBytes(StandardCharsets.US_ASCII));
        Secp256k1.Signature sig = Secp256k1.sign(hash, WEB3_KEY);
        byte[] expected = Secp256k1.uncompressed(Secp256k1.publicPoint(WEB3_KEY));
        assertThat(Secp256k1.uncompressed(Secp256k1.recover(hash, sig.r(), sig.s(), sig.recoveryId()).orElseThrow())).isEqualTo(expected);
        assertThat(Secp256k1.recover(hash, sig.r(), sig.s(), 1 - sig.recoveryId()).map(Secp256k1::uncompressed).orElse(new byte[0]))
                .isNotEqualTo(expected);
        assertThat(Secp256k1.recover(hash, BigInteger.ZERO, sig.s(), 0)).isEmpty();
        assertThat(Secp256k1.recover(hash, sig.r(), Secp256k1.CURVE.getN(), 0)).isEmpty();
    }

    @Test
    void whenNestedObjectsAndArrays_thenKeysSortedAtEveryLevelAndNoWhitespace() throws IOException {
        JsonNode doc = JSON.readTree("""
                { "b": [ {"z": 1, "a": {"y": true, "x": null}}, [3, "two", {"d": "é\\"\\n", "c": []}] ],
                  "a": {"k2": "v", "k10": -1.5, "K": {}} }""");
        assertThat(CanonicalJson.write(doc))
                .isEqualTo("{\"a\":{\"K\":{},\"k10\":-1.5,\"k2\":\"v\"},\"b\":[{\"a\":{\"x\":null,\"y\":true},\"z\":1},[3,\"two\",{\"c\":[],\"d\":\"é\\\"\\n\"}]]}");
    }

    @Test
    void whenTheDocumentedNestedCase_thenTheDocumentedLine() throws IOException {
        assertThat(CanonicalJson.write(JSON.readTree("{\"b\":[{\"z\":1,\"a\":{\"y\":true,\"x\":null}}],\"a\":{\"k2\":\"v\",\"k10\":-1.5,\"K\":{}}}")))
                .isEqualTo("{\"a\":{\"K\":{},\"k10\":-1.5,\"k2\":\"v\"},\"b\":[{\"a\":{\"x\":null,\"y\":true},\"z\":1}]}");
    }

    @Test
    void whenTheDocumentedServiceSection_thenTheDocumentedSerializationAndDid() throws IOException {
        ArrayNode service = DcDdo.service("https://imsm.example.org", DOC_ENCRYPTED_DC, "2026-11-24T10:00:00Z",
                "Directory of Example Org", EthAddress.parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "g"), "Example Org DC");
        String line = CanonicalJson.write(service);
        assertThat(line).isEqualTo(DOC_SERIALIZATION);
        // recomputed independently: Jackson's own sorted writer and the Keccak digest
        ObjectMapper sorted = new ObjectMapper().configure(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.WRITE_PROPERTIES_SORTED, true);
        assertThat(sorted.writeValueAsString(service)).isEqualTo(line);
        org.bouncycastle.jcajce.provider.digest.Keccak.Digest256 k = new org.bouncycastle.jcajce.provider.digest.Keccak.Digest256();
        assertThat("did:nv:" + HexFormat.of().formatHex(k.digest(line.getBytes(StandardCharsets.UTF_8)))).isEqualTo(DOC_DID);
        assertThat(DcDdo.did(service)).isEqualTo(DOC_DID);
        String page = Files.readString(Path.of("..", "docs", "gateway.md"));
        assertThat(page).as("docs/gateway.md states the vectors").contains(DOC_SERIALIZATION).contains(DOC_DID)
                .contains(DOC_ENCRYPTED_DC).contains("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    }

    @Test
    void whenEncryptedToTheGatewayKey_thenOnlyThatKeyWithThatControllerOpensIt() {
        SecureRandom random = new SecureRandom();
        BigInteger gateway = Secp256k1.newPrivateKey(random);
        String sealed = Ecies.encrypt(Secp256k1.publicPoint(gateway), "{\"bind_password\":\"s3cret\"}".getBytes(StandardCharsets.UTF_8),
                "0xcontroller", random);
        assertThat(sealed).startsWith("0x").doesNotContain("s3cret");
        assertThat(new String(Ecies.decrypt(gateway, sealed, "0xcontroller"), StandardCharsets.UTF_8)).contains("s3cret");
        assertThatThrownBy(() -> Ecies.decrypt(gateway, sealed, "0xother")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ecies.decrypt(Secp256k1.newPrivateKey(random), sealed, "0xcontroller"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenAdminNetworks_thenOnlyAddressesInsideMatch() {
        AdminNetworks n = new AdminNetworks(List.of("127.0.0.0/8", "::1/128", "10.1.0.0/16"));
        assertThat(n.contains("127.0.0.1")).isTrue();
        assertThat(n.contains("10.1.200.3")).isTrue();
        assertThat(n.contains("::1")).isTrue();
        assertThat(n.contains("[::1]")).isTrue();
        assertThat(n.contains("10.2.0.1")).isFalse();
        assertThat(n.contains("192.168.1.1")).isFalse();
        assertThat(n.contains("localhost")).isFalse();
        assertThat(n.contains("::2")).isFalse();
    }

    @Test
    void whenTheKekRotates_thenTheGatewayKeyIsAmongTheValuesItReEncrypts() {
        assertThat(KekRotation.SECRET_SETTINGS).contains(GatewayKey.SETTING);
    }

    static final String DOC_ENCRYPTED_DC = "0x04c0ffee";
    static final String DOC_SERIALIZATION = "[{\"encryptedDC\":\"0x04c0ffee\",\"index\":0,\"main\":{\"datePublished\":\"2026-11-24T10:00:00Z\",\"description\":\"Directory of Example Org\",\"gateway\":\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\",\"name\":\"Example Org DC\"},\"serviceEndpoint\":\"https://imsm.example.org/api/v1/metadata/controller/ddo/{did}\",\"type\":\"DomainController\"}]";
    static final String DOC_DID = "did:nv:1a1b6d34a00e7b56ce5c1070a5e6b4fc021a9546735ac6ba3df187df27768cdf";
}
