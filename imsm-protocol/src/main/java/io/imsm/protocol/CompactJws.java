package io.imsm.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.imsm.protocol.ProtocolException.Reason.BAD_SIGNATURE;
import static io.imsm.protocol.ProtocolException.Reason.MALFORMED;
import static io.imsm.protocol.ProtocolException.Reason.WRONG_ALGORITHM;
import static io.imsm.protocol.ProtocolException.Reason.WRONG_TYPE;

/**
 * A compact JWS (RFC 7515 section 7.1) split and its JOSE header read, for the token verifiers' hot
 * path: the header is parsed once (the SDK reads {@code alg} from it to choose the verifier), the MAC
 * or signature is checked over the signing input as received, and only then is the payload parsed.
 *
 * <p>Hostile input is bounded before any work: at most {@link Kx1#MAX_MESSAGE_BYTES} characters, only
 * the base64url alphabet and exactly two dots, JSON of the UTF-8 encoding only (an object starting
 * with <code>{</code>), at most {@value #MAX_DEPTH} levels deep, no member twice in any object (RFC 7515
 * section 4 and RFC 7519 section 4 let a parser refuse duplicates; accepting them would let two
 * parsers read two different claims from one token), nothing after the object. The header must carry
 * a string {@code alg}; {@code typ} and {@code kid} are strings when present, and {@code crit} an
 * array of strings. Other header members are never used (key-carrying ones such as {@code jwk},
 * {@code jku}, {@code x5u}, {@code x5c} included). Every refusal is a {@link TokenException}.
 *
 * <p>Immutable; thread-safe.
 */
public final class CompactJws {
    /** Nesting bound of header and claims: {@code authorization_details} needs 4. */
    static final int MAX_DEPTH = 16;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(Kx1.MAX_MESSAGE_BYTES).maxNumberLength(32).build())
            .build();
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
    /** One HMAC-SHA256 per thread: {@link Mac#getInstance} costs a provider lookup; {@code init} is cheap. */
    private static final ThreadLocal<Mac> HMAC_SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    });
    private static final int HS256_LENGTH = 32;

    private final String compact;
    /** {@link #compact} as ASCII bytes (parse allows nothing else): the signing input and the parts to decode. */
    private final byte[] ascii;
    private final int firstDot;
    private final int secondDot;
    private final String algorithm;
    private final String type;
    private final String keyId;
    private final boolean critical;

    private CompactJws(String compact, byte[] ascii, int firstDot, int secondDot, String algorithm, String type, String keyId,
                       boolean critical) {
        this.compact = compact;
        this.ascii = ascii;
        this.firstDot = firstDot;
        this.secondDot = secondDot;
        this.algorithm = algorithm;
        this.type = type;
        this.keyId = keyId;
        this.critical = critical;
    }

    /**
     * Splits {@code compact} and parses its header.
     *
     * @throws TokenException {@code malformed} when it is not a compact JWS with a valid header
     */
    public static CompactJws parse(String compact) {
        if (compact == null || compact.isEmpty()) {
            throw new TokenException(MALFORMED, "no JWS given");
        }
        int length = compact.length();
        if (length > Kx1.MAX_MESSAGE_BYTES) {
            throw new TokenException(MALFORMED, "the JWS is longer than " + Kx1.MAX_MESSAGE_BYTES + " characters");
        }
        int first = -1;
        int second = -1;
        for (int i = 0; i < length; i++) {
            char c = compact.charAt(i);
            if (c == '.') {
                if (first < 0) {
                    first = i;
                } else if (second < 0) {
                    second = i;
                } else {
                    throw new TokenException(MALFORMED, "not a compact JWS (three dot-separated parts)");
                }
            } else if (!isBase64Url(c)) {
                throw new TokenException(MALFORMED, "not a compact JWS (a character outside base64url)");
            }
        }
        if (second < 0 || first == 0 || second == first + 1) {
            throw new TokenException(MALFORMED, "not a compact JWS (three dot-separated parts)");
        }
        byte[] ascii = compact.getBytes(StandardCharsets.US_ASCII);
        Header h = header(decode(ascii, 0, first, "the JOSE header"));
        return new CompactJws(compact, ascii, first, second, h.alg, h.typ, h.kid, h.crit);
    }

    /** The header {@code alg}. */
    public String algorithm() { return algorithm; }

    /** The header {@code kid}; {@code null} when absent. */
    public String keyId() { return keyId; }

    /** The token as received. */
    public String compact() { return compact; }

    /**
     * The header checks of {@code Jws.parse}: {@code alg} the pinned one (RFC 8725 section 3.1),
     * {@code typ} one of {@code types} (section 3.11), no critical extensions (RFC 7515 section 4.1.11).
     */
    void requireHeader(String pinnedAlgorithm, List<String> types) {
        if (!pinnedAlgorithm.equals(algorithm)) {
            throw new TokenException(WRONG_ALGORITHM, "alg must be " + pinnedAlgorithm + ", was " + algorithm);
        }
        boolean typed = false;
        for (int i = 0; i < types.size() && !typed; i++) {
            typed = typeMatches(type, types.get(i));
        }
        if (!typed) {
            throw new TokenException(WRONG_TYPE, "typ must be " + String.join(" or ", types) + ", was " + (type == null ? "absent" : type));
        }
        if (critical) {
            throw new TokenException(MALFORMED, "critical header extensions are not supported");
        }
    }

    /** Media type names are case-insensitive and may omit {@code application/} (RFC 7515 section 4.1.9). */
    private static boolean typeMatches(String actual, String expected) {
        if (actual == null) {
            return false;
        }
        int from = actual.regionMatches(true, 0, "application/", 0, "application/".length()) ? "application/".length() : 0;
        return actual.length() - from == expected.length() && actual.regionMatches(true, from, expected, 0, expected.length());
    }

    /**
     * Checks the HS256 MAC (RFC 7518 section 3.2) over the signing input as received, in constant time.
     *
     * @throws TokenException {@code bad_signature} when it does not verify
     */
    void verifyHs256(byte[] macKey) {
        byte[] signature = signature();
        Mac mac = HMAC_SHA256.get();
        byte[] expected;
        try {
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
            mac.update(ascii, 0, secondDot);
            expected = mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new TokenException(BAD_SIGNATURE, "the signature cannot be verified", e);
        }
        if (signature.length != HS256_LENGTH || !ConstantTime.equals(expected, signature)) {
            throw new TokenException(BAD_SIGNATURE, "the signature does not verify");
        }
    }

    /** The ASCII bytes of {@code header.payload}: what the signature covers (RFC 7515 section 5.2). */
    byte[] signingInput() {
        return Arrays.copyOf(ascii, secondDot);
    }

    /**
     * The decoded signature; empty when the third part is.
     *
     * @throws TokenException {@code bad_signature} when it is not base64url (no length of it can verify)
     */
    byte[] signature() {
        try {
            return decode(ascii, secondDot + 1, ascii.length, "the signature");
        } catch (TokenException e) {
            throw new TokenException(BAD_SIGNATURE, "the signature does not verify", e);
        }
    }

    /**
     * The payload as a JSON object: members named in {@code wanted} with their values (JSON null as
     * absent; objects as {@link LinkedHashMap}, arrays as {@link ArrayList}, integers as {@link Long}
     * and other numbers as {@link Double}); other members are checked as JSON and skipped.
     *
     * @throws TokenException {@code malformed} when the payload is not such an object
     */
    Map<String, Object> claims(java.util.Set<String> wanted) {
        byte[] json = decode(ascii, firstDot + 1, secondDot, "the payload");
        Map<String, Object> claims = new java.util.HashMap<>();
        try (JsonParser p = parser(json)) {
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (wanted.contains(name)) {
                    Object v = value(p, value);
                    if (v != null) {
                        claims.put(name, v);
                    }
                } else {
                    p.skipChildren();
                }
            }
            requireEnd(p);
        } catch (IOException | RuntimeException e) {
            throw new TokenException(MALFORMED, "the payload is not a JWT claims set", e);
        }
        return claims;
    }

    private record Header(String alg, String typ, String kid, boolean crit) {}

    private static Header header(byte[] json) {
        String alg = null;
        String typ = null;
        String kid = null;
        boolean crit = false;
        try (JsonParser p = parser(json)) {
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "alg" -> alg = string(p, value, "alg");
                    case "typ" -> typ = string(p, value, "typ");
                    case "kid" -> kid = string(p, value, "kid");
                    case "crit" -> crit = criticalNames(p, value) > 0;
                    default -> p.skipChildren();
                }
            }
            requireEnd(p);
        } catch (IOException | RuntimeException e) {
            throw new TokenException(MALFORMED, "the JOSE header is not valid", e);
        }
        if (alg == null) {
            throw new TokenException(MALFORMED, "the JOSE header has no alg");
        }
        return new Header(alg, typ, kid, crit);
    }

    /** A string member, {@code null} for JSON null; anything else is refused. */
    private static String string(JsonParser p, JsonToken value, String name) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(name + " must be a string");
        }
        return p.getText();
    }

    private static int criticalNames(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (value != JsonToken.START_ARRAY) {
            throw new IllegalArgumentException("crit must be an array");
        }
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException("crit must name header parameters");
            }
            n++;
        }
        return n;
    }

    /** A parser positioned inside the root object. */
    private static JsonParser parser(byte[] json) throws IOException {
        // A first byte '{' and a second byte other than 0 keep Jackson from reading UTF-16 or UTF-32.
        if (json.length < 2 || json[0] != '{' || json[1] == 0) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonParser p = JSON.createParser(json);
        p.nextToken();
        return p;
    }

    private static void requireEnd(JsonParser p) throws IOException {
        if (p.nextToken() != null) {
            throw new IllegalArgumentException("content after the JSON object");
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> p.getText();
            // as Nimbus' JSON (Gson, LONG_OR_DOUBLE): a Long when it fits, else a Double (boxed apart: ?: would widen both)
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue() : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    list.add(value(p, e));
                }
                yield list;
            }
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_OBJECT; e = p.nextToken()) {
                    String name = p.currentName();
                    map.put(name, value(p, p.nextToken()));
                }
                yield map;
            }
            default -> throw new IllegalArgumentException("unexpected JSON token " + t);
        };
    }

    private static byte[] decode(byte[] ascii, int from, int to, String what) {
        try {
            ByteBuffer decoded = BASE64URL.decode(ByteBuffer.wrap(ascii, from, to - from));
            return decoded.hasArray() && decoded.arrayOffset() == 0 && decoded.remaining() == decoded.array().length
                    ? decoded.array() : Arrays.copyOfRange(decoded.array(), decoded.arrayOffset(), decoded.arrayOffset() + decoded.remaining());
        } catch (IllegalArgumentException e) {
            throw new TokenException(MALFORMED, what + " is not base64url", e);
        }
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
