package io.imsm.server.web.api;

import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.token.KeyExchangeCheck;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The service catalog: admin CRUD and apply, and the caller's menu. */
public final class CatalogApi {
    private final CatalogService catalog;
    private final KeyExchangeCheck kxCheck;
    private final WebAuth auth;

    public CatalogApi(CatalogService catalog, KeyExchangeCheck kxCheck, WebAuth auth) {
        this.catalog = Objects.requireNonNull(catalog);
        this.kxCheck = Objects.requireNonNull(kxCheck);
        this.auth = Objects.requireNonNull(auth);
    }

    /** What a person sees of a service: no key-exchange URL, no keys. */
    /** {@code base_url}: where a script sends the token (null when the service did not register one). */
    public record MenuEntry(String id, String name, String description, String baseUrl, List<String> scopes, int defaultTtlSeconds,
                            int maxTtlSeconds, List<String> fields, boolean allowRequestLimit) {
        public static MenuEntry of(ServiceDefinition s) {
            return new MenuEntry(s.id(), s.name(), s.description(), s.baseUrl(), s.scopes(), s.defaultTtlSeconds(), s.maxTtlSeconds(),
                    s.fields(), s.allowRequestLimit());
        }
    }

    public record ServiceList(List<ServiceDefinition> services) {}

    public record Menu(List<MenuEntry> services) {}

    public record ApplyResult(String id, String outcome) {}


    public void list(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new ServiceList(catalog.list(c)));
    }

    public void create(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ServiceDefinition s = catalog.create(c, WebSupport.body(ctx, ServiceDefinition.class));
        ctx.status(201).header("Location", "/api/v1/admin/services/" + s.id());
        ctx.json(s);
    }

    public void apply(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ServiceList body = WebSupport.body(ctx, ServiceList.class);
        ctx.json(Map.of("results", catalog.apply(c, body.services()).stream()
                .map(a -> new ApplyResult(a.service().id(), a.outcome().name().toLowerCase())).toList()));
    }

    public void get(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(catalog.get(c, ctx.pathParam("id")));
    }

    public void put(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        CatalogService.Applied a = catalog.put(c, ctx.pathParam("id"), WebSupport.body(ctx, ServiceDefinition.class));
        ctx.status(a.outcome() == CatalogService.Outcome.CREATED ? 201 : 200);
        ctx.json(a.service());
    }

    public void delete(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        catalog.delete(c, ctx.pathParam("id"));
        ctx.status(204);
    }

    /**
     * Runs a test key exchange: with the registered definition when the body is empty, else with the
     * definition in the body (not saved; its id, when given, must be the path's).
     */
    public void test(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        String id = ctx.pathParam("id");
        KeyExchangeCheck.Result r;
        if (ctx.body().isBlank()) {
            r = kxCheck.runRegistered(c, id);
        } else {
            ServiceDefinition def = WebSupport.body(ctx, ServiceDefinition.class);
            if (def.id() != null && !def.id().equals(id)) {
                throw new ImsmException.Invalid("the body's id must be the path's id (" + id + ") or left out");
            }
            r = kxCheck.run(c, CatalogService.withId(def, id));
        }
        ctx.header("Cache-Control", "no-store");
        ctx.json(r);
    }

    public void menu(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(new Menu(catalog.menu(c).stream().map(MenuEntry::of).toList()));
    }
}
