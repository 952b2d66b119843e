package io.imsm.protocol;

/** A session token (HS256 under the session's {@code mac_key}, or ES256 for the jwks binding) was refused. */
public final class TokenException extends ProtocolException {
    public TokenException(Reason reason, String message) { super(reason, message, null); }
    public TokenException(Reason reason, String message, Throwable cause) { super(reason, message, cause); }
}
