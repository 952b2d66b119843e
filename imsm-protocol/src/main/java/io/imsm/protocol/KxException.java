package io.imsm.protocol;

/** A KX1 offer, answer or revocation was refused. */
public final class KxException extends ProtocolException {
    public KxException(Reason reason, String message) { super(reason, message, null); }
    public KxException(Reason reason, String message, Throwable cause) { super(reason, message, cause); }
}
