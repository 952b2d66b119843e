package io.imsm.server.gateway;

import org.bouncycastle.crypto.digests.KeccakDigest;

import java.util.HexFormat;

/**
 * Keccak-256 as Ethereum uses it: the original Keccak padding (0x01), not NIST SHA3-256 (0x06), so
 * the empty input hashes to {@code c5d24601…5d85a470}, not SHA3-256's {@code a7ffc6f8…}.
 */
public final class Keccak {
    private Keccak() {}

    public static byte[] keccak256(byte[] input) {
        KeccakDigest d = new KeccakDigest(256);
        d.update(input, 0, input.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    /** Lower-case hex without a prefix (as in the DID). */
    public static String keccak256Hex(byte[] input) {
        return HexFormat.of().formatHex(keccak256(input));
    }

    /** {@code 0x} + lower-case hex (hashes shown anywhere else). */
    public static String keccak256Prefixed(byte[] input) {
        return "0x" + keccak256Hex(input);
    }
}
