package io.imsm.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One RFC 9396 {@code authorization_details} entry of type {@code imsm:http}: the token is limited to
 * exactly this request, {@code {"type":"imsm:http","method":"GET","path":"/search","query":{"account":"12345"}}}.
 *
 * <p>A request ({@link RequestTarget}) matches when the method is equal (case-sensitive, RFC 9110
 * section 9.1), the canonical paths are equal (raw path, percent-encoding normalised per RFC 3986
 * section 6.2.2, see {@link RequestTarget#canonicalPath}), every listed query parameter occurs exactly
 * once with exactly the listed (decoded) value, and no other query parameter is present.
 *
 * @param path  the path in canonical form: the constructor normalises it and refuses one with dot
 *              segments or a malformed escape
 * @param query the allowed query parameters and their values; kept sorted by name
 */
public record HttpAuthorizationDetail(String method, String path, Map<String, String> query) {

    private static final Set<String> MEMBERS = Set.of("type", "method", "path", "query");

    public HttpAuthorizationDetail {
        MessageChecks.requireText(method, "method");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with /");
        }
        path = RequestTarget.canonicalPath(path);
        TreeMap<String, String> sorted = new TreeMap<>();
        if (query != null) {
            query.forEach((k, v) -> sorted.put(Objects.requireNonNull(k, "query name"), Objects.requireNonNull(v, "query value")));
        }
        query = Collections.unmodifiableMap(sorted);
    }

    public HttpAuthorizationDetail(String method, String path) { this(method, path, Map.of()); }

    /** The JSON object of this entry (RFC 9396 section 2). */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", Kx1.HTTP_DETAIL_TYPE);
        json.put("method", method);
        json.put("path", path);
        json.put("query", new LinkedHashMap<>(query));
        return json;
    }

    /**
     * Parses one entry. Anything this library cannot enforce is refused (another {@code type}, the
     * RFC 9396 common fields such as {@code locations} or {@code actions}, unknown members), because
     * ignoring a limit would widen what the token allows.
     *
     * @throws IllegalArgumentException when the entry is not a valid {@code imsm:http} entry
     */
    public static HttpAuthorizationDetail fromJson(Object entry) {
        if (!(entry instanceof Map<?, ?> json)) {
            throw new IllegalArgumentException("an authorization_details entry must be a JSON object");
        }
        if (!Kx1.HTTP_DETAIL_TYPE.equals(json.get("type"))) {
            throw new IllegalArgumentException("unsupported authorization_details type " + json.get("type"));
        }
        for (Object member : json.keySet()) {
            if (!MEMBERS.contains(member)) {
                throw new IllegalArgumentException("unsupported member " + member + " in an imsm:http entry");
            }
        }
        if (!(json.get("method") instanceof String method) || !(json.get("path") instanceof String path)) {
            throw new IllegalArgumentException("an imsm:http entry needs string method and path");
        }
        Map<String, String> query = new TreeMap<>();
        Object q = json.get("query");
        if (q != null) {
            if (!(q instanceof Map<?, ?> qm)) {
                throw new IllegalArgumentException("query must be a JSON object");
            }
            for (Map.Entry<?, ?> e : qm.entrySet()) {
                if (!(e.getValue() instanceof String value)) {
                    throw new IllegalArgumentException("query parameter " + e.getKey() + " must have a string value");
                }
                query.put((String) e.getKey(), value);
            }
        }
        return new HttpAuthorizationDetail(method, path, query);
    }

    /** Why {@code request} does not match this entry, or empty when it does. */
    public Optional<String> mismatch(RequestTarget request) {
        Objects.requireNonNull(request, "request");
        if (!method.equals(request.method())) {
            return Optional.of("method " + request.method() + " is not allowed (allowed: " + method + ")");
        }
        if (!path.equals(request.path())) {
            return Optional.of("path " + request.path() + " is not allowed (allowed: " + path + ")");
        }
        Map<String, List<String>> actual = request.query();
        for (String name : new TreeMap<>(actual).keySet()) {
            if (!query.containsKey(name)) {
                return Optional.of("query parameter '" + name + "' is not allowed");
            }
        }
        for (Map.Entry<String, String> allowed : query.entrySet()) {
            List<String> values = actual.get(allowed.getKey());
            if (values == null || values.isEmpty()) {
                return Optional.of("query parameter '" + allowed.getKey() + "' is required");
            }
            if (values.size() != 1) {
                return Optional.of("query parameter '" + allowed.getKey() + "' must occur exactly once");
            }
            if (!allowed.getValue().equals(values.get(0))) {
                return Optional.of("query parameter '" + allowed.getKey() + "' has a value the token does not allow");
            }
        }
        return Optional.empty();
    }
}
