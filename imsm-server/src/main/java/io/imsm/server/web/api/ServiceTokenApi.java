package io.imsm.server.web.api;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.pki.ServiceTokens;
import io.imsm.server.web.http.ClientCertificates;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code POST /oauth2/token} for services: {@code grant_type=client_credentials} with the client
 * certificate as the client authentication (RFC 8705 §2.1 {@code tls_client_auth}). Answers in the
 * token endpoint's own format (RFC 6749 §5.1 / §5.2), not problem JSON, because OAuth clients read that.
 */
public final class ServiceTokenApi {
    private final ServiceTokens tokens;

    public ServiceTokenApi(ServiceTokens tokens) {
        this.tokens = Objects.requireNonNull(tokens);
    }

    /**
     * A client_credentials request authenticated by the client certificate alone (RFC 8705 §2.1): a
     * certificate, and neither an Authorization header nor a client secret or assertion in the form.
     */
    public static boolean isCertificateGrant(Context ctx) {
        return ClientCertificates.of(ctx) != null && ctx.header("Authorization") == null
                && "client_credentials".equals(ctx.formParam("grant_type"))
                && ctx.formParam("client_secret") == null && ctx.formParam("client_assertion") == null;
    }

    public void token(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        String ct = ctx.contentType();
        if (ct == null || !ct.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
            oauthError(ctx, 400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
            return;
        }
        String grant = ctx.formParam("grant_type");
        if (!"client_credentials".equals(grant)) {
            oauthError(ctx, 400, "unsupported_grant_type", "Only grant_type=client_credentials is supported here.");
            return;
        }
        try {
            ServiceTokens.Issued t = tokens.issue(ClientCertificates.of(ctx), ctx.formParam("client_id"), WebSupport.clientIp(ctx));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("access_token", t.accessToken());
            body.put("token_type", "Bearer");
            body.put("expires_in", t.expiresIn());
            ctx.json(body);
        } catch (ImsmException e) {
            // RFC 6749 §5.2: a failed client authentication is invalid_client with 401
            boolean client = e instanceof ImsmException.Unauthenticated;
            // the server's own code rides along, so a client can tell a revoked certificate from an expired one
            if (client) {
                ctx.header("WWW-Authenticate", "Mutual-TLS realm=\"imsm\"");
            }
            oauthError(ctx, client ? 401 : e.code() == ErrorCode.INVALID_REQUEST ? 400 : e.code().status(),
                    client ? "invalid_client" : e.code() == ErrorCode.INVALID_REQUEST ? "invalid_request" : e.code().code(),
                    e.getMessage(), e.code().code());
        }
    }

    private static void oauthError(Context ctx, int status, String error, String description) {
        oauthError(ctx, status, error, description, null);
    }

    private static void oauthError(Context ctx, int status, String error, String description, String code) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", description);
        if (code != null) {
            body.put("code", code);
        }
        ctx.status(status).json(body);
    }
}
