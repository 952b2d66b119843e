package io.imsm.server.kx;

import java.util.Objects;

/**
 * A call to a service that did not succeed. The message is the detail for admins (the audit log and
 * the security log): it may name addresses, ports and statuses, so it is never shown to the person
 * who asked for a token.
 */
public final class KeyExchangeException extends Exception {
    /** Whether the service could not be talked to at all, or talked and said something unusable. */
    public enum Kind {
        /** Refused target, no connection, timeout: later calls to this service would likely fail the same way. */
        UNREACHABLE,
        /** An answer came, but not the one the protocol asks for (status, size, signature). */
        BAD_ANSWER
    }

    private final Kind kind;

    public KeyExchangeException(Kind kind, String detail, Throwable cause) {
        super(detail, cause);
        this.kind = Objects.requireNonNull(kind);
    }

    public Kind kind() { return kind; }
}
