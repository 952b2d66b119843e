package io.imsm.server.model;

import java.time.Instant;

/** One entry of a token's change history. {@code detail} never holds a secret. */
public record ApiTokenEvent(long id, String tokenKey, String userId, String username, String parentKey, String event,
                            String actor, String ip, Instant at, String detail) {}
