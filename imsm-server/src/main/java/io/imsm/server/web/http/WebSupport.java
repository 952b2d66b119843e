package io.imsm.server.web.http;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;

/** Small HTTP helpers shared by the API and the pages. */
public final class WebSupport {
    private WebSupport() {}

    static final String CLIENT_IP_ATTR = "imsm.client_ip";

    /**
     * The client's address: the TCP peer, or what a trusted proxy says ({@link ClientAddress}, resolved
     * once per request by the HTTP server). The one place rate limits, sessions and the audit log
     * get an address from.
     */
    public static String clientIp(Context ctx) {
        String resolved = ctx.attribute(CLIENT_IP_ATTR);
        return resolved != null ? resolved : ctx.ip();
    }

    /** Called once per request by the server, before any handler. */
    public static void resolveClientIp(Context ctx, ClientAddress addresses) {
        ctx.attribute(CLIENT_IP_ATTR, addresses.resolve(ctx.ip(), headers(ctx, "Forwarded"), headers(ctx, "X-Forwarded-For")));
    }

    private static java.util.List<String> headers(Context ctx, String name) {
        java.util.Enumeration<String> values = ctx.req().getHeaders(name);
        return values == null ? java.util.List.of() : java.util.Collections.list(values);
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

    /** The audit filter's query parameters (actor, action, target, outcome, from, to as ISO-8601, before). */
    public static io.imsm.server.audit.review.AuditService.Query auditQuery(Context ctx) {
        String before = ctx.queryParam("before");
        Long cursor;
        try {
            cursor = before == null || before.isBlank() ? null : Long.parseLong(before.trim());
        } catch (NumberFormatException e) {
            throw ImsmException.Invalid.inField("before", "before must be the 'next' value of the previous page");
        }
        return new io.imsm.server.audit.review.AuditService.Query(ctx.queryParam("actor"), ctx.queryParam("action"), ctx.queryParam("target"),
                ctx.queryParam("outcome"), instantParam(ctx, "from"), instantParam(ctx, "to"), cursor);
    }

    private static java.time.Instant instantParam(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return java.time.Instant.parse(v.trim());
        } catch (java.time.format.DateTimeParseException e) {
            try {
                // what a datetime-local form field sends, read as UTC
                return java.time.LocalDateTime.parse(v.trim()).toInstant(java.time.ZoneOffset.UTC);
            } catch (java.time.format.DateTimeParseException e2) {
                throw ImsmException.Invalid.inField(name, name + " must be a time like 2026-01-31T08:00:00Z");
            }
        }
    }

    public static boolean wantsApi(Context ctx) {
        return ctx.path().startsWith("/api/");
    }
}
