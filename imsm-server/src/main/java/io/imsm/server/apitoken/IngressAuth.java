package io.imsm.server.apitoken;

import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.model.User;
import io.imsm.server.oauth.AccessTokenCallers;
import io.imsm.server.oauth.OAuthTokens;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The forward-auth decision behind {@code /ingress/auth} (nginx {@code auth_request}, ingress-nginx
 * {@code auth-url}, Traefik ForwardAuth, Envoy {@code ext_authz}): who is asking (a user API token or an
 * IMSM OAuth access token as bearer or in HTTP Basic, or the browser cookie), whether they carry the scopes the route needs, and
 * the identity headers for the backend, with a delegated token minted for it when asked. Answers only
 * with 200, 401 or 403, the statuses an ingress understands; other failures are a 403 carrying
 * {@code X-Error-Status} and {@code X-Error-Body} for an error page to restore.
 */
public final class IngressAuth {
    private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/-]{0,63}");
    private static final int MAX_SCOPES = 50;
    /** {@code X-Auth-Request-User} of a service's OAuth token: no username holds ':', so it never names a person. */
    public static final String SERVICE_PREFIX = "client:";

    private final ApiTokenService tokens;
    private final OAuthTokens accessTokens;
    private final IdentityService identity;
    private final Clock clock;
    private final LoginRedirects login;
    /** Delegated tokens minted for backends, reused until half their life has passed; dropped with their parent. */
    private final Map<String, ApiTokenService.Delegated> delegatedByParent = new ConcurrentHashMap<>();

    /** The query parameters and the credentials of one check. Lists are never null. */
    public record Check(String authorization, String sessionCookie, List<String> scopes, String satisfy, String service,
                        String delegateTo, List<String> delegateScopes, String minimumLifetime, String authType,
                        String originalUrl, String ip) {}

    /** What to answer: the status, the headers to set and a small JSON body. */
    public record Decision(int status, Map<String, String> headers, String body) {}

    public IngressAuth(ApiTokenService tokens, OAuthTokens accessTokens, IdentityService identity, Clock clock, LoginRedirects login) {
        this.tokens = Objects.requireNonNull(tokens);
        this.accessTokens = Objects.requireNonNull(accessTokens);
        this.identity = Objects.requireNonNull(identity);
        this.clock = Objects.requireNonNull(clock);
        this.login = Objects.requireNonNull(login);
        tokens.onDrop(key -> delegatedByParent.keySet().removeIf(k -> k.startsWith(key + " ")));
    }

    public Decision decide(Check c) {
        Params p;
        try {
            p = Params.of(c);
        } catch (ImsmException.Invalid e) {
            return failure(400, "invalid_request", e.getMessage());
        }
        Credential cred = credential(c.authorization(), p.basic());
        if (cred.token() == null && c.authorization() == null && c.sessionCookie() != null) {
            return fromSession(c, p);
        }
        if (cred.token() == null) {
            return unauthenticated(p, null, "Log in or send an API token.", c.originalUrl());
        }
        if (AccessTokenCallers.looksLikeJwt(cred.token())) {
            return fromAccessToken(cred.token(), p);
        }
        Optional<ApiTokenService.Holder> held;
        try {
            held = tokens.verify(cred.token(), c.ip());
        } catch (RuntimeException e) {
            return failure(503, "unavailable", "The token could not be checked now; try again.");
        }
        if (held.isEmpty()) {
            return unauthenticated(p, "invalid_token", "The token is not valid.", null);
        }
        ApiTokenService.Holder h = held.get();
        Instant now = clock.instant();
        if (h.token().delegated() && (p.service() == null || !p.service().equals(h.token().audience()))) {
            return unauthenticated(p, "invalid_token", "The token is for another service.", null);
        }
        if (p.minimumLifetime() != null && h.token().expiresAt() != null
                && Duration.between(now, h.token().expiresAt()).compareTo(p.minimumLifetime()) < 0) {
            return unauthenticated(p, "invalid_token", "The token expires sooner than this service needs.", null);
        }
        Decision missing = requireScopes(p, h.scopes());
        if (missing != null) {
            return missing;
        }
        Map<String, String> headers = identityHeaders(h.user(), h.scopes());
        if (p.delegateTo() != null) {
            if (h.token().delegated()) {
                return failure(403, "forbidden", "A delegated token cannot be delegated again.");
            }
            try {
                headers.put("X-Auth-Request-Token", delegated(cred.token(), h, p, now).token());
            } catch (ImsmException e) {
                return failure(e.code().status() == 401 ? 403 : e.code().status(), e.code().code(), e.getMessage());
            }
        }
        return new Decision(200, headers, "");
    }

    /**
     * An IMSM OAuth access token (docs/decisions/0017): only where the ingress names the service it
     * guards ({@code service}) and the token's {@code aud} holds it; checked in full and for revocation
     * on every request. A service's token (client credentials) is named {@code client:<client_id>}.
     */
    private Decision fromAccessToken(String token, Params p) {
        if (p.service() == null) {
            return unauthenticated(p, "invalid_token", "An OAuth access token is accepted only for its audience: the ingress must name "
                    + "the service it guards (service=).", null);
        }
        Optional<OAuthTokens.Presented> presented;
        try {
            presented = accessTokens.presentedTo(token, p.service());
        } catch (RuntimeException e) {
            return failure(503, "unavailable", "The token could not be checked now; try again.");
        }
        if (presented.isEmpty()) {
            return unauthenticated(p, "invalid_token", "The token is not valid.", null);
        }
        OAuthTokens.Presented at = presented.get();
        if (p.minimumLifetime() != null && Duration.between(clock.instant(), at.expiresAt()).compareTo(p.minimumLifetime()) < 0) {
            return unauthenticated(p, "invalid_token", "The token expires sooner than this service needs.", null);
        }
        Decision missing = requireScopes(p, at.scopes());
        if (missing != null) {
            return missing;
        }
        if (p.delegateTo() != null) {
            return failure(403, "forbidden", "A delegated token is made from a user API token; a client exchanges an OAuth access token "
                    + "at /oauth2/token (RFC 8693) instead.");
        }
        Map<String, String> headers;
        if (at.forPerson()) {
            headers = identityHeaders(at.person(), at.scopes());
        } else {
            headers = new LinkedHashMap<>();
            headers.put("X-Auth-Request-User", SERVICE_PREFIX + at.subject());
            headers.put("X-Auth-Request-Scopes", String.join(" ", new TreeSet<>(at.scopes())));
        }
        headers.put("X-Auth-Request-Client", at.clientId());
        return new Decision(200, headers, "");
    }

    private Decision fromSession(Check c, Params p) {
        Optional<Caller> caller;
        try {
            caller = identity.authenticate(c.sessionCookie(), c.ip());
        } catch (RuntimeException e) {
            return failure(503, "unavailable", "The session could not be checked now; try again.");
        }
        if (caller.isEmpty() || caller.get().user() == null) {
            return unauthenticated(p, null, "Log in first.", c.originalUrl());
        }
        User u = caller.get().user();
        Set<String> scopes = tokens.scopesOf(u);
        Decision missing = requireScopes(p, scopes);
        if (missing != null) {
            return missing;
        }
        if (p.delegateTo() != null) {
            return failure(403, "forbidden", "A delegated token for the service needs an API token, not a browser session.");
        }
        return new Decision(200, identityHeaders(u, scopes), "");
    }

    private ApiTokenService.Delegated delegated(String parentToken, ApiTokenService.Holder h, Params p, Instant now) {
        List<String> asked = p.delegateScopes().isEmpty() ? List.copyOf(new TreeSet<>(h.scopes())) : p.delegateScopes();
        String cacheKey = h.token().key() + " " + p.delegateTo() + " " + String.join(" ", new TreeSet<>(asked));
        ApiTokenService.Delegated d = delegatedByParent.get(cacheKey);
        if (d != null) {
            Instant halfLife = d.issuedAt().plus(Duration.between(d.issuedAt(), d.expiresAt()).dividedBy(2));
            boolean longEnough = p.minimumLifetime() == null || !d.expiresAt().isBefore(now.plus(p.minimumLifetime()));
            if (now.isBefore(halfLife) && longEnough) {
                return d;
            }
        }
        Duration lifetime = ApiTokenService.DEFAULT_DELEGATED_LIFETIME;
        if (p.minimumLifetime() != null && p.minimumLifetime().multipliedBy(2).compareTo(lifetime) > 0) {
            lifetime = p.minimumLifetime().multipliedBy(2).compareTo(ApiTokenService.MAX_DELEGATED_LIFETIME) > 0
                    ? ApiTokenService.MAX_DELEGATED_LIFETIME : p.minimumLifetime().multipliedBy(2);
        }
        ApiTokenService.Delegated fresh = tokens.delegate(parentToken, p.delegateTo(), asked, lifetime, null);
        if (delegatedByParent.size() < 100_000) {
            delegatedByParent.put(cacheKey, fresh);
        }
        return fresh;
    }

    private Decision requireScopes(Params p, Set<String> held) {
        if (p.scopes().isEmpty()) {
            return null;
        }
        boolean ok = p.any() ? p.scopes().stream().anyMatch(held::contains) : held.containsAll(p.scopes());
        if (ok) {
            return null;
        }
        String needed = String.join(" ", p.scopes());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("WWW-Authenticate", (p.basic() ? "Basic realm=\"imsm\"" : "Bearer realm=\"imsm\"")
                + ", error=\"insufficient_scope\", scope=\"" + needed + "\"");
        String body = problem(403, "insufficient_scope", "This needs " + (p.any() ? "one of the scopes " : "the scopes ") + needed + ".");
        headers.put("X-Error-Status", "403");
        headers.put("X-Error-Body", body);
        return new Decision(403, headers, body);
    }

    /** 401 with the challenge; for a request without credentials a login address the ingress can send people to. */
    private Decision unauthenticated(Params p, String error, String message, String originalUrl) {
        Map<String, String> headers = new LinkedHashMap<>();
        String challenge = p.basic() ? "Basic realm=\"imsm\"" : "Bearer realm=\"imsm\"";
        if (error != null) {
            challenge += ", error=\"" + error + "\"";
        }
        headers.put("WWW-Authenticate", challenge);
        if (originalUrl != null && !originalUrl.isBlank()) {
            headers.put("X-Auth-Request-Redirect", login.loginUrl(originalUrl));
        }
        return new Decision(401, headers, problem(401, error == null ? "unauthenticated" : error, message));
    }

    /** Any other failure: 403 (what an ingress passes on), with the real status and body to restore. */
    private static Decision failure(int status, String code, String message) {
        String body = problem(status, code, message);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Error-Status", Integer.toString(status));
        headers.put("X-Error-Body", body);
        return new Decision(403, headers, body);
    }

    private static Map<String, String> identityHeaders(User u, Set<String> scopes) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Auth-Request-User", u.username());
        if (u.email() != null) {
            headers.put("X-Auth-Request-Email", u.email());
        }
        headers.put("X-Auth-Request-Groups", String.join(",", new TreeSet<>(u.roles())));
        headers.put("X-Auth-Request-Scopes", String.join(" ", new TreeSet<>(scopes)));
        return headers;
    }

    /** A one-line problem JSON (RFC 9457) that fits a header: no user input beyond checked names. */
    private static String problem(int status, String code, String detail) {
        return "{\"status\":" + status + ",\"code\":\"" + code + "\",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "'") + "\"}";
    }

    private record Credential(String token) {}

    /** The token from {@code Bearer <token>} or from HTTP Basic (as user or as password, RFC 7617). */
    private static Credential credential(String authorization, boolean basicFirst) {
        if (authorization == null || authorization.length() > 4096) {
            return new Credential(null);
        }
        String a = authorization.strip();
        int space = a.indexOf(' ');
        if (space < 0) {
            return new Credential(null);
        }
        String scheme = a.substring(0, space);
        String value = a.substring(space + 1).strip();
        if (scheme.equalsIgnoreCase("Bearer")) {
            return new Credential(value.isEmpty() ? null : value);
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return new Credential(null);
            }
            int colon = decoded.indexOf(':');
            String user = colon < 0 ? decoded : decoded.substring(0, colon);
            String password = colon < 0 ? "" : decoded.substring(colon + 1);
            boolean userIsToken = user.startsWith(ApiTokenFormat.PREFIX) || AccessTokenCallers.looksLikeJwt(user);
            return new Credential(userIsToken ? user : password.isEmpty() ? null : password);
        }
        return new Credential(null);
    }

    /** The checked query parameters. */
    private record Params(List<String> scopes, boolean any, String service, String delegateTo, List<String> delegateScopes,
                          Duration minimumLifetime, boolean basic) {
        static Params of(Check c) {
            List<String> scopes = scopes(c.scopes(), "scope");
            String satisfy = c.satisfy() == null ? "all" : c.satisfy();
            if (!satisfy.equals("all") && !satisfy.equals("any")) {
                throw new ImsmException.Invalid("satisfy is 'all' or 'any'.");
            }
            String authType = c.authType() == null ? "bearer" : c.authType();
            if (!authType.equals("bearer") && !authType.equals("basic")) {
                throw new ImsmException.Invalid("auth_type is 'bearer' or 'basic'.");
            }
            Duration minimum = null;
            if (c.minimumLifetime() != null) {
                try {
                    long seconds = Long.parseLong(c.minimumLifetime());
                    if (seconds < 0 || seconds > 86_400) {
                        throw new NumberFormatException();
                    }
                    minimum = Duration.ofSeconds(seconds);
                } catch (NumberFormatException e) {
                    throw new ImsmException.Invalid("minimum_lifetime is a number of seconds up to 86400.");
                }
            }
            List<String> delegateScopes = scopes(c.delegateScopes(), "delegate_scope");
            if (c.delegateTo() == null && !delegateScopes.isEmpty()) {
                throw new ImsmException.Invalid("delegate_scope needs delegate_to.");
            }
            checkName(c.service(), "service");
            checkName(c.delegateTo(), "delegate_to");
            return new Params(scopes, satisfy.equals("any"), c.service(), c.delegateTo(), delegateScopes, minimum,
                    authType.equals("basic"));
        }

        /** Repeated parameters, each possibly a comma- or space-separated list. */
        private static List<String> scopes(List<String> raw, String param) {
            List<String> out = new ArrayList<>();
            for (String value : raw) {
                for (String s : value.split("[ ,]+")) {
                    if (s.isEmpty()) {
                        continue;
                    }
                    if (!SCOPE.matcher(s).matches() || out.size() >= MAX_SCOPES) {
                        throw new ImsmException.Invalid(param + " holds scope names (at most " + MAX_SCOPES + ").");
                    }
                    out.add(s);
                }
            }
            return out;
        }

        private static void checkName(String value, String param) {
            if (value != null && !SCOPE.matcher(value).matches()) {
                throw new ImsmException.Invalid(param + " names a service (letters, digits, ':._/-').");
            }
        }
    }
}
