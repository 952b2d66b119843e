package io.imsm.server.web.ui;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.imsm.server.ImsmException;
import io.imsm.server.events.EventTypes;
import io.imsm.server.hooks.Hook;
import io.imsm.server.hooks.HookService;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.store.EventStore;
import io.imsm.server.web.http.JsonErrors;
import io.imsm.server.web.http.WebAuth;
import io.javalin.http.Context;

import java.util.List;
import java.util.Objects;

/** The admin page of notification and decision hooks and of the events that could not be delivered. */
public final class HookPages {
    private final HookService hooks;
    private final WebAuth auth;
    private final PageSupport support;
    private final PageRenderer renderer;

    public HookPages(HookService hooks, WebAuth auth, PageSupport support, PageRenderer renderer) {
        this.hooks = Objects.requireNonNull(hooks);
        this.auth = Objects.requireNonNull(auth);
        this.support = Objects.requireNonNull(support);
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** {@code secret}: a new webhook's signing secret, shown this once. */
    public record AdminHooks(Views.Nav nav, List<Hook> hooks, List<EventStore.Dead> deadLetters, List<String> events, String json,
                             String message, String secret, String error) {
        public static String list(List<String> items) {
            return items == null || items.isEmpty() ? "all" : String.join(", ", items);
        }
    }

    public void adminHooks(Context ctx) {
        Caller c = support.ready(ctx);
        if (c == null) {
            return;
        }
        render(ctx, c, "", null, null, null);
    }

    /** "Add or replace": the pasted JSON, with the API's fields (same rules as PUT /api/v1/admin/hooks/{id}). */
    public void adminHookSave(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        String json = ctx.formParam("definition");
        try {
            Hook hook = parse(json);
            if (hook.id() == null || hook.id().isBlank()) {
                throw new ImsmException.Invalid("The definition needs an id.");
            }
            HookService.Saved s = hooks.put(c, hook.id(), hook);
            render(ctx, c, "", (s.created() ? "Created" : "Saved") + ": " + s.hook().id() + ".", s.secret(), null);
        } catch (ImsmException.Invalid | ImsmException.Conflict e) {
            ctx.status(e.code().status());
            render(ctx, c, json == null ? "" : json, null, null, e.getMessage());
        }
    }

    public void adminHookDelete(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        if (PageSupport.askFirst(ctx, renderer, c, "Delete hook", "Delete this hook? Its undelivered events are dropped.",
                "Delete", "/admin/hooks")) {
            return;
        }
        hooks.delete(c, ctx.pathParam("id"));
        render(ctx, c, "", "Hook deleted.", null, null);
    }

    public void adminReplay(Context ctx) {
        Caller c = auth.requireForForm(ctx).requireAdmin();
        long id;
        try {
            id = Long.parseLong(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            throw new ImsmException.NotFound("No dead delivery with id " + ctx.pathParam("id"));
        }
        hooks.replay(c, id);
        render(ctx, c, "", "The event is queued for delivery again.", null, null);
    }

    private void render(Context ctx, Caller c, String json, String message, String secret, String error) {
        PageSupport.noStore(ctx);
        ctx.html(renderer.render("admin_hooks.jte", new AdminHooks(PageSupport.nav(c), hooks.list(c), hooks.deadLetters(c),
                EventTypes.ALL, json, message, secret, error)));
    }

    private static Hook parse(String json) {
        if (json == null || json.isBlank()) {
            throw new ImsmException.Invalid("Paste the hook definition as a JSON object.");
        }
        try {
            Hook hook = Json.mapper().readValue(json, Hook.class);
            if (hook == null) {
                throw new ImsmException.Invalid("Paste the hook definition as a JSON object.");
            }
            return hook;
        } catch (JsonProcessingException e) {
            throw new ImsmException.Invalid("The definition is not valid JSON: " + JsonErrors.describe(e) + ".");
        }
    }
}
