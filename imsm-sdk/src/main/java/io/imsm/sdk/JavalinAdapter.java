package io.imsm.sdk;

import io.imsm.protocol.RequestTarget;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;

import java.util.Objects;

/**
 * Mounts a {@link KeyExchangeEndpoint} on a Javalin 7 app (Jetty 12 underneath):
 * {@code JavalinAdapter.mount(config.routes, "/imsm/kx", endpoint)} registers {@code POST /imsm/kx}
 * (offers) and {@code DELETE /imsm/kx/{sid}} (revocations). Javalin is an optional dependency of the
 * SDK; only services that use this class need it.
 */
public final class JavalinAdapter {
    private JavalinAdapter() {}

    public static void mount(RoutesConfig routes, String path, KeyExchangeEndpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        routes.post(base, handler(endpoint, ""));
        routes.delete(base + "/{sid}", ctx -> respond(ctx, endpoint, "/" + ctx.pathParam("sid")));
    }

    /** A handler for one route whose path suffix (after the mount point) is fixed. */
    public static Handler handler(KeyExchangeEndpoint endpoint, String pathSuffix) {
        return ctx -> respond(ctx, endpoint, pathSuffix);
    }

    /**
     * {@link RequestGuard#enforce(VerifiedToken, String, java.net.URI)} for a Javalin request: the raw request
     * URI (never Javalin's decoded path) and the raw query string.
     *
     * @return the request's target with its decoded query
     */
    public static RequestTarget enforce(RequestGuard guard, VerifiedToken token, Context ctx) {
        RequestTarget target = target(ctx);
        guard.enforce(token, target);
        return target;
    }

    /**
     * Verifies the request's bearer token ({@code Authorization: Bearer}) with {@code verifier}, a
     * certificate-bound token against the TLS client certificate Jetty put on the request
     * ({@link TokenVerifier#verify(String, java.security.cert.X509Certificate)}).
     *
     * @throws AccessDeniedException {@code missing_token}, or as the verifier
     */
    public static VerifiedToken verify(TokenVerifier verifier, Context ctx) {
        String token = io.imsm.protocol.BearerHeader.token(ctx.header("Authorization"));
        if (token == null) {
            throw new AccessDeniedException(AccessDeniedException.Failure.MISSING_TOKEN, "no Bearer token in the Authorization header");
        }
        return verifier.verify(token, clientCertificate(ctx));
    }

    /** The TLS client certificate of a Javalin request (the servlet attribute), or {@code null}. */
    public static java.security.cert.X509Certificate clientCertificate(Context ctx) {
        Object chain = ctx.req().getAttribute("jakarta.servlet.request.X509Certificate");
        return chain instanceof java.security.cert.X509Certificate[] certs && certs.length > 0 ? certs[0] : null;
    }

    /**
     * The canonical target of a Javalin request (docs/protocol.md): a service may parse it before it
     * verifies the token, so a malformed request is a 400 whoever sends it.
     *
     * @throws AccessDeniedException {@code bad_request} for a malformed path or query
     */
    public static RequestTarget target(Context ctx) {
        String raw = ctx.req().getRequestURI();       // the raw path: the servlet API does not decode it
        String query = ctx.queryString();               // raw as well
        try {
            return RequestTarget.parse(ctx.method().name(), query == null ? raw : raw + "?" + query);
        } catch (IllegalArgumentException e) {
            throw new AccessDeniedException(AccessDeniedException.Failure.BAD_REQUEST, e.getMessage(), e);
        }
    }

    /**
     * The request body, at most {@link KeyExchangeEndpoint#MAX_BODY_BYTES} + 1 bytes (the endpoint answers
     * 413 to a longer one), read into an array of exactly the announced length when there is one: no
     * copy buffer and no growing stream per request as with {@code ctx.bodyAsBytes()}.
     */
    private static byte[] body(Context ctx) throws java.io.IOException {
        int limit = KeyExchangeEndpoint.MAX_BODY_BYTES + 1;
        long announced = ctx.req().getContentLengthLong();
        return ctx.req().getInputStream().readNBytes(announced >= 0 && announced < limit ? (int) announced : limit);
    }

    private static void respond(Context ctx, KeyExchangeEndpoint endpoint, String suffix) throws java.io.IOException {
        byte[] body = body(ctx);
        // The request makes its own case-insensitive copy of the headers: no second one here.
        KeyExchangeEndpoint.Response r = endpoint.handle(ctx.method().name(), suffix, ctx.headerMap(), body);
        ctx.status(r.status());
        r.headers().forEach(ctx::header);
        if (r.body().length > 0 && r.status() != 204) {
            ctx.result(r.body());
        }
    }
}
