package io.imsm.server.gateway;

import io.imsm.server.ImsmException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An Ethereum-style account address: the last 20 bytes of Keccak-256 of the uncompressed secp256k1
 * public key without its {@code 04} prefix. Held in lower case (compared case-insensitively on input),
 * written with the EIP-55 mixed-case checksum on output.
 */
public record EthAddress(String lower) {
    private static final Pattern HEX40 = Pattern.compile("0x[0-9a-fA-F]{40}");

    public EthAddress {
        Objects.requireNonNull(lower);
        if (!HEX40.matcher(lower).matches() || !lower.equals(lower.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("not a lower-case address");
        }
    }

    /** Parses {@code 0x} + 40 hex digits in any case; {@code field} names the input in the error. */
    public static EthAddress parse(String value, String field) {
        if (value == null || !HEX40.matcher(value).matches()) {
            throw ImsmException.Invalid.inField(field, field + " must be 0x followed by 40 hex digits");
        }
        return new EthAddress(value.toLowerCase(Locale.ROOT));
    }

    /** @param uncompressed the 65-byte uncompressed point ({@code 04 || X || Y}) */
    public static EthAddress ofPublicKey(byte[] uncompressed) {
        if (uncompressed.length != 65 || uncompressed[0] != 0x04) {
            throw new IllegalArgumentException("an uncompressed public key has 65 bytes starting with 04");
        }
        byte[] hash = Keccak.keccak256(Arrays.copyOfRange(uncompressed, 1, 65));
        return new EthAddress("0x" + java.util.HexFormat.of().formatHex(hash, 12, 32));
    }

    /** EIP-55: a letter is upper case where the matching nibble of Keccak-256(lower-case hex) is 8 or more. */
    public String checksummed() {
        String hex = lower.substring(2);
        byte[] hash = Keccak.keccak256(hex.getBytes(StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder("0x");
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            int nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xf;
            out.append(c >= 'a' && nibble >= 8 ? Character.toUpperCase(c) : c);
        }
        return out.toString();
    }

    @Override public String toString() { return checksummed(); }
}
