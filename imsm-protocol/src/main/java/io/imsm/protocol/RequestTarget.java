package io.imsm.protocol;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request as {@code authorization_details} entries are matched against it (docs/protocol.md
 * section 7.1): the method, the canonical path and the decoded query parameters.
 *
 * <p>The canonical path is the raw (still percent-encoded) path with the encoding normalised as
 * RFC 3986 section 6.2.2 says: hexadecimal digits of an escape in upper case (6.2.2.1), escapes of
 * unreserved characters decoded (6.2.2.2), and characters that must be escaped in a path (such as
 * spaces or non-ASCII letters, which lenient servers pass through) percent-encoded as UTF-8. So
 * {@code /caf%c3%a9}, {@code /caf%C3%A9} and {@code /café} are the same path, while {@code /a%2Fb}
 * stays distinct from {@code /a/b}: a service may route them differently. Dot segments
 * ({@code .}, {@code ..}, also written {@code %2e}) are refused instead of removed (6.2.2.3): a
 * service and a proxy in front of it do not agree on them, and a token limited to {@code /a} must not
 * reach what {@code /a/../b} names.
 *
 * <p>The query is split at {@code &}; each parameter at its first {@code =}; names and values are
 * percent-decoded as UTF-8 with {@code +} read as a space (the {@code application/x-www-form-urlencoded}
 * rule that servers apply to query strings). A malformed escape or invalid UTF-8 is refused, never
 * replaced, so two different raw values cannot decode to the same string.
 *
 * @param path  the path; the constructor puts it in canonical form (see {@link #canonicalPath})
 * @param query every parameter with all its values in order, decoded; unmodifiable
 */
public record RequestTarget(String method, String path, Map<String, List<String>> query) {
    private static final int MAX_LENGTH = 8 * 1024;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    public RequestTarget {
        MessageChecks.requireText(method, "method");
        path = canonicalPath(path);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        if (query != null) {
            query.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "query name"), List.copyOf(v)));
        }
        query = Collections.unmodifiableMap(copy);
    }

    /**
     * The target of a request from its method and its URI as received (only the raw path and the
     * raw query are used; use {@code getRequestURI()} of the JDK server, never a decoded path).
     *
     * @throws IllegalArgumentException when the path or query is malformed or has dot segments
     */
    public static RequestTarget of(String method, URI uri) {
        Objects.requireNonNull(uri, "uri");
        String rawPath = uri.getRawPath();
        return new RequestTarget(method, rawPath == null || rawPath.isEmpty() ? "/" : rawPath,
                parseQuery(uri.getRawQuery()));
    }

    /**
     * The target of a request from its method and its request-target in origin form (RFC 9112
     * section 3.2.1: {@code /path?query}, no fragment).
     *
     * @throws IllegalArgumentException when it is not an origin-form target, or as {@link #of(String, URI)}
     */
    public static RequestTarget parse(String method, String originForm) {
        Objects.requireNonNull(originForm, "originForm");
        if (originForm.indexOf('#') >= 0) {
            throw new IllegalArgumentException("a request target has no fragment");
        }
        int q = originForm.indexOf('?');
        String rawPath = q < 0 ? originForm : originForm.substring(0, q);
        return new RequestTarget(method, rawPath, parseQuery(q < 0 ? null : originForm.substring(q + 1)));
    }

    /**
     * The canonical form of a raw path (see the class description).
     *
     * @throws IllegalArgumentException when it does not start with {@code /}, has a malformed escape,
     *                                  a {@code ?}, {@code #} or control character, or a dot segment
     */
    public static String canonicalPath(String rawPath) {
        Objects.requireNonNull(rawPath, "path");
        if (!rawPath.startsWith("/")) {
            throw new IllegalArgumentException("a path must start with /");
        }
        if (rawPath.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the path is longer than " + MAX_LENGTH + " characters");
        }
        StringBuilder out = new StringBuilder(rawPath.length() + 8);
        for (int i = 0; i < rawPath.length(); ) {
            char c = rawPath.charAt(i);
            if (c == '%') {
                int b = escape(rawPath, i);
                if (isUnreserved(b)) {
                    out.append((char) b);
                } else {
                    out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
                }
                i += 3;
            } else if (c == '?' || c == '#' || c < 0x20 || c == 0x7F) {
                throw new IllegalArgumentException("a path must not contain '?', '#' or control characters");
            } else if (c < 0x80 && (isUnreserved(c) || isSubDelimOrPathChar(c))) {
                out.append(c);
                i++;
            } else {
                int cp = rawPath.codePointAt(i);
                if (Character.isSurrogate(c) && cp == c) {
                    throw new IllegalArgumentException("the path holds an unpaired surrogate");
                }
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
                }
                i += Character.charCount(cp);
            }
        }
        String canonical = out.toString();
        for (String segment : canonical.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("a path must not contain '.' or '..' segments");
            }
        }
        return canonical;
    }

    /**
     * Decodes a raw query string ({@code a=1&b=x%20y&a=2}) into names and values in order. A
     * parameter without {@code =} has the value {@code ""}; empty parameters ({@code a=1&&b=2}) are
     * skipped. {@code null} or empty: no parameters.
     *
     * @throws IllegalArgumentException on a malformed escape or invalid UTF-8
     */
    public static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        if (rawQuery.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the query is longer than " + MAX_LENGTH + " characters");
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return query;
    }

    /** Percent-decodes one query component as UTF-8, {@code +} as a space; strict. */
    private static String decode(String raw) {
        if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); ) {
            char c = raw.charAt(i);
            if (c == '%') {
                bytes.write(escape(raw, i));
                i += 3;
            } else if (c == '+') {
                bytes.write(' ');
                i++;
            } else {
                int cp = raw.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a query parameter is not valid UTF-8 once decoded", e);
        }
    }

    /** The octet of the escape {@code %XX} at {@code i} (RFC 3986 section 2.1). */
    private static int escape(String s, int i) {
        if (i + 2 >= s.length()) {
            throw new IllegalArgumentException("incomplete percent-encoding");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0 || s.charAt(i + 1) > 0x7F || s.charAt(i + 2) > 0x7F) {
            throw new IllegalArgumentException("malformed percent-encoding");
        }
        return hi << 4 | lo;
    }

    /** RFC 3986 section 2.3. */
    private static boolean isUnreserved(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** RFC 3986 section 3.3: sub-delims, ':' and '@' (pchar), and '/' between segments. */
    private static boolean isSubDelimOrPathChar(char c) {
        return "!$&'()*+,;=:@/".indexOf(c) >= 0;
    }
}
