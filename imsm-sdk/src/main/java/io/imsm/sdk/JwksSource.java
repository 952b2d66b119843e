package io.imsm.sdk;

import com.nimbusds.jose.jwk.JWKSet;

import java.util.Objects;
import java.util.Optional;

/**
 * Where the IMS public keys come from: verifying offers, revocations and jwks-binding tokens. Either
 * a {@linkplain #fixed fixed} key set (configuration, tests) or {@link RemoteJwks}, which fetches
 * {@code {issuer}/.well-known/jwks.json}. Implementations must be thread-safe.
 */
public interface JwksSource {

    /**
     * The key set to verify with now; usually a cached copy.
     *
     * @throws JwksUnavailableException when no key set can be obtained
     */
    JWKSet keys();

    /**
     * Called when a message names a {@code kid} that {@link #keys()} does not hold: fetch the set
     * anew if the source can and its rate limit allows.
     *
     * @return the fresh set to retry with, or empty when nothing new was obtained
     */
    default Optional<JWKSet> refresh() { return Optional.empty(); }

    /** A fixed key set; private parts are stripped. */
    static JwksSource fixed(JWKSet keys) {
        JWKSet pub = Objects.requireNonNull(keys, "keys").toPublicJWKSet();
        return () -> pub;
    }
}
