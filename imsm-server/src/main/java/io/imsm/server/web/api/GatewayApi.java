package io.imsm.server.web.api;

import io.imsm.server.gateway.DomainControllerRequest;
import io.imsm.server.gateway.GatewayService;
import io.imsm.server.identity.Caller;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.Map;
import java.util.Objects;

/** The identity gateway (docs/gateway.md): domain controllers and their DDOs, holder credentials, revocation. */
public final class GatewayApi {
    private final GatewayService gateway;
    private final WebAuth auth;

    public GatewayApi(GatewayService gateway, WebAuth auth) {
        this.gateway = Objects.requireNonNull(gateway);
        this.auth = Objects.requireNonNull(auth);
    }

    public record VerifyRequest(String idToken) {}

    public void gateway(Context ctx) {
        ctx.json(Map.of("address", gateway.address().checksummed()));
    }

    public void registerDomainController(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        GatewayService.Registered r = gateway.register(c, WebSupport.body(ctx, DomainControllerRequest.class));
        ctx.status(201).header("Location", "/api/v1/metadata/controller/ddo/" + r.did());
        ctx.json(r);
    }

    public void ddo(Context ctx) {
        ctx.contentType("application/json").result(gateway.resolve(ctx.pathParam("did")));
    }

    public void credential(Context ctx) {
        String idToken = gateway.issueCredential(ctx.header("Authorization"), WebSupport.clientIp(ctx));
        ctx.header("Cache-Control", "no-store");
        ctx.json(Map.of("id_token", idToken));
    }

    public void revoke(Context ctx) {
        ctx.json(Map.of("revoked", gateway.revoke(ctx.header("Authorization"), WebSupport.clientIp(ctx))));
    }

    public void verify(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        ctx.json(gateway.verify(WebSupport.body(ctx, VerifyRequest.class).idToken()));
    }
}
