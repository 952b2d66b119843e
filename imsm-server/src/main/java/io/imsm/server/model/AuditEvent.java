package io.imsm.server.model;

import java.time.Instant;

/**
 * One audit record. {@code detail} is free text and must never hold a secret; {@code userAgent} is
 * the caller's User-Agent header when the event came from an HTTP request, else null.
 */
public record AuditEvent(Instant at, String actor, String action, String target, String ip, String outcome, String detail,
                         String userAgent) {
    /** An event without a user agent (one not caused by an HTTP request, or written by a test). */
    public AuditEvent(Instant at, String actor, String action, String target, String ip, String outcome, String detail) {
        this(at, actor, action, target, ip, outcome, detail, null);
    }
}
