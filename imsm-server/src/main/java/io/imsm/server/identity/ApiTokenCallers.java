package io.imsm.server.identity;

import java.util.Optional;

/**
 * Turns a bearer value that is a user API token ({@code imsm_<key>.<secret>}) or an IMSM OAuth access
 * token into its caller. Implemented by the apitoken and oauth packages, so identity depends on neither.
 */
public interface ApiTokenCallers {
    /**
     * @return empty when the value does not have the API token form (another kind of bearer token);
     * @throws io.imsm.server.ImsmException.Unauthenticated when it has the form but is not a live token
     */
    Optional<Caller> callerFor(String token, String ip);

    /** This reader, and for a value it does not read, {@code next}. */
    default ApiTokenCallers or(ApiTokenCallers next) {
        return (token, ip) -> {
            Optional<Caller> mine = callerFor(token, ip);
            return mine.isPresent() ? mine : next.callerFor(token, ip);
        };
    }
}
