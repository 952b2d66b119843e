package io.imsm.server;

import java.util.Objects;

/**
 * The one error family of the server. Services throw these; {@code web.ErrorMapper} turns them into
 * RFC 9457 problem JSON, RFC 6750 {@code WWW-Authenticate} or a friendly page. The message is shown
 * to the caller, so it never contains a secret or tells whether an account exists.
 */
public abstract sealed class ImsmException extends RuntimeException
        permits ImsmException.Invalid, ImsmException.Unauthenticated, ImsmException.Forbidden,
                ImsmException.NotFound, ImsmException.Conflict, ImsmException.Throttled,
                ImsmException.Unavailable {

    private final ErrorCode code;
    private final long retryAfterSeconds;

    protected ImsmException(ErrorCode code, String message, long retryAfterSeconds, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public ErrorCode code() { return code; }

    /** Seconds after which a retry may succeed; 0 when not applicable. */
    public long retryAfterSeconds() { return retryAfterSeconds; }

    /** Bad input: validation, policy, malformed body. */
    public static final class Invalid extends ImsmException {
        private final String field;

        public Invalid(String message) { this(ErrorCode.INVALID_REQUEST, message); }
        public Invalid(ErrorCode code, String message) { this(code, null, message, null); }
        public Invalid(ErrorCode code, String message, Throwable cause) { this(code, null, message, cause); }

        private Invalid(ErrorCode code, String field, String message, Throwable cause) {
            super(code, message, 0, cause);
            this.field = field;
        }

        /**
         * Bad input in one named field of the use case (e.g. {@code ttl_seconds}, {@code phone}), so a
         * form can show the message next to that field; the name is the service's, not a form's.
         */
        public static Invalid inField(String field, String message) {
            return inField(ErrorCode.INVALID_REQUEST, field, message);
        }

        public static Invalid inField(ErrorCode code, String field, String message) {
            return new Invalid(code, Objects.requireNonNull(field, "field"), message, null);
        }

        /** The field the message is about, or null when it is about the request as a whole. */
        public String field() { return field; }
    }

    /** Who are you: login failures, missing or bad credentials. */
    public static final class Unauthenticated extends ImsmException {
        public Unauthenticated(ErrorCode code, String message) { super(code, message, 0, null); }
    }

    /** Known caller, not allowed (includes CSRF failures and pending password change / enrollment). */
    public static final class Forbidden extends ImsmException {
        public Forbidden(String message) { this(ErrorCode.FORBIDDEN, message); }
        public Forbidden(ErrorCode code, String message) { super(code, message, 0, null); }
    }

    public static final class NotFound extends ImsmException {
        public NotFound(String message) { super(ErrorCode.NOT_FOUND, message, 0, null); }
    }

    public static final class Conflict extends ImsmException {
        public Conflict(String message) { super(ErrorCode.CONFLICT, message, 0, null); }
        public Conflict(ErrorCode code, String message) { super(code, message, 0, null); }
    }

    /** Rate limits and lockouts. */
    public static final class Throttled extends ImsmException {
        public Throttled(ErrorCode code, String message, long retryAfterSeconds) {
            super(code, message, Math.max(1, retryAfterSeconds), null);
        }
    }

    public static final class Unavailable extends ImsmException {
        public Unavailable(String message, Throwable cause) { super(ErrorCode.UNAVAILABLE, message, 0, cause); }
        public Unavailable(ErrorCode code, String message, Throwable cause) { super(code, message, 0, cause); }
        /** Overload that passes: the caller may retry after {@code retryAfterSeconds} (sent as {@code Retry-After}). */
        public Unavailable(ErrorCode code, String message, long retryAfterSeconds) {
            super(code, message, Math.max(1, retryAfterSeconds), null);
        }
    }
}
