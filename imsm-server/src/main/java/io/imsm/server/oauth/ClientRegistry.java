package io.imsm.server.oauth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.imsm.protocol.ConstantTime;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.config.Config;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.Secrets;
import io.imsm.server.json.Json;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthClientStore;

import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Registered OAuth clients (admins only): validation, secrets shown once and stored hashed, secret rotation with an overlap. */
public final class ClientRegistry {
    public static final Set<String> GRANT_TYPES = Set.of("authorization_code", "refresh_token", "client_credentials",
            DeviceCodeGrant.GRANT_TYPE, TokenExchangeGrant.GRANT_TYPE);
    public static final List<String> AUTH_METHODS = List.of("client_secret_basic", "client_secret_post", "private_key_jwt", "none");
    /** How long the previous secret keeps working after a rotation. */
    public static final Duration SECRET_OVERLAP = Duration.ofHours(24);
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    private static final int MAX_LIST = 50;
    private static final long MAX_REFRESH_TTL = 365L * 86_400;

    /** A registration and, for confidential clients with a secret, the secret (shown once). */
    public record Registered(OAuthClient client, String clientSecret) {}

    private final Database db;
    private final OAuthClientStore store;
    private final AuditLog audit;
    private final Secrets secrets;
    private final Clock clock;
    private final Config.OAuth config;

    public ClientRegistry(Database db, OAuthClientStore store, AuditLog audit, Secrets secrets, Clock clock, Config.OAuth config) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.audit = Objects.requireNonNull(audit);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
        this.config = Objects.requireNonNull(config);
    }

    public Registered create(Caller caller, OAuthClient requested) {
        caller.requireAdmin();
        String id = requested.clientId() == null ? "c-" + secrets.token(12) : requested.clientId();
        OAuthClient c = validate(requested.withClientId(id));
        String secret = needsSecret(c) ? secrets.token(32) : null;
        Instant now = clock.instant();
        db.inTransaction(h -> {
            if (store.find(h, id).isPresent()) {
                throw new ImsmException.Conflict("A client with client_id " + id + " exists already.");
            }
            store.insert(h, new OAuthClientStore.Row(id, write(c), secret == null ? null : Secrets.sha256Hex(secret), null, null, now, now));
            audit.record(h, caller.actor(), "oauth.client.create", id, caller.ip(), "ok", "type=" + c.type() + " grants=" + c.grantTypes());
            return null;
        });
        return new Registered(c, secret);
    }

    /** One client's outcome of {@link #apply}: created (with its secret, once), updated or unchanged. */
    public record Applied(String clientId, String outcome, String clientSecret) {}

    /**
     * {@code imsm apply}: registers or updates every client of a file, all or nothing; applying the
     * same file twice changes nothing. Each needs its client_id; secrets of existing clients stay.
     */
    public List<Applied> apply(Caller caller, List<OAuthClient> requested) {
        caller.requireAdmin();
        if (requested == null || requested.size() > 200) {
            throw ImsmException.Invalid.inField("clients", "clients is a list of at most 200 registrations.");
        }
        List<OAuthClient> valid = new ArrayList<>();
        for (OAuthClient c : requested) {
            if (c == null || c.clientId() == null) {
                throw ImsmException.Invalid.inField("client_id", "Every client in an applied file needs its client_id.");
            }
            OAuthClient v = validate(c);
            if (valid.stream().anyMatch(x -> x.clientId().equals(v.clientId()))) {
                throw ImsmException.Invalid.inField("client_id", "client_id " + v.clientId() + " appears twice.");
            }
            valid.add(v);
        }
        Instant now = clock.instant();
        return db.inTransaction(h -> {
            List<Applied> out = new ArrayList<>();
            for (OAuthClient c : valid) {
                String doc = write(c);
                Optional<OAuthClientStore.Row> old = store.find(h, c.clientId());
                if (old.isEmpty()) {
                    String secret = needsSecret(c) ? secrets.token(32) : null;
                    store.insert(h, new OAuthClientStore.Row(c.clientId(), doc, secret == null ? null : Secrets.sha256Hex(secret), null, null, now, now));
                    audit.record(h, caller.actor(), "oauth.client.create", c.clientId(), caller.ip(), "ok", "apply type=" + c.type());
                    out.add(new Applied(c.clientId(), "created", secret));
                } else if (read(old.get().document()).equals(c)) {
                    out.add(new Applied(c.clientId(), "unchanged", null));
                } else {
                    if (needsSecret(c) && old.get().secretHash() == null) {
                        throw ImsmException.Invalid.inField("token_endpoint_auth_method", "Client " + c.clientId()
                                + " has no secret; register a new client to use a client secret.");
                    }
                    store.updateDocument(h, c.clientId(), doc, now);
                    audit.record(h, caller.actor(), "oauth.client.update", c.clientId(), caller.ip(), "ok", "apply type=" + c.type());
                    out.add(new Applied(c.clientId(), "updated", null));
                }
            }
            return out;
        });
    }

    public OAuthClient get(Caller caller, String clientId) {
        caller.requireAdmin();
        return find(clientId).orElseThrow(() -> new ImsmException.NotFound("No client " + clientId + "."));
    }

    public List<OAuthClient> list(Caller caller) {
        caller.requireAdmin();
        return db.read(h -> store.list(h, 1000)).stream().map(r -> read(r.document())).toList();
    }

    /** Replaces a registration; the secret stays (rotate it with {@link #rotateSecret}). */
    public OAuthClient update(Caller caller, String clientId, OAuthClient requested) {
        caller.requireAdmin();
        if (requested.clientId() != null && !requested.clientId().equals(clientId)) {
            throw ImsmException.Invalid.inField("client_id", "client_id cannot change; register a new client instead.");
        }
        OAuthClient c = validate(requested.withClientId(clientId));
        db.inTransaction(h -> {
            OAuthClientStore.Row old = store.find(h, clientId).orElseThrow(() -> new ImsmException.NotFound("No client " + clientId + "."));
            if (needsSecret(c) && old.secretHash() == null) {
                throw ImsmException.Invalid.inField("token_endpoint_auth_method",
                        "This client has no secret; register a new client to use a client secret.");
            }
            store.updateDocument(h, clientId, write(c), clock.instant());
            audit.record(h, caller.actor(), "oauth.client.update", clientId, caller.ip(), "ok", "type=" + c.type() + " grants=" + c.grantTypes());
            return null;
        });
        return c;
    }

    public void delete(Caller caller, String clientId) {
        caller.requireAdmin();
        db.inTransaction(h -> {
            if (!store.delete(h, clientId)) {
                throw new ImsmException.NotFound("No client " + clientId + ".");
            }
            audit.record(h, caller.actor(), "oauth.client.delete", clientId, caller.ip(), "ok", null);
            return null;
        });
    }

    /** A new secret (shown once); the previous one keeps working for {@link #SECRET_OVERLAP}. */
    public Registered rotateSecret(Caller caller, String clientId) {
        caller.requireAdmin();
        OAuthClient c = get(caller, clientId);
        if (!needsSecret(c)) {
            throw new ImsmException.Invalid("This client authenticates without a secret (" + c.tokenEndpointAuthMethod() + ").");
        }
        String secret = secrets.token(32);
        Instant now = clock.instant();
        db.inTransaction(h -> {
            store.rotateSecret(h, clientId, Secrets.sha256Hex(secret), now.plus(SECRET_OVERLAP), now);
            audit.record(h, caller.actor(), "oauth.client.secret_rotate", clientId, caller.ip(), "ok", "previous_valid_until=" + now.plus(SECRET_OVERLAP));
            return null;
        });
        return new Registered(c, secret);
    }

    /** A registered client by id, for the endpoints. */
    public Optional<OAuthClient> find(String clientId) {
        if (clientId == null || !CLIENT_ID.matcher(clientId).matches()) {
            return Optional.empty();
        }
        return db.read(h -> store.find(h, clientId)).map(r -> read(r.document()));
    }

    /**
     * The client if {@code secret} is its current secret, or its previous one within the overlap; the
     * comparison is over SHA-256 hex in constant time. Empty for an unknown client or a wrong secret.
     */
    public Optional<OAuthClient> withSecret(String clientId, String secret) {
        if (clientId == null || secret == null || !CLIENT_ID.matcher(clientId).matches() || secret.length() > 512) {
            return Optional.empty();
        }
        Optional<OAuthClientStore.Row> row = db.read(h -> store.find(h, clientId));
        String presented = Secrets.sha256Hex(secret);
        return row.filter(r -> r.secretHash() != null && (ConstantTime.equals(presented, r.secretHash())
                        || (r.previousSecretHash() != null && r.previousSecretUntil() != null && clock.instant().isBefore(r.previousSecretUntil())
                            && ConstantTime.equals(presented, r.previousSecretHash()))))
                .map(r -> read(r.document()));
    }

    /** The access-token lifetime for a client. */
    public int accessTokenTtl(OAuthClient c) {
        return c.accessTokenTtlSeconds() == null ? config.accessTokenTtlSeconds() : c.accessTokenTtlSeconds();
    }

    public long refreshTokenTtl(OAuthClient c) {
        return c.refreshTokenTtlSeconds() == null ? config.refreshTokenTtlSeconds() : c.refreshTokenTtlSeconds();
    }

    static boolean needsSecret(OAuthClient c) {
        return !c.isPublic() && c.tokenEndpointAuthMethod().startsWith("client_secret_");
    }

    private OAuthClient validate(OAuthClient c) {
        if (!CLIENT_ID.matcher(c.clientId()).matches()) {
            throw ImsmException.Invalid.inField("client_id", "client_id is 1-64 letters, digits, '.', '_' or '-'.");
        }
        if (c.name() == null || c.name().isBlank() || c.name().length() > 200) {
            throw ImsmException.Invalid.inField("name", "name is required (at most 200 characters).");
        }
        String type = c.type() == null ? OAuthClient.CONFIDENTIAL : c.type();
        if (!type.equals(OAuthClient.CONFIDENTIAL) && !type.equals(OAuthClient.PUBLIC)) {
            throw ImsmException.Invalid.inField("type", "type is confidential or public.");
        }
        List<String> grants = list("grant_types", c.grantTypes());
        if (grants.isEmpty()) {
            throw ImsmException.Invalid.inField("grant_types", "grant_types needs at least one grant type.");
        }
        for (String g : grants) {
            if (!GRANT_TYPES.contains(g)) {
                throw ImsmException.Invalid.inField("grant_types", "Unknown grant type " + g + "; known: " + GRANT_TYPES + ".");
            }
        }
        String method = c.tokenEndpointAuthMethod() == null ? (type.equals(OAuthClient.PUBLIC) ? "none" : "client_secret_basic")
                : c.tokenEndpointAuthMethod();
        if (!AUTH_METHODS.contains(method)) {
            throw ImsmException.Invalid.inField("token_endpoint_auth_method", "token_endpoint_auth_method is one of " + AUTH_METHODS + ".");
        }
        if (type.equals(OAuthClient.PUBLIC) != method.equals("none")) {
            throw ImsmException.Invalid.inField("token_endpoint_auth_method", "Public clients use none; confidential clients authenticate.");
        }
        if (type.equals(OAuthClient.PUBLIC) && (grants.contains("client_credentials") || grants.contains(TokenExchangeGrant.GRANT_TYPE))) {
            throw ImsmException.Invalid.inField("grant_types", "A public client cannot use client_credentials or token exchange.");
        }
        Map<String, Object> jwks = c.jwks();
        if (method.equals("private_key_jwt")) {
            jwks = validJwks(jwks);
        } else if (jwks != null) {
            throw ImsmException.Invalid.inField("jwks", "jwks is only for token_endpoint_auth_method private_key_jwt.");
        }
        List<String> redirects = list("redirect_uris", c.redirectUris());
        redirects.forEach(u -> redirectUri("redirect_uris", u));
        if (grants.contains("authorization_code") && redirects.isEmpty()) {
            throw ImsmException.Invalid.inField("redirect_uris", "authorization_code needs at least one redirect URI.");
        }
        List<String> logoutRedirects = list("post_logout_redirect_uris", c.postLogoutRedirectUris());
        logoutRedirects.forEach(u -> redirectUri("post_logout_redirect_uris", u));
        List<String> scopes = list("scopes", c.scopes());
        for (String s : scopes) {
            if (!SCOPE_TOKEN.matcher(s).matches()) {
                throw ImsmException.Invalid.inField("scopes", "A scope is 1-128 printable characters without space, '\"' or '\\\\' (RFC 6749 §3.3).");
            }
        }
        List<String> audiences = list("audiences", c.audiences());
        for (String a : audiences) {
            if (a.isBlank() || a.length() > 500) {
                throw ImsmException.Invalid.inField("audiences", "An audience is 1-500 characters.");
            }
        }
        Integer access = c.accessTokenTtlSeconds();
        if (access != null && (access < 60 || access > config.maxAccessTokenTtlSeconds())) {
            throw ImsmException.Invalid.inField("access_token_ttl_seconds", "access_token_ttl_seconds is between 60 and "
                    + config.maxAccessTokenTtlSeconds() + ".");
        }
        Integer refresh = c.refreshTokenTtlSeconds();
        if (refresh != null && (refresh < 60 || refresh > MAX_REFRESH_TTL)) {
            throw ImsmException.Invalid.inField("refresh_token_ttl_seconds", "refresh_token_ttl_seconds is between 60 and " + MAX_REFRESH_TTL + ".");
        }
        return new OAuthClient(c.clientId(), c.name().strip(), type, grants, redirects, logoutRedirects, scopes, audiences, method, jwks,
                access, refresh, Boolean.TRUE.equals(c.requireConsent()));
    }

    private static List<String> list(String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        if (values.size() > MAX_LIST) {
            throw ImsmException.Invalid.inField(field, field + " has at most " + MAX_LIST + " entries.");
        }
        List<String> out = new ArrayList<>();
        for (String v : values) {
            if (v == null) {
                throw ImsmException.Invalid.inField(field, field + " has an empty entry.");
            }
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Absolute, no fragment (RFC 6749 §3.1.2); https, http only on a loopback address (RFC 8252 §7.3),
     * or a private-use scheme of a native app (RFC 8252 §7.1, containing a dot).
     */
    private static void redirectUri(String field, String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (Exception e) {
            throw ImsmException.Invalid.inField(field, "Not a URI: " + uri);
        }
        boolean ok = uri.length() <= 2000 && u.isAbsolute() && u.getRawFragment() == null;
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (ok && scheme.equals("http")) {
            String host = u.getHost() == null ? "" : u.getHost();
            ok = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
        } else if (ok && !scheme.equals("https")) {
            ok = scheme.contains(".");
        }
        if (!ok) {
            throw ImsmException.Invalid.inField(field, uri + " is not allowed: absolute, no fragment, https (http only on loopback) "
                    + "or a private-use scheme like com.example.app.");
        }
    }

    private static Map<String, Object> validJwks(Map<String, Object> jwks) {
        if (jwks == null) {
            throw ImsmException.Invalid.inField("jwks", "private_key_jwt needs the client's public keys in jwks.");
        }
        try {
            JWKSet set = JWKSet.parse(jwks);
            if (set.getKeys().isEmpty() || set.getKeys().size() > 10) {
                throw ImsmException.Invalid.inField("jwks", "jwks holds 1 to 10 keys.");
            }
            for (JWK k : set.getKeys()) {
                if (k.isPrivate()) {
                    throw ImsmException.Invalid.inField("jwks", "jwks must hold public keys only; keep the private key with the client.");
                }
            }
            return set.toJSONObject(true);
        } catch (ParseException e) {
            throw ImsmException.Invalid.inField("jwks", "jwks is not a JWK set: " + e.getMessage());
        }
    }

    private static String write(OAuthClient c) {
        try {
            return Json.mapper().writeValueAsString(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OAuthClient read(String doc) {
        try {
            return Json.mapper().readValue(doc, OAuthClient.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored client registration is not readable", e);
        }
    }
}
