package io.imsm.protocol;

import java.util.Objects;

/**
 * Why a KX1 message or a session token was refused. One sealed family: {@link KxException} for the
 * key-exchange messages (offer, answer, revocation), {@link TokenException} for session tokens. Each
 * failure has its own {@link Reason} with a stable code, so the server and the SDK can map them to
 * their error responses without parsing messages. MessageChecks never contain key material.
 */
public abstract sealed class ProtocolException extends RuntimeException permits KxException, TokenException {

    /** The failure kinds. The {@link #code()} strings are part of the contract: never rename one. */
    public enum Reason {
        /** Not a compact JWS/JWE, bad JSON, a required claim missing or of the wrong type. */
        MALFORMED("malformed"),
        /** The header {@code alg} is not the one pinned for this message (incl. {@code none}). */
        WRONG_ALGORITHM("wrong_algorithm"),
        /** The header {@code typ} is not the one this message must carry (RFC 8725 section 3.11). */
        WRONG_TYPE("wrong_type"),
        /** No usable verification key for the header {@code kid}. */
        UNKNOWN_KEY("unknown_key"),
        /** The signature or MAC does not verify. */
        BAD_SIGNATURE("bad_signature"),
        WRONG_ISSUER("wrong_issuer"),
        WRONG_AUDIENCE("wrong_audience"),
        /** {@code exp} has passed (beyond the allowed clock skew). */
        EXPIRED("expired"),
        /** {@code nbf} or {@code iat} lies in the future (beyond the allowed clock skew). */
        NOT_YET_VALID("not_yet_valid"),
        /** A key-exchange message that lives longer than KX1 allows ({@code exp > iat + 60 s}). */
        LIFETIME_TOO_LONG("lifetime_too_long"),
        /** The {@code jti} was seen before. */
        REPLAYED("replayed"),
        /** The replay guard is full; the message is refused rather than accepted unchecked. */
        REPLAY_CACHE_FULL("replay_cache_full"),
        /** The ephemeral key is not a public EC P-256 point on the curve. */
        BAD_POINT("bad_point"),
        /** The {@code sid} does not match the one expected (answer echo, token {@code kid}). */
        SID_MISMATCH("sid_mismatch"),
        /** The answer's {@code nonce} is not the offer's {@code jti}. */
        NONCE_MISMATCH("nonce_mismatch"),
        /** The {@code enc} claim is not a valid JWE under the session's {@code enc_key}. */
        BAD_ENC("bad_enc"),
        /** The session was revoked (raised by the session store of the SDK, not by this library). */
        REVOKED("revoked");

        private final String code;

        Reason(String code) { this.code = code; }

        /** Stable lower-case code, e.g. {@code "expired"}. */
        public String code() { return code; }
    }

    private final Reason reason;

    protected ProtocolException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(reason, "reason").code() + ": " + Objects.requireNonNull(message, "message"), cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }
}
