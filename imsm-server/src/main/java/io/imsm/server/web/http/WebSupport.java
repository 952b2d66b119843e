package io.imsm.server.web.http;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;

/** Small HTTP helpers shared by the API and the pages. */
public final class WebSupport {
    private WebSupport() {}

    /** The peer address. X-Forwarded-For is not trusted: a client could set it to dodge rate limits. */
    public static String clientIp(Context ctx) {
        return ctx.ip();
    }

    /** Parses a JSON body into a record, with a clear 400/413/415 on anything else. */
    public static <T> T body(Context ctx, Class<T> type) {
        String ct = ctx.contentType();
        if (ct == null || !ct.toLowerCase().startsWith("application/json")) {
            throw new ImsmException.Invalid(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.");
        }
        T value;
        try {
            value = ctx.bodyAsClass(type);
        } catch (ImsmException | HttpResponseException e) {
            // HttpResponseException: Javalin's 413 for a body over server.max_body_bytes; ErrorMapper maps it.
            throw e;
        } catch (Exception e) {
            // Not only RuntimeException: Javalin's Kotlin JSON mapper lets Jackson's checked exceptions
            // (unknown field, empty body, syntax errors) through undeclared.
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "The JSON body is not valid: " + JsonErrors.describe(e), e);
        }
        if (value == null) {
            throw new ImsmException.Invalid("A JSON object body is required.");
        }
        return value;
    }

    public static int intParam(Context ctx, String name, int dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ImsmException.Invalid("query parameter '" + name + "' must be a whole number");
        }
    }

    public static boolean wantsApi(Context ctx) {
        return ctx.path().startsWith("/api/");
    }
}
