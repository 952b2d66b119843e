package io.imsm.server.identity;

import java.util.Optional;

/**
 * Turns a bearer value that is a user API token ({@code imsm_<key>.<secret>}) into its caller.
 * Implemented by the apitoken package, so identity does not depend on it.
 */
public interface ApiTokenCallers {
    /**
     * @return empty when the value does not have the API token form (another kind of bearer token);
     * @throws io.imsm.server.ImsmException.Unauthenticated when it has the form but is not a live token
     */
    Optional<Caller> callerFor(String token, String ip);
}
