package io.imsm.server.web.api;

import io.imsm.server.token.RevocationLists;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Objects;

/** The public, signed per-service revocation list services poll (docs/protocol.md section 8.1). */
public final class RevocationApi {
    private final RevocationLists lists;

    public RevocationApi(RevocationLists lists) {
        this.lists = Objects.requireNonNull(lists);
    }

    /** GET /api/v1/services/{id}/revocations */
    public void list(Context ctx) {
        String jws = lists.signedList(ctx.pathParam("id"), WebSupport.clientIp(ctx));
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("application/jwt").result(jws);
    }
}
