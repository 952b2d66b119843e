package io.imsm.protocol;

import java.util.Collection;
import java.util.Map;

/**
 * Writes JSON exactly as Nimbus JOSE+JWT wrote the session token's claims (its shaded Gson with
 * {@code serializeNulls} and HTML escaping off): members in map order, no spaces, {@code "} and
 * {@code \} escaped, control characters as {@code \b \t \n \f \r} or {@code \}{@code u00xx} (lower-case
 * hex), U+2028 and U+2029 escaped, everything else (non-ASCII included) written as is. The token vectors
 * of docs/protocol.md fix the token's bytes, so this writer must not drift from what Nimbus produced;
 * {@code SessionTokenTest} compares the two on awkward strings.
 *
 * <p>Values: {@link String}, {@link Boolean}, integral {@link Number}s and finite doubles, {@link Map}
 * (string keys), {@link Collection}, {@code null}. Anything else is refused rather than guessed at.
 */
final class JoseJson {
    private JoseJson() {}

    static String write(Map<String, ?> object) {
        StringBuilder out = new StringBuilder(256);
        value(out, object);
        return out.toString();
    }

    /** Appends {@code "name":} to an object being written (the caller writes the braces and commas). */
    static StringBuilder member(StringBuilder out, String name) {
        return string(out, name).append(':');
    }

    static StringBuilder value(StringBuilder out, Object v) {
        switch (v) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Boolean b -> out.append(b.booleanValue());
            case Integer n -> out.append(n.intValue());
            case Long n -> out.append(n.longValue());
            case Short n -> out.append(n.shortValue());
            case Byte n -> out.append(n.byteValue());
            case java.math.BigInteger n -> out.append(n);
            case Double d when Double.isFinite(d) -> out.append(d.doubleValue());
            case Map<?, ?> m -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String name)) {
                        throw new IllegalArgumentException("a JSON member name must be a string");
                    }
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    value(member(out, name), e.getValue());
                }
                out.append('}');
            }
            case Collection<?> c -> {
                out.append('[');
                boolean first = true;
                for (Object item : c) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    value(out, item);
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("no JSON form for a " + v.getClass().getName());
        }
        return out;
    }

    static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        int plainFrom = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escape;
            if (c < 0x20) {
                escape = switch (c) {
                    case '\b' -> "\\b";
                    case '\t' -> "\\t";
                    case '\n' -> "\\n";
                    case '\f' -> "\\f";
                    case '\r' -> "\\r";
                    default -> String.format("\\u%04x", (int) c);
                };
            } else if (c == '"') {
                escape = "\\\"";
            } else if (c == '\\') {
                escape = "\\\\";
            } else if (c == '\u2028') {
                escape = "\\u2028";
            } else if (c == '\u2029') {
                escape = "\\u2029";
            } else {
                continue;
            }
            out.append(s, plainFrom, i).append(escape);
            plainFrom = i + 1;
        }
        return out.append(s, plainFrom, s.length()).append('"');
    }
}
