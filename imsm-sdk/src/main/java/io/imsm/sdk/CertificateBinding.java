package io.imsm.sdk;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.imsm.protocol.ConstantTime;
import io.imsm.protocol.ServiceCredentials;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Map;

import static io.imsm.sdk.AccessDeniedException.Failure.CERTIFICATE_MISMATCH;
import static io.imsm.sdk.AccessDeniedException.Failure.CERTIFICATE_REQUIRED;
import static io.imsm.sdk.AccessDeniedException.Failure.MALFORMED;
import static io.imsm.sdk.AccessDeniedException.Failure.UNSUPPORTED_CONFIRMATION;

/**
 * RFC 8705 section 3: an IMSM-signed token carrying {@code cnf: {"x5t#S256": …}} (the tokens of the
 * certificate exchange, docs/pki.md) is valid only on a request whose TLS client certificate has that
 * thumbprint: base64url (no padding) of the SHA-256 of the certificate's DER, compared in constant
 * time. A token without {@code cnf} is not affected; any other {@code cnf} member is refused, never
 * ignored. Called by {@link TokenVerifier} on a token whose signature it has verified.
 */
public final class CertificateBinding {
    /** {@code "cnf"} as it appears in the decoded payload: a token without these bytes has no confirmation claim. */
    private static final byte[] CNF = "\"cnf\"".getBytes(StandardCharsets.US_ASCII);
    /** A JSON escape could spell the name otherwise: such a payload is parsed in full. */
    private static final byte[] ESCAPE = "\\u".getBytes(StandardCharsets.US_ASCII);

    private CertificateBinding() {}

    /**
     * @param token             the compact token, already verified
     * @param clientCertificate the certificate the caller presented on this request's TLS connection, or {@code null}
     * @throws AccessDeniedException {@code certificate_required}, {@code certificate_mismatch}, {@code unsupported_confirmation}
     */
    public static void check(String token, X509Certificate clientCertificate) {
        Object cnf = confirmation(token);
        if (cnf == null) {
            return;
        }
        if (!(cnf instanceof Map<?, ?> confirmation) || confirmation.size() != 1
                || !(confirmation.get("x5t#S256") instanceof String expected)) {
            throw new AccessDeniedException(UNSUPPORTED_CONFIRMATION, "the cnf claim holds no x5t#S256 alone");
        }
        if (clientCertificate == null) {
            throw new AccessDeniedException(CERTIFICATE_REQUIRED, "the token is bound to a client certificate; none was presented");
        }
        if (!ConstantTime.equals(expected, ServiceCredentials.x5tS256(clientCertificate))) {
            throw new AccessDeniedException(CERTIFICATE_MISMATCH, "the token is bound to another client certificate");
        }
    }

    /** The {@code cnf} claim, or {@code null}; the payload is parsed only when its bytes name one. */
    private static Object confirmation(String token) {
        int first = token.indexOf('.');
        int second = token.indexOf('.', first + 1);
        if (first < 0 || second < 0) {
            throw new AccessDeniedException(MALFORMED, "not a compact JWS");
        }
        byte[] payload = new Base64URL(token.substring(first + 1, second)).decode();
        if (!contains(payload, CNF) && !contains(payload, ESCAPE)) {
            return null;
        }
        try {
            return JSONObjectUtils.parse(new String(payload, StandardCharsets.UTF_8)).get("cnf");
        } catch (java.text.ParseException e) {
            throw new AccessDeniedException(MALFORMED, "the payload is not JSON", e);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
