package io.imsm.server.identity;

import org.jdbi.v3.core.Handle;

import java.util.Set;

/**
 * What ending a person's access means for the tokens they already hold. Implemented by the token
 * package (so identity does not depend on it); the revocations join the caller's transaction, so the
 * account change and the revocations commit or roll back together.
 */
public interface TokenSessionRevoker {
    /** Revokes every live token session of the user; returns how many. */
    int revokeAll(Handle h, String userId, String actor);

    /** Revokes the live token sessions for services that {@code roles} no longer allow; returns how many. */
    int revokeNoLongerAllowed(Handle h, String userId, Set<String> roles, String actor);

    /** After the commit: tell the services now instead of at the outbox's next round. */
    void deliverSoon();
}
