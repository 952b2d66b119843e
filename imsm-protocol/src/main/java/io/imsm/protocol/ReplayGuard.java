package io.imsm.protocol;

import java.time.Instant;

/**
 * Remembers message ids ({@code jti}) so that a KX1 offer or revocation is accepted only once
 * (KX1 section 1: "reject a jti seen before; keep seen ids until their exp"). An implementation
 * shared by several instances of a service (a database, a shared cache) makes replay protection
 * hold across them.
 */
@FunctionalInterface
public interface ReplayGuard {
    /**
     * Records {@code id} until {@code keepUntil} and reports whether this is its first use.
     *
     * @return {@code true} the first time, {@code false} when the id is still remembered
     * @throws KxException with {@link ProtocolException.Reason#REPLAY_CACHE_FULL} when the id cannot
     *                     be remembered; the message is then refused, never accepted unchecked
     */
    boolean firstUse(String id, Instant keepUntil);
}
