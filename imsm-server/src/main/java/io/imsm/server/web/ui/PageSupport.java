package io.imsm.server.web.ui;

import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** What every page handler needs: the logged-in caller (or a redirect), the header model, cache and message rules. */
public final class PageSupport {
    /** Confirmation messages after a redirect. Only our own texts are shown, so a crafted link cannot put words on our pages. */
    private static final Set<String> DONE_MESSAGES = Set.of("Phone saved.", "Session ended.", "Other sessions ended.",
            "Authenticator removed.", "Password changed.", "Roles saved.", "Status changed.", "Second factor reset.", "Service deleted.",
            "Token revoked.", "Profile saved.", "Account unlocked.",
            "Token deleted.", "Token renamed.", "Scopes saved.",
            "Request approved.", "Request denied.", "Request cancelled.", "Access requested.");

    private final WebAuth auth;
    private final Clock clock;

    public PageSupport(WebAuth auth, Clock clock) {
        this.auth = Objects.requireNonNull(auth);
        this.clock = Objects.requireNonNull(clock);
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

    /** The server's clock, for relative times ("in 14 min") that agree with token expiry. */
    Instant now() {
        return clock.instant();
    }

    /**
     * The header for an error page: the logged-in person's navigation, or none. Never throws: an
     * error page must render even when the error is that the database is gone.
     */
    public Views.Nav navForErrorPage(Context ctx) {
        try {
            return auth.optional(ctx).map(PageSupport::nav).orElse(Views.Nav.ANONYMOUS);
        } catch (RuntimeException e) {
            return Views.Nav.ANONYMOUS;
        }
    }

    /**
     * Whether a destructive form was confirmed: imsm.js adds {@code confirmed=yes} after its dialog;
     * without script the handler shows a confirmation page that posts the form again with it.
     */
    static boolean confirmed(Context ctx) {
        return "yes".equals(ctx.formParam("confirmed"));
    }

    /**
     * For a destructive form posted without {@code confirmed=yes} (no script ran its dialog): renders
     * the confirmation page, which posts the same form again with the fields named in {@code keep},
     * and returns true; the handler then does nothing else.
     */
    static boolean askFirst(Context ctx, PageRenderer renderer, Caller c, String title, String question, String button,
                            String cancelHref, String... keep) {
        if (confirmed(ctx)) {
            return false;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String k : keep) {
            String v = ctx.formParam(k);
            if (v != null) {
                fields.put(k, v);
            }
        }
        noStore(ctx);
        ctx.html(renderer.render("confirm.jte", new Views.Confirm(nav(c), title, question, ctx.path(), button, false, cancelHref, fields)));
        return true;
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
