package io.imsm.server.web.api;

import io.imsm.server.token.RevocationLists;
import io.imsm.server.web.WebSupport;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.Objects;

/** The public, signed per-service revocation list services poll (docs/protocol.md section 8.1). */
public final class RevocationApi {
    private final RevocationLists lists;

    public RevocationApi(RevocationLists lists) {
        this.lists = Objects.requireNonNull(lists);
    }

    public void register(RoutesConfig r) {
        r.get("/api/v1/services/{id}/revocations", this::list);
    }

    private void list(Context ctx) {
        String jws = lists.signedList(ctx.pathParam("id"), WebSupport.clientIp(ctx));
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("application/jwt").result(jws);
    }
}
