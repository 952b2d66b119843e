package io.imsm.server.model;

import java.time.Instant;

/** One audit record. {@code detail} is free text and must never hold a secret. */
public record AuditEvent(Instant at, String actor, String action, String target, String ip, String outcome, String detail) {}
