package io.imsm.sdk;

/** The IMS key set could not be obtained (IMS unreachable, bad answer, refresh rate-limited). */
public final class JwksUnavailableException extends RuntimeException {
    public JwksUnavailableException(String message) { super(message); }

    public JwksUnavailableException(String message, Throwable cause) { super(message, cause); }
}
