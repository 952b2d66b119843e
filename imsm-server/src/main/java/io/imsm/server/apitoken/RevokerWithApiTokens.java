package io.imsm.server.apitoken;

import io.imsm.server.identity.TokenSessionRevoker;
import org.jdbi.v3.core.Handle;

import java.util.Objects;
import java.util.Set;

/**
 * Ending a person's access ends their API tokens too: wraps the token-session revoker the account
 * changes already call (deactivation, deletion, second-factor reset), in the same transaction.
 */
public final class RevokerWithApiTokens implements TokenSessionRevoker {
    private final TokenSessionRevoker sessions;
    private final ApiTokenService apiTokens;

    public RevokerWithApiTokens(TokenSessionRevoker sessions, ApiTokenService apiTokens) {
        this.sessions = Objects.requireNonNull(sessions);
        this.apiTokens = Objects.requireNonNull(apiTokens);
    }

    @Override
    public int revokeAll(Handle h, String userId, String actor) {
        return sessions.revokeAll(h, userId, actor) + apiTokens.disableAll(h, userId, actor);
    }

    @Override
    public int revokeNoLongerAllowed(Handle h, String userId, Set<String> roles, String actor) {
        // API tokens lose scopes the roles no longer grant when they are next checked (the scope mapping)
        return sessions.revokeNoLongerAllowed(h, userId, roles, actor);
    }

    @Override
    public void deliverSoon() {
        sessions.deliverSoon();
        apiTokens.afterCommit();
    }
}
