package io.imsm.server.oauth;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request to the token, introspection or revocation endpoint, without HTTP types: the form
 * parameters, the {@code Authorization} header, the client's TLS certificates (for {@code tls_client_auth})
 * and address.
 */
public record TokenRequest(Map<String, List<String>> params, String authorization, List<X509Certificate> clientCertificates, String ip) {
    public TokenRequest {
        params = Map.copyOf(Objects.requireNonNull(params));
        clientCertificates = clientCertificates == null ? List.of() : List.copyOf(clientCertificates);
    }

    /** The single value of a parameter, or null; RFC 6749 §3.2: a parameter must not be repeated. */
    public String param(String name) {
        List<String> v = params.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.size() > 1) {
            throw OAuthError.invalidRequest("Parameter " + name + " is repeated.");
        }
        String s = v.get(0);
        return s == null || s.isEmpty() ? null : s;
    }

    public String require(String name) {
        String v = param(name);
        if (v == null) {
            throw OAuthError.invalidRequest("Parameter " + name + " is missing.");
        }
        return v;
    }
}
