package io.imsm.server.web.api;

import io.imsm.server.access.ScopeMappings;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The scope mapping (scope → roles) for admins: {@code GET/PUT /api/v1/admin/scope-mapping}. */
public final class ScopeMappingApi {
    private final ScopeMappings mappings;
    private final WebAuth auth;

    public ScopeMappingApi(ScopeMappings mappings, WebAuth auth) {
        this.mappings = Objects.requireNonNull(mappings);
        this.auth = Objects.requireNonNull(auth);
    }

    /** {@code {"scopes": {"scope": ["role", ...]}}}, the same shape as the configuration key. */
    public record Mapping(Map<String, List<String>> scopes) {}

    public record MappingView(Map<String, Set<String>> scopes) {}

    public void get(Context ctx) {
        ctx.json(new MappingView(mappings.view(auth.requireForApi(ctx))));
    }

    public void put(Context ctx) {
        var caller = auth.requireForApi(ctx);
        Mapping m = WebSupport.body(ctx, Mapping.class);
        ctx.json(new MappingView(mappings.replace(caller, m.scopes()).rolesByScope()));
    }
}
