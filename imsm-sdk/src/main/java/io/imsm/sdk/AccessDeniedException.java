package io.imsm.sdk;

import io.imsm.protocol.ProtocolException;

import java.util.Objects;

/**
 * A request was refused: its bearer token is missing or invalid ({@link TokenVerifier}), or the valid
 * token does not allow this request ({@link RequestGuard}). Each failure has its own {@link Failure}
 * with a stable code and the HTTP status and RFC 6750 {@code WWW-Authenticate} challenge a service
 * should answer with. Messages never contain key material.
 */
public final class AccessDeniedException extends RuntimeException {

    /** The failure kinds. The codes equal those of docs/protocol.md section 10 where both have one. */
    public enum Failure {
        /** No {@code Authorization: Bearer} header (RFC 6750 section 3.1: no error code then). */
        MISSING_TOKEN("missing_token", 401, null),
        /** Not a compact JWS, a required claim missing or mistyped, bad {@code authorization_details}. */
        MALFORMED("malformed", 401, "invalid_token"),
        /** Header {@code alg} is neither HS256 (session token) nor ES256 (jwks binding), or not the pinned one. */
        WRONG_ALGORITHM("wrong_algorithm", 401, "invalid_token"),
        /** Header {@code typ} is not {@code JWT}. */
        WRONG_TYPE("wrong_type", 401, "invalid_token"),
        /** ES256 token whose {@code kid} is not in the IMS key set (after a refresh). */
        UNKNOWN_KEY("unknown_key", 401, "invalid_token"),
        /** HS256 token whose {@code kid} names no session this service holds (never exchanged, or long expired). */
        UNKNOWN_SESSION("unknown_session", 401, "invalid_token"),
        /** The session was revoked by the IMS. */
        REVOKED("revoked", 401, "invalid_token"),
        /** The MAC or signature does not verify (tampered token, wrong key). */
        BAD_SIGNATURE("bad_signature", 401, "invalid_token"),
        WRONG_ISSUER("wrong_issuer", 401, "invalid_token"),
        WRONG_AUDIENCE("wrong_audience", 401, "invalid_token"),
        /** {@code exp} (or the session's {@code session_exp}) has passed, beyond the allowed skew. */
        EXPIRED("expired", 401, "invalid_token"),
        /** {@code iat} or {@code nbf} lies in the future, beyond the allowed skew. */
        NOT_YET_VALID("not_yet_valid", 401, "invalid_token"),
        /** The {@code sid} claim is not the header {@code kid}. */
        SID_MISMATCH("sid_mismatch", 401, "invalid_token"),
        /** The token's {@code sub}, {@code scope} or {@code exp} exceed what its session was established for. */
        SESSION_MISMATCH("session_mismatch", 401, "invalid_token"),
        /** The {@code enc} claim does not decrypt under the session's {@code enc_key}, or is not as specified. */
        BAD_ENC("bad_enc", 401, "invalid_token"),
        /** The IMS key set could not be obtained; the token may well be valid (503, try again later). */
        KEYS_UNAVAILABLE("keys_unavailable", 503, null),
        /** The request's path or query is malformed or has dot segments (docs/protocol.md section 7.1). */
        BAD_REQUEST("bad_request", 400, "invalid_request"),
        /** The IMS revocation list could not be obtained for too long (503, try again later). */
        REVOCATIONS_UNAVAILABLE("revocations_unavailable", 503, null),
        /** The token lacks a scope this request requires. */
        INSUFFICIENT_SCOPE("insufficient_scope", 403, "insufficient_scope"),
        /** The request is outside the token's {@code authorization_details} (RFC 9396). */
        REQUEST_NOT_ALLOWED("request_not_allowed", 403, "insufficient_scope"),
        /** A certificate-bound token ({@code cnf.x5t#S256}, RFC 8705 section 3) on a request without a client certificate. */
        CERTIFICATE_REQUIRED("certificate_required", 401, "invalid_token"),
        /** A certificate-bound token with a client certificate other than the one it is bound to. */
        CERTIFICATE_MISMATCH("certificate_mismatch", 401, "invalid_token"),
        /** A {@code cnf} claim with a confirmation method this SDK cannot check (e.g. DPoP's {@code jkt}): never ignored. */
        UNSUPPORTED_CONFIRMATION("unsupported_confirmation", 401, "invalid_token");

        private final String code;
        private final int status;
        private final String bearerError;

        Failure(String code, int status, String bearerError) {
            this.code = code;
            this.status = status;
            this.bearerError = bearerError;
        }

        /** Stable lower-case code, e.g. {@code "revoked"}. */
        public String code() { return code; }

        /** The HTTP status to answer with: 400, 401, 403 or 503. */
        public int status() { return status; }
    }

    private final Failure failure;

    public AccessDeniedException(Failure failure, String message) { this(failure, message, null); }

    public AccessDeniedException(Failure failure, String message, Throwable cause) {
        super(Objects.requireNonNull(failure, "failure").code() + ": " + Objects.requireNonNull(message, "message"), cause);
        this.failure = failure;
    }

    public Failure failure() { return failure; }

    /** Shortcut for {@code failure().code()}. */
    public String code() { return failure.code(); }

    /** Shortcut for {@code failure().status()}. */
    public int status() { return failure.status(); }

    /**
     * The {@code WWW-Authenticate} value for a 401 or 403 (RFC 6750 section 3), e.g.
     * {@code Bearer error="invalid_token", error_description="expired"}; {@code null} for a 503. The
     * description is the stable code only, so nothing about the token or the session leaks to the caller.
     */
    public String wwwAuthenticate() {
        if (failure.status == 503) {
            return null;
        }
        if (failure.bearerError == null) {
            return "Bearer";
        }
        return "Bearer error=\"" + failure.bearerError + "\", error_description=\"" + failure.code + "\"";
    }

    /** The SDK failure for a session token (HS256) the protocol library refused: an unknown kid names no session. */
    static AccessDeniedException forSessionToken(ProtocolException e) {
        return fromProtocol(e, Failure.UNKNOWN_SESSION);
    }

    /** The SDK failure for a jwks-binding token (ES256) the protocol library refused: an unknown kid names no IMS key. */
    static AccessDeniedException forJwksToken(ProtocolException e) {
        return fromProtocol(e, Failure.UNKNOWN_KEY);
    }

    private static AccessDeniedException fromProtocol(ProtocolException e, Failure unknownKey) {
        Failure f = switch (e.reason()) {
            case WRONG_ALGORITHM -> Failure.WRONG_ALGORITHM;
            case WRONG_TYPE -> Failure.WRONG_TYPE;
            case UNKNOWN_KEY -> unknownKey;
            case BAD_SIGNATURE -> Failure.BAD_SIGNATURE;
            case WRONG_ISSUER -> Failure.WRONG_ISSUER;
            case WRONG_AUDIENCE -> Failure.WRONG_AUDIENCE;
            case EXPIRED -> Failure.EXPIRED;
            case NOT_YET_VALID -> Failure.NOT_YET_VALID;
            case SID_MISMATCH -> Failure.SID_MISMATCH;
            case BAD_ENC -> Failure.BAD_ENC;
            case REVOKED -> Failure.REVOKED;
            default -> Failure.MALFORMED;
        };
        String message = e.getMessage();
        String prefix = e.reason().code() + ": ";
        return new AccessDeniedException(f, message.startsWith(prefix) ? message.substring(prefix.length()) : message, e);
    }
}
