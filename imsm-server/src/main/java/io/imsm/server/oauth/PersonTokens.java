package io.imsm.server.oauth;

import io.imsm.protocol.Scopes;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.BrowserSession;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Tokens for a person: the scope a client may get, refresh-token families, rotation on every refresh,
 * revocation of the whole family when a used refresh token comes back (RFC 9700 §4.14.2).
 *
 * <p>A family is bound to the IMSM browser session the person logged in with (as Keycloak binds refresh
 * tokens to its SSO session): it ends when that session ends (logout, a password change ending the
 * other sessions, an admin ending it, its absolute timeout), when the person is no longer active, or when
 * an admin revokes it.
 */
public final class PersonTokens {
    /** The OpenID Connect scopes (OIDC Core §5.4) plus {@code roles}; a person may always grant them. */
    public static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "email", "phone", "roles");

    private final Database db;
    private final OAuthTokenStore store;
    private final UserStore users;
    private final SessionStore sessions;
    private final AccessTokens tokens;
    private final ClientRegistry clients;
    private final PersonScopes personScopes;
    private final Secrets secrets;
    private final AuditLog audit;
    private final Clock clock;

    public PersonTokens(Database db, OAuthTokenStore store, UserStore users, SessionStore sessions, AccessTokens tokens, ClientRegistry clients,
                        PersonScopes personScopes, Secrets secrets, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.users = Objects.requireNonNull(users);
        this.sessions = Objects.requireNonNull(sessions);
        this.tokens = Objects.requireNonNull(tokens);
        this.clients = Objects.requireNonNull(clients);
        this.personScopes = Objects.requireNonNull(personScopes);
        this.secrets = Objects.requireNonNull(secrets);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * The scope a client gets for a person: what it asked for (all it may have when it asked for
     * nothing), narrowed to the OIDC scopes and to the person's scopes the client is registered for.
     */
    public String grantedScope(String requested, User person, OAuthClient client) {
        Set<String> mine = personScopes.scopesFor(person.roles());
        Set<String> allowed = new LinkedHashSet<>();
        for (String s : client.scopes()) {
            if (OIDC_SCOPES.contains(s) || mine.contains(s)) {
                allowed.add(s);
            }
        }
        if (requested == null) {
            return String.join(" ", allowed);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String s : Scopes.parse(requested)) {
            if (allowed.contains(s) || OIDC_SCOPES.contains(s)) {
                out.add(s);
            }
        }
        return String.join(" ", out);
    }

    /**
     * What a person's token granted {@code granted} may do now: the OIDC scopes and those of the person's
     * scopes their roles still give (a role taken away takes its scopes from tokens already issued).
     */
    public Set<String> scopesHeldNow(User person, Set<String> granted) {
        Set<String> mine = personScopes.scopesFor(person.roles());
        Set<String> out = new java.util.TreeSet<>();
        for (String s : granted) {
            if (OIDC_SCOPES.contains(s) || mine.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Starts a family for a person who logged in through {@code browserSession}: access token, id_token for openid, refresh token. */
    public TokenResponse start(Handle h, OAuthClient client, String familyId, String userId, String browserSession, String scope, Instant authTime, String nonce,
                               String ip) {
        Instant now = clock.instant();
        User person = users.findById(h, userId).filter(u -> u.status() == UserStatus.ACTIVE)
                .orElseThrow(() -> OAuthError.invalidGrant("The person is no longer active."));
        BrowserSession session = liveSession(h, browserSession, now)
                .orElseThrow(() -> OAuthError.invalidGrant("The login session has ended."));
        Instant until = min(now.plusSeconds(clients.refreshTokenTtl(client)), session.expiresAt());
        store.insertFamily(h, new OAuthTokenStore.Family(familyId, client.clientId(), userId, browserSession, scope, authTime, now, until, null, null));
        audit.record(h, person.username(), "oauth.grant", client.clientId(), ip, "ok", "family=" + familyId + " scope=" + scope);
        return issue(h, client, person, familyId, scope, authTime, nonce, until);
    }

    /** A new family's id (the {@code sid} claim of its tokens). */
    public String newFamilyId() {
        return "fam-" + secrets.token(15);
    }

    /** RFC 6749 §6 with rotation: the presented token is used up; a used one coming back ends its family. */
    public TokenResponse refresh(OAuthClient client, String refreshToken, String requestedScope, String ip) {
        String hash = Secrets.sha256Hex(refreshToken);
        Object result = db.inTransaction(h -> {
            Instant now = clock.instant();
            OAuthTokenStore.RefreshToken row = store.refreshToken(h, hash).orElseThrow(() -> OAuthError.invalidGrant("Unknown refresh token."));
            OAuthTokenStore.Family family = store.family(h, row.familyId()).orElseThrow();
            if (!family.clientId().equals(client.clientId())) {
                throw OAuthError.invalidGrant("This refresh token belongs to another client.");
            }
            if (row.usedAt() != null || !store.useRefreshToken(h, hash, now)) {
                // RFC 9700 §4.14.2: either the legitimate client or an attacker holds a copy; end the family for both
                boolean revoked = store.revokeFamily(h, family.familyId(), "refresh_token_reuse", now);
                audit.record(h, family.userId() == null ? client.clientId() : family.userId(), "oauth.refresh_reuse", client.clientId(), ip,
                        revoked ? "family_revoked" : "already_revoked", "family=" + family.familyId());
                return OAuthError.invalidGrant("This refresh token was used before; its whole family is revoked now.");
            }
            if (!now.isBefore(row.expiresAt())) {
                return OAuthError.invalidGrant("The refresh token has expired.");
            }
            Optional<String> dead = whyEnded(h, family, now);
            if (dead.isPresent()) {
                return OAuthError.invalidGrant(dead.get());
            }
            String scope = family.scope();
            if (requestedScope != null) {
                Set<String> granted = Scopes.parse(family.scope());
                if (!granted.containsAll(Scopes.parse(requestedScope))) {
                    return OAuthError.invalidScope("A refresh can only narrow the scope granted before (" + family.scope() + ").");
                }
                scope = requestedScope;
            }
            User person = users.findById(h, family.userId()).orElseThrow();
            return issue(h, client, person, family.familyId(), scope, family.authTime(), null, family.expiresAt());
        });
        if (result instanceof OAuthError e) {
            throw e;    // after the commit: a reuse's revocation and audit record stay
        }
        return (TokenResponse) result;
    }

    /** Why a family no longer gives tokens, or empty while it does. */
    public Optional<String> whyEnded(Handle h, OAuthTokenStore.Family family, Instant now) {
        if (family.revokedAt() != null) {
            return Optional.of("This grant was revoked (" + family.revokedReason() + ").");
        }
        if (!now.isBefore(family.expiresAt())) {
            return Optional.of("This grant has expired.");
        }
        if (family.userId() != null && users.findById(h, family.userId()).filter(u -> u.status() == UserStatus.ACTIVE).isEmpty()) {
            return Optional.of("The person is no longer active.");
        }
        if (family.browserSession() != null && liveSession(h, family.browserSession(), now).isEmpty()) {
            return Optional.of("The login session this grant came from has ended.");
        }
        return Optional.empty();
    }

    /** The claims of a person for the granted scopes (OIDC Core §5.4), for the id_token and userinfo. */
    public static Map<String, Object> claims(User u, Set<String> scope) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (scope.contains("profile")) {
            c.put("name", u.displayName());
            c.put("preferred_username", u.username());
        }
        if (scope.contains("email") && u.email() != null) {
            c.put("email", u.email());
        }
        if (scope.contains("phone") && u.phone() != null) {
            c.put("phone_number", u.phone());
        }
        if (scope.contains("roles")) {
            c.put("roles", List.copyOf(u.roles()));
        }
        return c;
    }

    private TokenResponse issue(Handle h, OAuthClient client, User person, String familyId, String scope, Instant authTime, String nonce,
                                Instant familyUntil) {
        Instant now = clock.instant();
        int ttl = clients.accessTokenTtl(client);
        String access = tokens.accessToken(new AccessTokens.Grant(person.id(), client.clientId(), client.audiences(), scope, person.id(),
                familyId, authTime, ttl, Map.of()));
        Set<String> scopes = Scopes.parse(scope);
        String idToken = scopes.contains("openid")
                ? tokens.idToken(person.id(), client.clientId(), nonce, authTime, familyId, ttl, claims(person, scopes), access) : null;
        String refresh = null;
        if (client.allowsGrant("refresh_token")) {
            refresh = secrets.token(32);
            store.insertRefreshToken(h, new OAuthTokenStore.RefreshToken(Secrets.sha256Hex(refresh), familyId, now, familyUntil, null));
        }
        return new TokenResponse(access, "Bearer", ttl, refresh, scope, idToken, null);
    }

    private Optional<BrowserSession> liveSession(Handle h, String idHash, Instant now) {
        return sessions.find(h, idHash).filter(s -> s.endedAt() == null && now.isBefore(s.expiresAt()));
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
