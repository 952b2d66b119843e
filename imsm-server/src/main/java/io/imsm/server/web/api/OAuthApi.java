package io.imsm.server.web.api;

import io.imsm.protocol.BearerHeader;
import io.imsm.server.oauth.AccessTokens;
import io.imsm.server.oauth.Authorization;
import io.imsm.server.oauth.OAuthError;
import io.imsm.server.oauth.OAuthTokens;
import io.imsm.server.oauth.TokenEndpoint;
import io.imsm.server.oauth.TokenRequest;
import io.imsm.server.oauth.TokenResponse;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The OAuth 2 / OpenID Connect back channel: discovery, token, introspection, revocation, userinfo,
 * device authorization. Answers errors as RFC 6749 §5.2 JSON, not problem JSON.
 */
public final class OAuthApi {
    private final TokenEndpoint tokenEndpoint;
    private final OAuthTokens oauthTokens;
    private final Authorization authorization;
    private final AccessTokens accessTokens;
    private final ServiceTokenApi serviceTokens;

    /** @param serviceTokens answers client_credentials requests whose client authenticates with its certificate alone */
    public OAuthApi(TokenEndpoint tokenEndpoint, OAuthTokens oauthTokens, Authorization authorization, AccessTokens accessTokens,
                    ServiceTokenApi serviceTokens) {
        this.serviceTokens = Objects.requireNonNull(serviceTokens);
        this.tokenEndpoint = Objects.requireNonNull(tokenEndpoint);
        this.oauthTokens = Objects.requireNonNull(oauthTokens);
        this.authorization = Objects.requireNonNull(authorization);
        this.accessTokens = Objects.requireNonNull(accessTokens);
    }

    /** OpenID Connect Discovery 1.0 §3 / RFC 8414 §2. */
    public void discovery(Context ctx) {
        String iss = accessTokens.issuer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("issuer", iss);
        m.put("authorization_endpoint", iss + "/oauth2/authorize");
        m.put("token_endpoint", iss + "/oauth2/token");
        m.put("userinfo_endpoint", iss + "/oauth2/userinfo");
        m.put("jwks_uri", iss + "/.well-known/jwks.json");
        m.put("introspection_endpoint", iss + "/oauth2/introspect");
        m.put("revocation_endpoint", iss + "/oauth2/revoke");
        m.put("device_authorization_endpoint", iss + "/oauth2/device_authorization");
        m.put("end_session_endpoint", iss + "/oauth2/logout");
        m.put("response_types_supported", List.of("code"));
        m.put("response_modes_supported", List.of("query"));
        m.put("grant_types_supported", List.copyOf(tokenEndpoint.grantTypes()));
        m.put("subject_types_supported", List.of("public"));
        m.put("id_token_signing_alg_values_supported", List.of("ES256"));
        m.put("code_challenge_methods_supported", List.of("S256"));
        List<String> methods = tokenEndpoint.authenticator().methodNames();
        List<String> tokenMethods = new java.util.ArrayList<>(methods);
        tokenMethods.add("tls_client_auth"); // services with IMSM client certificates (RFC 8705 §2.1, ServiceTokenApi)
        m.put("token_endpoint_auth_methods_supported", tokenMethods);
        m.put("tls_client_certificate_bound_access_tokens", true);
        m.put("token_endpoint_auth_signing_alg_values_supported", List.of("ES256", "ES384", "RS256", "PS256", "EdDSA"));
        m.put("introspection_endpoint_auth_methods_supported", methods.stream().filter(x -> !x.equals("none")).toList());
        m.put("revocation_endpoint_auth_methods_supported", methods);
        m.put("scopes_supported", List.of("openid", "profile", "email", "phone", "roles"));
        m.put("claims_supported", List.of("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name", "preferred_username", "email",
                "phone_number", "roles"));
        m.put("authorization_response_iss_parameter_supported", true);
        ctx.header("Cache-Control", "public, max-age=300").json(m);
    }

    public void token(Context ctx) {
        if (ServiceTokenApi.isCertificateGrant(ctx)) {
            serviceTokens.token(ctx);
            return;
        }
        answer(ctx, () -> body(tokenEndpoint.token(request(ctx))));
    }

    public void introspect(Context ctx) {
        answer(ctx, () -> oauthTokens.introspect(request(ctx)));
    }

    public void revoke(Context ctx) {
        answer(ctx, () -> {
            oauthTokens.revoke(request(ctx));
            return Map.of();
        });
    }

    public void deviceAuthorization(Context ctx) {
        answer(ctx, () -> {
            Authorization.DeviceAuthorization d = authorization.startDevice(request(ctx));
            return Map.of("device_code", d.deviceCode(), "user_code", d.userCode(), "verification_uri", d.verificationUri(),
                    "verification_uri_complete", d.verificationUriComplete(), "expires_in", d.expiresIn(), "interval", d.interval());
        });
    }

    /** OIDC Core §5.3; the token in the Authorization header (RFC 6750 §2.1) or, for POST, the form (§2.2). */
    public void userinfo(Context ctx) {
        String token = BearerHeader.token(ctx.header("Authorization"));
        if (token == null && "application/x-www-form-urlencoded".equals(mediaType(ctx))) {
            token = ctx.formParam("access_token");
        }
        String t = token;
        answer(ctx, () -> {
            if (t == null) {
                throw OAuthError.invalidToken("Send the access token as 'Authorization: Bearer <token>'.");
            }
            return oauthTokens.userinfo(t);
        });
    }

    private static TokenRequest request(Context ctx) {
        // RFC 6749 §3.2: POST with application/x-www-form-urlencoded
        if (!"application/x-www-form-urlencoded".equals(mediaType(ctx))) {
            throw OAuthError.invalidRequest("Send the parameters as application/x-www-form-urlencoded.");
        }
        Object certs = ctx.req().getAttribute("jakarta.servlet.request.X509Certificate");
        return new TokenRequest(ctx.formParamMap(), ctx.header("Authorization"),
                certs instanceof X509Certificate[] c ? List.of(c) : List.of(), WebSupport.clientIp(ctx));
    }

    private static String mediaType(Context ctx) {
        String ct = ctx.contentType();
        return ct == null ? null : ct.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static Map<String, Object> body(TokenResponse r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("access_token", r.accessToken());
        m.put("token_type", r.tokenType());
        m.put("expires_in", r.expiresIn());
        if (r.refreshToken() != null) {
            m.put("refresh_token", r.refreshToken());
        }
        if (r.scope() != null && !r.scope().isEmpty()) {
            m.put("scope", r.scope());
        }
        if (r.idToken() != null) {
            m.put("id_token", r.idToken());
        }
        if (r.issuedTokenType() != null) {
            m.put("issued_token_type", r.issuedTokenType());
        }
        return m;
    }

    /** Runs one endpoint; tokens are never cached (RFC 6749 §5.1); errors as RFC 6749 §5.2 JSON. */
    private static void answer(Context ctx, java.util.function.Supplier<Map<String, Object>> work) {
        ctx.header("Cache-Control", "no-store").header("Pragma", "no-cache");
        try {
            ctx.json(work.get());
        } catch (OAuthError e) {
            ctx.status(e.status());
            if (e.status() == 401) {
                // RFC 6749 §5.2 for the client, RFC 6750 §3 for a bearer token
                ctx.header("WWW-Authenticate", e.error().equals("invalid_token") ? "Bearer error=\"invalid_token\"" : "Basic realm=\"imsm\"");
            } else if (e.status() == 403) {
                ctx.header("WWW-Authenticate", "Bearer error=\"" + e.error() + "\"");
            }
            ctx.json(Map.of("error", e.error(), "error_description", e.description()));
        }
    }
}
