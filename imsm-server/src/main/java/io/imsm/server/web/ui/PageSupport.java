package io.imsm.server.web.ui;

import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.util.Objects;
import java.util.Set;

/** What every page handler needs: the logged-in caller (or a redirect), the header model, cache and message rules. */
public final class PageSupport {
    /** Confirmation messages after a redirect. Only our own texts are shown, so a crafted link cannot put words on our pages. */
    private static final Set<String> DONE_MESSAGES = Set.of("Phone saved.", "Session ended.",
            "Authenticator removed.", "Password changed.", "Roles saved.", "Status changed.", "Second factor reset.", "Service deleted.",
            "Profile saved.", "Account unlocked.");

    private final WebAuth auth;

    public PageSupport(WebAuth auth) {
        this.auth = Objects.requireNonNull(auth);
    }

    /** Logged-in caller for a GET page, or a redirect to /login (returns null then). */
    Caller loggedIn(Context ctx) {
        return auth.optional(ctx).orElseGet(() -> {
            ctx.redirect("/login");
            return null;
        });
    }

    /** Like loggedIn, but first sends people to a pending password change or second-factor enrollment. */
    Caller ready(Context ctx) {
        Caller c = loggedIn(ctx);
        if (c == null) {
            return null;
        }
        c.requireReady();
        return c;
    }

    static String done(Context ctx) {
        String d = ctx.queryParam("done");
        return d != null && DONE_MESSAGES.contains(d) ? d : null;
    }

    static Views.Nav nav(Caller c) {
        return new Views.Nav(c.user().username(), c.isAdmin(), c.session().csrfToken());
    }

    static void noStore(Context ctx) {
        ctx.header("Cache-Control", "no-store");
    }
}
