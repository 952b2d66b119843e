package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.BrowserSession;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

/**
 * Who is calling: a person with a browser session, or the bootstrap token. Services take a Caller and
 * check it themselves; {@code web} only resolves it.
 */
public record Caller(User user, BrowserSession session, boolean bootstrap, boolean mfaRequired, String ip) {

    public static Caller bootstrapToken(String ip) {
        return new Caller(null, null, true, false, ip);
    }

    /** The name written to the audit log. */
    public String actor() {
        return bootstrap ? "bootstrap-token" : user.username();
    }

    public boolean isAdmin() {
        return bootstrap || (user != null && user.isAdmin());
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
