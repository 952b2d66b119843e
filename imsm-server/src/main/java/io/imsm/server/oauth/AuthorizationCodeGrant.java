package io.imsm.server.oauth;

import com.nimbusds.jose.util.Base64URL;
import io.imsm.protocol.ConstantTime;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636, S256 only): the code is single use and bound to the client,
 * the exact redirect URI and the code challenge. A code that comes back after use revokes the tokens
 * it gave (RFC 6749 §4.1.2).
 */
public final class AuthorizationCodeGrant implements GrantHandler {
    /** RFC 7636 §4.1: 43-128 characters of the unreserved set. */
    private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");

    private final Database db;
    private final OAuthTokenStore store;
    private final PersonTokens people;
    private final AuditLog audit;
    private final Clock clock;

    public AuthorizationCodeGrant(Database db, OAuthTokenStore store, PersonTokens people, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.people = Objects.requireNonNull(people);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override public String grantType() { return "authorization_code"; }

    @Override
    public TokenResponse handle(TokenRequest request, OAuthClient client) {
        String code = request.require("code");
        String redirectUri = request.require("redirect_uri");
        String verifier = request.param("code_verifier");
        if (verifier == null || !VERIFIER.matcher(verifier).matches()) {
            throw OAuthError.invalidGrant("code_verifier is missing or malformed (RFC 7636 §4.1).");
        }
        Object result = db.inTransaction(h -> {
            Instant now = clock.instant();
            OAuthTokenStore.Code c = store.code(h, Secrets.sha256Hex(code)).orElse(null);
            if (c == null || !c.clientId().equals(client.clientId())) {
                return OAuthError.invalidGrant("Unknown authorization code.");
            }
            if (c.usedAt() != null) {
                if (c.familyId() != null) {
                    store.revokeFamily(h, c.familyId(), "code_reuse", now);
                }
                audit.record(h, c.userId(), "oauth.code_reuse", client.clientId(), request.ip(), "family_revoked", "family=" + c.familyId());
                return OAuthError.invalidGrant("This authorization code was used before; the tokens it gave are revoked.");
            }
            if (!now.isBefore(c.expiresAt())) {
                return OAuthError.invalidGrant("The authorization code has expired.");
            }
            if (!c.redirectUri().equals(redirectUri)) {
                return OAuthError.invalidGrant("redirect_uri differs from the one of the authorization request.");
            }
            if (!ConstantTime.equals(s256(verifier), c.codeChallenge())) {
                return OAuthError.invalidGrant("code_verifier does not match the code_challenge.");
            }
            String familyId = people.newFamilyId();
            if (!store.useCode(h, c.codeHash(), familyId, now)) {
                throw OAuthError.invalidGrant("This authorization code was used before.");    // a race lost: nothing written
            }
            return people.start(h, client, familyId, c.userId(), c.browserSession(), c.scope(), c.authTime(), c.nonce(), request.ip());
        });
        if (result instanceof OAuthError e) {
            throw e;
        }
        return (TokenResponse) result;
    }

    /** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
    static String s256(String verifier) {
        try {
            return Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII))).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
