package io.imsm.server.oauth;

import com.nimbusds.jwt.JWTClaimsSet;
import io.imsm.protocol.Scopes;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** What clients and resource servers ask about tokens: introspection (RFC 7662), revocation (RFC 7009), userinfo (OIDC Core §5.3). */
public final class OAuthTokens {
    private final Database db;
    private final OAuthTokenStore store;
    private final UserStore users;
    private final AccessTokens tokens;
    private final PersonTokens people;
    private final ClientAuthenticator authenticator;
    private final AuditLog audit;
    private final Clock clock;

    public OAuthTokens(Database db, OAuthTokenStore store, UserStore users, AccessTokens tokens, PersonTokens people,
                       ClientAuthenticator authenticator, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.users = Objects.requireNonNull(users);
        this.tokens = Objects.requireNonNull(tokens);
        this.people = Objects.requireNonNull(people);
        this.authenticator = Objects.requireNonNull(authenticator);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * RFC 7662 §2.2. The caller authenticates as a confidential client. {@code active: false} for anything
     * not live: expired, revoked, from an ended family, of a person no longer active, or unknown.
     */
    public Map<String, Object> introspect(TokenRequest request) {
        OAuthClient caller = authenticator.authenticate(request);
        if (caller.isPublic()) {
            throw OAuthError.unauthorizedClient("Public clients cannot introspect tokens.");
        }
        String token = request.require("token");
        Optional<JWTClaimsSet> jwt = tokens.verify(token, AccessTokens.AT_JWT);
        if (jwt.isPresent()) {
            return db.read(h -> accessToken(h, jwt.get()));
        }
        if (token.length() <= 100) {
            return db.read(h -> refreshToken(h, token));
        }
        return inactive();
    }

    private Map<String, Object> accessToken(Handle h, JWTClaimsSet c) {
        if (!live(h, c)) {
            return inactive();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", true);
        out.put("token_type", "Bearer");
        out.put("scope", c.getClaim("scope"));
        out.put("client_id", c.getClaim("client_id"));
        out.put("sub", c.getSubject());
        out.put("aud", c.getAudience().size() == 1 ? c.getAudience().get(0) : c.getAudience());
        out.put("iss", c.getIssuer());
        out.put("exp", c.getExpirationTime().toInstant().getEpochSecond());
        out.put("iat", c.getIssueTime().toInstant().getEpochSecond());
        out.put("jti", c.getJWTID());
        if (c.getClaim("sid") != null) {
            out.put("sid", c.getClaim("sid"));
        }
        if (c.getClaim("act") != null) {
            out.put("act", c.getClaim("act"));
        }
        out.values().removeIf(Objects::isNull);
        return out;
    }

    /**
     * An IMSM access token presented to a resource (IMSM's own API, a service behind the ingress), as it
     * stands now. {@code person} is null for a service's token (client credentials, or exchanged from
     * one); {@code subject} is then the client it speaks for.
     */
    public record Presented(String subject, User person, String clientId, Set<String> scopes, Instant expiresAt) {
        public Presented {
            scopes = Set.copyOf(scopes);
        }

        public boolean forPerson() {
            return person != null;
        }
    }

    /**
     * RFC 9068 §4 at a resource: ES256 and {@code typ: at+jwt} with a key of IMSM's JWKS, this issuer,
     * exp and nbf against the clock ({@link AccessTokens#verify}), {@code audience} among {@code aud}, no
     * {@code cnf} (a certificate-bound token, RFC 8705 §3, whose binding a bearer check cannot see), and
     * live now: not revoked, its refresh-token family not ended, its person active. The live part is
     * read on every call (not cached), so a revocation holds at once on every instance.
     */
    public Optional<Presented> presentedTo(String token, String audience) {
        Optional<JWTClaimsSet> jwt = tokens.verify(token, AccessTokens.AT_JWT);
        if (jwt.isEmpty() || audience == null) {
            return Optional.empty();
        }
        JWTClaimsSet c = jwt.get();
        List<String> aud = c.getAudience();
        if (aud == null || !aud.contains(audience) || c.getClaim("cnf") != null || c.getSubject() == null
                || !(c.getClaim("client_id") instanceof String clientId)) {
            return Optional.empty();
        }
        Set<String> granted = c.getClaim("scope") instanceof String s ? Scopes.parse(s) : Set.of();
        Instant exp = c.getExpirationTime().toInstant();
        Optional<User> person = db.read(h -> {
            if (!live(h, c)) {
                return null;
            }
            return isPersons(c) ? users.findById(h, c.getSubject()) : Optional.<User>empty();
        });
        if (person == null) {
            return Optional.empty();
        }
        // outside the read: the scope mapping may read the database itself
        return Optional.of(person.isPresent()
                ? new Presented(c.getSubject(), person.get(), clientId, people.scopesHeldNow(person.get(), granted), exp)
                : new Presented(c.getSubject(), null, clientId, granted, exp));
    }

    /** Not revoked, its family (if any) live, its person (if any) active. */
    private boolean live(Handle h, JWTClaimsSet c) {
        if (c.getJWTID() == null || store.isRevoked(h, c.getJWTID())) {
            return false;
        }
        Object sid = c.getClaim("sid");
        Instant now = clock.instant();
        if (sid instanceof String familyId) {
            Optional<OAuthTokenStore.Family> f = store.family(h, familyId);
            if (f.isEmpty() || people.whyEnded(h, f.get(), now).isPresent()) {
                return false;
            }
        }
        if (isPersons(c)) {
            return users.findById(h, c.getSubject()).filter(u -> u.status() == UserStatus.ACTIVE).isPresent();
        }
        return true;
    }

    /** A person's token carries auth_time (AccessTokens); a service's (client credentials, or exchanged from one) does not. */
    private static boolean isPersons(JWTClaimsSet c) {
        return c.getClaim("auth_time") != null;
    }

    private Map<String, Object> refreshToken(Handle h, String token) {
        Instant now = clock.instant();
        Optional<OAuthTokenStore.RefreshToken> row = store.refreshToken(h, Secrets.sha256Hex(token))
                .filter(r -> r.usedAt() == null && now.isBefore(r.expiresAt()));
        if (row.isEmpty()) {
            return inactive();
        }
        OAuthTokenStore.Family f = store.family(h, row.get().familyId()).orElseThrow();
        if (people.whyEnded(h, f, now).isPresent()) {
            return inactive();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", true);
        out.put("token_type", "refresh_token");
        out.put("scope", f.scope());
        out.put("client_id", f.clientId());
        out.put("sub", f.userId());
        out.put("exp", row.get().expiresAt().getEpochSecond());
        out.put("iat", row.get().issuedAt().getEpochSecond());
        out.put("sid", f.familyId());
        return out;
    }

    private static Map<String, Object> inactive() {
        return Map.of("active", false);
    }

    /**
     * RFC 7009 §2. A refresh token ends its family (and so the family's access tokens); an access token
     * is remembered as revoked until it expires. Tokens of other clients and unknown tokens are left
     * alone and answered the same way (§2.2), so the answer tells nothing.
     */
    public void revoke(TokenRequest request) {
        OAuthClient client = authenticator.authenticate(request);
        String token = request.require("token");
        Optional<JWTClaimsSet> jwt = tokens.verify(token, AccessTokens.AT_JWT);
        db.inTransaction(h -> {
            Instant now = clock.instant();
            if (jwt.isPresent()) {
                JWTClaimsSet c = jwt.get();
                if (client.clientId().equals(c.getClaim("client_id")) && c.getJWTID() != null) {
                    store.revokeJti(h, c.getJWTID(), c.getExpirationTime().toInstant());
                    audit.record(h, client.clientId(), "oauth.revoke", c.getSubject(), request.ip(), "ok", "access_token jti=" + c.getJWTID());
                }
            } else if (token.length() <= 100) {
                store.refreshToken(h, Secrets.sha256Hex(token)).flatMap(r -> store.family(h, r.familyId()))
                        .filter(f -> f.clientId().equals(client.clientId()))
                        .ifPresent(f -> {
                            if (store.revokeFamily(h, f.familyId(), "revoked_by_client", now)) {
                                audit.record(h, client.clientId(), "oauth.revoke", f.userId(), request.ip(), "ok", "family=" + f.familyId());
                            }
                        });
            }
            return null;
        });
    }

    /** OIDC Core §5.3: the person's claims for the scopes of a live access token that includes openid. */
    public Map<String, Object> userinfo(String accessToken) {
        JWTClaimsSet c = tokens.verify(accessToken, AccessTokens.AT_JWT)
                .orElseThrow(() -> OAuthError.invalidToken("The access token is not valid."));
        Object scope = c.getClaim("scope");
        if (!(scope instanceof String s) || !Scopes.parse(s).contains("openid")) {
            throw new OAuthError("insufficient_scope", 403, "userinfo needs an access token with the openid scope.");
        }
        return db.read(h -> {
            if (!live(h, c)) {
                throw OAuthError.invalidToken("The access token is no longer valid.");
            }
            User u = users.findById(h, c.getSubject()).orElseThrow(() -> OAuthError.invalidToken("The access token is no longer valid."));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sub", u.id());
            out.putAll(PersonTokens.claims(u, Scopes.parse(s)));
            return out;
        });
    }

    /** IMSM access tokens as RFC 8693 subject tokens: live ones only. */
    public TokenExchangeGrant.SubjectTokens accessTokenSubjects() {
        return new TokenExchangeGrant.SubjectTokens() {
            @Override public String tokenType() { return TokenExchangeGrant.ACCESS_TOKEN_TYPE; }

            @Override public Optional<TokenExchangeGrant.Subject> resolve(String token) {
                return tokens.verify(token, AccessTokens.AT_JWT).filter(c -> db.read(h -> live(h, c))).map(c -> {
                    Object scope = c.getClaim("scope");
                    Object authTime = c.getClaim("auth_time");
                    boolean person = isPersons(c);
                    return new TokenExchangeGrant.Subject(c.getSubject(), person ? c.getSubject() : null,
                            scope instanceof String s ? Scopes.parse(s) : java.util.Set.of(), (String) c.getClaim("sid"),
                            authTime instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null);
                });
            }
        };
    }
}
