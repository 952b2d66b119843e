package io.imsm.server.web;

import io.imsm.server.web.http.WebSupport;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.web.ui.PageRenderer;
import io.imsm.server.web.ui.PageSupport;
import io.imsm.server.web.ui.Views;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The one place errors become responses: RFC 9457 problem JSON for the API (with the stable
 * {@code code}), RFC 6750 {@code WWW-Authenticate} for bearer failures, a friendly page for the UI.
 */
public final class ErrorMapper {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);
    private final PageRenderer pages;
    private final PageSupport support;

    public ErrorMapper(PageRenderer pages, PageSupport support) {
        this.pages = Objects.requireNonNull(pages);
        this.support = Objects.requireNonNull(support);
    }

    public void handle(ImsmException e, Context ctx) {
        respond(ctx, e.code(), e.getMessage(), e.retryAfterSeconds());
    }

    public void handleHttp(HttpResponseException e, Context ctx) {
        ErrorCode code = switch (e.getStatus()) {
            case 404 -> ErrorCode.NOT_FOUND;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
            case 400 -> ErrorCode.INVALID_REQUEST;
            default -> e.getStatus() >= 500 ? ErrorCode.INTERNAL : ErrorCode.INVALID_REQUEST;
        };
        String detail = code == ErrorCode.PAYLOAD_TOO_LARGE ? "The request body is larger than this server accepts."
                : code == ErrorCode.NOT_FOUND ? "There is nothing at " + safePath(ctx) + "."
                : code == ErrorCode.METHOD_NOT_ALLOWED ? safePath(ctx) + " does not take " + ctx.method().name() + "."
                : code.title() + ".";
        respond(ctx, code, detail, 0);
    }

    public void handleUnexpected(Exception e, Context ctx) {
        LOG.atError().setCause(e).addKeyValue("method", ctx.method().name()).addKeyValue("path", safePath(ctx))
                .log("unexpected error");
        respond(ctx, ErrorCode.INTERNAL, "Something went wrong on our side. It was logged; try again later.", 0);
    }

    /** 404 for unmatched routes (Javalin's error handler hook). */
    public void notFound(Context ctx) {
        if (ctx.attribute("imsm.error.handled") == null) {
            respond(ctx, ErrorCode.NOT_FOUND, "There is nothing at " + safePath(ctx) + ".", 0);
        }
    }

    private void respond(Context ctx, ErrorCode code, String detail, long retryAfter) {
        ctx.attribute("imsm.error.handled", Boolean.TRUE);
        ctx.status(code.status());
        if (retryAfter > 0) {
            ctx.header("Retry-After", Long.toString(retryAfter));
        }
        if (WebSupport.wantsApi(ctx) || !"GET".equals(ctx.method().name()) && isJsonRequest(ctx)) {
            if (code == ErrorCode.INVALID_TOKEN) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"imsm\", error=\"invalid_token\", error_description=\""
                        + detail.replace("\"", "'") + "\"");
            } else if (code == ErrorCode.UNAUTHENTICATED) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"imsm\"");
            }
            Map<String, Object> problem = new LinkedHashMap<>();
            problem.put("type", "urn:imsm:error:" + code.code());
            problem.put("title", code.title());
            problem.put("status", code.status());
            problem.put("detail", detail);
            problem.put("code", code.code());
            problem.put("instance", safePath(ctx));
            ctx.json(problem);
            ctx.contentType("application/problem+json");
            return;
        }
        if (code == ErrorCode.UNAUTHENTICATED) {
            ctx.status(302);
            ctx.redirect("/login");
            return;
        }
        if (code == ErrorCode.PASSWORD_CHANGE_REQUIRED) {
            ctx.redirect("/settings/password");
            return;
        }
        if (code == ErrorCode.MFA_ENROLLMENT_REQUIRED) {
            ctx.redirect("/settings/totp");
            return;
        }
        ctx.html(pages.render("error.jte", new Views.ErrorPage(support.navForErrorPage(ctx), code.status(), code.title(), detail)));
    }

    private static boolean isJsonRequest(Context ctx) {
        String ct = ctx.contentType();
        return ct != null && ct.startsWith("application/json");
    }

    private static String safePath(Context ctx) {
        String p = ctx.path();
        return p.length() > 200 ? p.substring(0, 200) + "..." : p;
    }
}
