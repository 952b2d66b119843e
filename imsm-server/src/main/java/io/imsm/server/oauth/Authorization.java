package io.imsm.server.oauth;

import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The front-channel half: the authorization request (RFC 6749 §4.1.1 with PKCE, OIDC Core §3.1.2), the
 * device authorization request and the person's decision on a user code (RFC 8628 §3.1-3.3), and
 * RP-initiated logout's redirect check (OIDC RP-Initiated Logout §2).
 */
public final class Authorization {
    /** RFC 7636 §4.2: a S256 challenge is 43 base64url characters. */
    private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
    /** RFC 8628 §6.1: no vowels, no look-alikes; 8 characters ≈ 34.6 bits, guessed against a 10-minute life and login. */
    private static final String USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

    /** A request that was checked far enough to answer through the redirect URI. */
    public record AuthorizeRequest(OAuthClient client, String redirectUri, String state, String scope, String codeChallenge, String nonce,
                                   String prompt) {}

    /**
     * A refused authorization request. With {@code redirectUri} the error goes back to the client
     * (RFC 6749 §4.1.2.1); without, the redirect URI itself is wrong and the person sees a page.
     */
    public static final class AuthorizeError extends RuntimeException {
        public final String error;
        public final String redirectUri;
        public final String state;

        AuthorizeError(String error, String description, String redirectUri, String state) {
            super(description);
            this.error = error;
            this.redirectUri = redirectUri;
            this.state = state;
        }

        /** The redirect carrying the error, or null when the person must see it. */
        public String location(String issuer) {
            if (redirectUri == null) {
                return null;
            }
            Map<String, String> p = new LinkedHashMap<>();
            p.put("error", error);
            p.put("error_description", getMessage());
            if (state != null) {
                p.put("state", state);
            }
            p.put("iss", issuer);
            return withQuery(redirectUri, p);
        }
    }

    /** RFC 8628 §3.2. */
    public record DeviceAuthorization(String deviceCode, String userCode, String verificationUri, String verificationUriComplete, long expiresIn,
                                      int interval) {}

    private final Database db;
    private final OAuthTokenStore store;
    private final ClientRegistry clients;
    private final PersonTokens people;
    private final ClientAuthenticator authenticator;
    private final AccessTokens tokens;
    private final Secrets secrets;
    private final AuditLog audit;
    private final Clock clock;
    private final Supplier<String> issuer;
    private final int codeTtl;
    private final int deviceCodeTtl;

    public Authorization(Database db, OAuthTokenStore store, ClientRegistry clients, PersonTokens people, ClientAuthenticator authenticator,
                         AccessTokens tokens, Secrets secrets, AuditLog audit, Clock clock, Supplier<String> issuer, int codeTtl, int deviceCodeTtl) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.clients = Objects.requireNonNull(clients);
        this.people = Objects.requireNonNull(people);
        this.authenticator = Objects.requireNonNull(authenticator);
        this.tokens = Objects.requireNonNull(tokens);
        this.secrets = Objects.requireNonNull(secrets);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
        this.issuer = Objects.requireNonNull(issuer);
        this.codeTtl = codeTtl;
        this.deviceCodeTtl = deviceCodeTtl;
    }

    /** Checks an authorization request before anyone logs in. {@code param} gives one query parameter (null when absent). */
    public AuthorizeRequest check(java.util.function.Function<String, String> param) {
        OAuthClient client = clients.find(param.apply("client_id"))
                .orElseThrow(() -> new AuthorizeError("invalid_request", "Unknown client_id.", null, null));
        String redirect = param.apply("redirect_uri");
        if (redirect == null && client.redirectUris().size() == 1) {
            redirect = client.redirectUris().get(0);
        }
        // RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: exact string match, no patterns
        if (redirect == null || !client.redirectUris().contains(redirect)) {
            throw new AuthorizeError("invalid_request", "redirect_uri is not one registered for this client.", null, null);
        }
        String state = param.apply("state");
        if (!"code".equals(param.apply("response_type"))) {
            throw new AuthorizeError("unsupported_response_type", "Only response_type=code is supported.", redirect, state);
        }
        if (!client.allowsGrant("authorization_code")) {
            throw new AuthorizeError("unauthorized_client", "This client is not registered for authorization_code.", redirect, state);
        }
        String challenge = param.apply("code_challenge");
        if (challenge == null || !"S256".equals(param.apply("code_challenge_method")) || !CHALLENGE.matcher(challenge).matches()) {
            throw new AuthorizeError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256.", redirect, state);
        }
        String nonce = param.apply("nonce");
        if ((nonce != null && nonce.length() > 500) || (state != null && state.length() > 2000)) {
            throw new AuthorizeError("invalid_request", "state or nonce is too long.", redirect, state);
        }
        String prompt = param.apply("prompt");
        return new AuthorizeRequest(client, redirect, state, param.apply("scope"), challenge, nonce, prompt);
    }

    /** The error to send back when {@code prompt=none} and nobody is logged in (OIDC Core §3.1.2.6). */
    public AuthorizeError loginRequired(AuthorizeRequest r) {
        return new AuthorizeError("login_required", "Nobody is logged in.", r.redirectUri(), r.state());
    }

    /** Whether the person must confirm before the client gets tokens. Admin-registered clients are first-party. */
    public boolean needsConsent(AuthorizeRequest r) {
        return Boolean.TRUE.equals(r.client().requireConsent());
    }

    public AuthorizeError denied(AuthorizeRequest r) {
        return new AuthorizeError("access_denied", "The person did not allow the request.", r.redirectUri(), r.state());
    }

    /** Issues the code for a logged-in person; answers the redirect URI with code, state and iss (RFC 9207). */
    public String approve(Caller caller, AuthorizeRequest r) {
        caller.requirePerson().requireReady();
        String scope = people.grantedScope(r.scope(), caller.user(), r.client());
        String code = secrets.token(32);
        Instant now = clock.instant();
        db.inTransaction(h -> {
            store.insertCode(h, new OAuthTokenStore.Code(Secrets.sha256Hex(code), r.client().clientId(), caller.user().id(),
                    caller.session().idHash(), r.redirectUri(), r.codeChallenge(), scope, r.nonce(), caller.session().createdAt(),
                    now.plusSeconds(codeTtl), null, null));
            return null;
        });
        Map<String, String> p = new LinkedHashMap<>();
        p.put("code", code);
        if (r.state() != null) {
            p.put("state", r.state());
        }
        p.put("iss", issuer.get());
        return withQuery(r.redirectUri(), p);
    }

    /** RFC 8628 §3.1: a client (public ones too) asks for a device code and a user code. */
    public DeviceAuthorization startDevice(TokenRequest request) {
        OAuthClient client = authenticator.authenticate(request);
        if (!client.allowsGrant(DeviceCodeGrant.GRANT_TYPE)) {
            throw OAuthError.unauthorizedClient("This client is not registered for the device grant.");
        }
        String scope = request.param("scope") == null ? String.join(" ", client.scopes()) : request.param("scope");
        String deviceCode = secrets.token(32);
        String userCode = userCode();
        db.inTransaction(h -> {
            store.insertDeviceCode(h, new OAuthTokenStore.DeviceCode(Secrets.sha256Hex(deviceCode), userCode, client.clientId(), scope,
                    clock.instant().plusSeconds(deviceCodeTtl), "pending", null, null, null, null));
            return null;
        });
        String uri = issuer.get() + "/device";
        return new DeviceAuthorization(deviceCode, userCode, uri, uri + "?user_code=" + userCode, deviceCodeTtl, DeviceCodeGrant.INTERVAL);
    }

    /** The client a pending user code is for (to show it to the person), empty when the code is unknown, used or expired. */
    public Optional<OAuthClient> pendingDevice(String userCode) {
        String code = normalize(userCode);
        if (code == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return db.read(h -> store.deviceCodeByUserCode(h, code)).filter(d -> "pending".equals(d.status()) && now.isBefore(d.expiresAt()))
                .flatMap(d -> clients.find(d.clientId()));
    }

    /** The person's decision on a user code (RFC 8628 §3.3); false when the code is unknown, used or expired. */
    public boolean decideDevice(Caller caller, String userCode, boolean approve) {
        caller.requirePerson().requireReady();
        String code = normalize(userCode);
        if (code == null) {
            return false;
        }
        return db.inTransaction(h -> {
            Optional<OAuthTokenStore.DeviceCode> d = store.deviceCodeByUserCode(h, code)
                    .filter(x -> "pending".equals(x.status()) && clock.instant().isBefore(x.expiresAt()));
            if (d.isEmpty()) {
                return false;
            }
            OAuthClient client = clients.find(d.get().clientId()).orElse(null);
            if (client == null) {
                return false;
            }
            String scope = people.grantedScope(d.get().scope(), caller.user(), client);
            store.decideDeviceCode(h, code, approve ? "approved" : "denied", scope, caller.user().id(), caller.session().idHash(),
                    caller.session().createdAt());
            audit.record(h, caller.actor(), "oauth.device", client.clientId(), caller.ip(), approve ? "approved" : "denied", "scope=" + scope);
            return true;
        });
    }

    /**
     * OIDC RP-Initiated Logout §2-3: where to send the browser after logout. The client comes from
     * {@code client_id} or the id_token_hint's audience; the URI must be one it registered, exactly.
     */
    public Optional<String> postLogoutRedirect(String idTokenHint, String clientId, String uri, String state) {
        if (uri == null) {
            return Optional.empty();
        }
        String id = clientId;
        if (id == null && idTokenHint != null) {
            id = tokens.audienceOfOwnIdToken(idTokenHint).orElse(null);
        }
        Optional<OAuthClient> client = clients.find(id);
        if (client.isEmpty() || !client.get().postLogoutRedirectUris().contains(uri)) {
            return Optional.empty();
        }
        return Optional.of(state == null ? uri : withQuery(uri, Map.of("state", state)));
    }

    private String userCode() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            b.append(USER_CODE_ALPHABET.charAt(secrets.random().nextInt(USER_CODE_ALPHABET.length())));
        }
        return b.substring(0, 4) + "-" + b.substring(4);
    }

    /** RFC 8628 §6.1: case and dashes do not matter when the person types the code. */
    static String normalize(String userCode) {
        if (userCode == null || userCode.length() > 20) {
            return null;
        }
        String s = userCode.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z]", "");
        return s.length() == 8 ? s.substring(0, 4) + "-" + s.substring(4) : null;
    }

    static String withQuery(String uri, Map<String, String> params) {
        StringBuilder b = new StringBuilder(uri).append(uri.contains("?") ? '&' : '?');
        boolean first = true;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!first) {
                b.append('&');
            }
            first = false;
            b.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return b.toString();
    }
}
