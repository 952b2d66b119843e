package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.BrowserSession;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.util.Set;

/**
 * Who is calling: a person with a browser session, a person through one of their API tokens, or the
 * bootstrap token. Services take a Caller and check it themselves; {@code web} only resolves it.
 *
 * @param tokenScopes the scopes of the API token the person called with; null for a browser session
 *                    or the bootstrap token
 */
public record Caller(User user, BrowserSession session, boolean bootstrap, boolean mfaRequired, String ip,
                     Set<String> tokenScopes) {
    /** The scope an API token needs to act as an admin (Gafaelfawr's name). */
    public static final String ADMIN_TOKEN_SCOPE = "admin:token";

    public Caller(User user, BrowserSession session, boolean bootstrap, boolean mfaRequired, String ip) {
        this(user, session, bootstrap, mfaRequired, ip, null);
    }

    public Caller {
        tokenScopes = tokenScopes == null ? null : Set.copyOf(tokenScopes);
    }

    public static Caller bootstrapToken(String ip) {
        return new Caller(null, null, true, false, ip);
    }

    /** A person calling with one of their API tokens: no browser session, only the token's scopes. */
    public static Caller apiToken(User user, Set<String> scopes, String ip) {
        return new Caller(user, null, false, false, ip, scopes);
    }

    public boolean viaApiToken() {
        return tokenScopes != null;
    }

    /** The name written to the audit log. */
    public String actor() {
        return bootstrap ? "bootstrap-token" : user.username();
    }

    public boolean isAdmin() {
        return bootstrap || (user != null && user.isAdmin() && (tokenScopes == null || tokenScopes.contains(ADMIN_TOKEN_SCOPE)));
    }

    /** A session whose owner still has to change the password or enroll a second factor can do little else. */
    public Caller requireReady() {
        if (bootstrap) {
            return this;
        }
        if (user.mustChangePassword()) {
            throw new ImsmException.Forbidden(ErrorCode.PASSWORD_CHANGE_REQUIRED, "Change your password before continuing.");
        }
        if (mfaRequired && !user.hasTotp()) {
            throw new ImsmException.Forbidden(ErrorCode.MFA_ENROLLMENT_REQUIRED, "Set up an authenticator app before continuing.");
        }
        return this;
    }

    public Caller requireAdmin() {
        requireReady();
        if (!isAdmin()) {
            throw new ImsmException.Forbidden("This needs the admin role.");
        }
        return this;
    }

    public Caller requirePerson() {
        if (bootstrap || user == null) {
            throw new ImsmException.Forbidden("This needs a person's login session, not the bootstrap token.");
        }
        return this;
    }
}
