package io.imsm.server.web.api;

import io.imsm.server.hooks.Hook;
import io.imsm.server.hooks.HookService;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.store.EventStore;
import io.imsm.server.ImsmException;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Notification and decision hooks, and the dead-letter list of events (admins; docs/hooks.md). */
public final class HookApi {
    private final HookService hooks;
    private final WebAuth auth;

    public HookApi(HookService hooks, WebAuth auth) {
        this.hooks = Objects.requireNonNull(hooks);
        this.auth = Objects.requireNonNull(auth);
    }

    public record HookList(List<Hook> hooks) {}

    public record DeadLetters(List<EventStore.Dead> deadLetters) {}

    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new HookList(hooks.list(c)));
    }

    /** 201 with the hook; a webhook's answer also holds its signing secret ({@code secret}), this once. */
    public void create(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        HookService.Saved s = hooks.create(c, WebSupport.body(ctx, Hook.class));
        ctx.status(201).header("Location", "/api/v1/admin/hooks/" + s.hook().id()).header("Cache-Control", "no-store");
        ctx.json(withSecret(s));
    }

    public void apply(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        HookList body = WebSupport.body(ctx, HookList.class);
        ctx.header("Cache-Control", "no-store");
        ctx.json(Map.of("results", hooks.apply(c, body.hooks()).stream().map(s -> {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", s.hook().id());
            r.put("outcome", s.created() ? "created" : "applied");
            if (s.secret() != null) {
                r.put("secret", s.secret());
            }
            return r;
        }).toList()));
    }

    public void get(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(hooks.get(c, ctx.pathParam("id")));
    }

    public void put(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        HookService.Saved s = hooks.put(c, ctx.pathParam("id"), WebSupport.body(ctx, Hook.class));
        ctx.status(s.created() ? 201 : 200).header("Cache-Control", "no-store");
        ctx.json(withSecret(s));
    }

    public void delete(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        hooks.delete(c, ctx.pathParam("id"));
        ctx.status(204);
    }

    public void deadLetters(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new DeadLetters(hooks.deadLetters(c)));
    }

    public void replay(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        hooks.replay(c, deliveryId(ctx.pathParam("id")));
        ctx.status(204);
    }

    static long deliveryId(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ImsmException.NotFound("No dead delivery with id " + text);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withSecret(HookService.Saved s) {
        Map<String, Object> out = new LinkedHashMap<>(Json.mapper().convertValue(s.hook(), Map.class));
        if (s.secret() != null) {
            out.put("secret", s.secret());
        }
        return out;
    }
}
