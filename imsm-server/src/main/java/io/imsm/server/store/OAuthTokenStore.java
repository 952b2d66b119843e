package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** What the OAuth provider keeps per grant: refresh-token families, codes, device codes, revoked and used jti values. */
public final class OAuthTokenStore {
    public record Family(String familyId, String clientId, String userId, String browserSession, String scope, Instant authTime,
                         Instant createdAt, Instant expiresAt, Instant revokedAt, String revokedReason) {}

    public record RefreshToken(String tokenHash, String familyId, Instant issuedAt, Instant expiresAt, Instant usedAt) {}

    public record Code(String codeHash, String clientId, String userId, String browserSession, String redirectUri, String codeChallenge,
                       String scope, String nonce, Instant authTime, Instant expiresAt, Instant usedAt, String familyId) {}

    public record DeviceCode(String deviceCodeHash, String userCode, String clientId, String scope, Instant expiresAt, String status,
                             String userId, String browserSession, Instant authTime, Instant lastPoll) {}

    // ---------------------------------------------------------------- families and refresh tokens

    public void insertFamily(Handle h, Family f) {
        h.createUpdate("INSERT INTO oauth_families (family_id, client_id, user_id, browser_session, scope, auth_time, created_at, expires_at) "
                        + "VALUES (:id, :client, :user, :bs, :scope, :auth, :at, :exp)")
                .bind("id", f.familyId()).bind("client", f.clientId()).bind("user", f.userId()).bind("bs", f.browserSession())
                .bind("scope", f.scope()).bind("auth", ts(f.authTime())).bind("at", ts(f.createdAt())).bind("exp", ts(f.expiresAt()))
                .execute();
    }

    public Optional<Family> family(Handle h, String familyId) {
        return h.createQuery("SELECT * FROM oauth_families WHERE family_id = :id").bind("id", familyId)
                .map((rs, ctx) -> new Family(rs.getString("family_id"), rs.getString("client_id"), rs.getString("user_id"),
                        rs.getString("browser_session"), rs.getString("scope"), instant(rs, "auth_time"), instant(rs, "created_at"),
                        instant(rs, "expires_at"), instant(rs, "revoked_at"), rs.getString("revoked_reason")))
                .findOne();
    }

    public boolean revokeFamily(Handle h, String familyId, String reason, Instant at) {
        return h.createUpdate("UPDATE oauth_families SET revoked_at = :at, revoked_reason = :r WHERE family_id = :id AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("r", reason).bind("id", familyId).execute() == 1;
    }

    /** Ends every live family of a person (admin revocation); returns how many. */
    public int revokeFamiliesOfUser(Handle h, String userId, String reason, Instant at) {
        return h.createUpdate("UPDATE oauth_families SET revoked_at = :at, revoked_reason = :r WHERE user_id = :u AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("r", reason).bind("u", userId).execute();
    }

    public void insertRefreshToken(Handle h, RefreshToken t) {
        h.createUpdate("INSERT INTO oauth_refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (:h, :f, :at, :exp)")
                .bind("h", t.tokenHash()).bind("f", t.familyId()).bind("at", ts(t.issuedAt())).bind("exp", ts(t.expiresAt())).execute();
    }

    public Optional<RefreshToken> refreshToken(Handle h, String tokenHash) {
        return h.createQuery("SELECT * FROM oauth_refresh_tokens WHERE token_hash = :h").bind("h", tokenHash)
                .map((rs, ctx) -> new RefreshToken(rs.getString("token_hash"), rs.getString("family_id"), instant(rs, "issued_at"),
                        instant(rs, "expires_at"), instant(rs, "used_at")))
                .findOne();
    }

    /** Marks a refresh token used; false when it already was (a reuse, or a race lost). */
    public boolean useRefreshToken(Handle h, String tokenHash, Instant at) {
        return h.createUpdate("UPDATE oauth_refresh_tokens SET used_at = :at WHERE token_hash = :h AND used_at IS NULL")
                .bind("at", ts(at)).bind("h", tokenHash).execute() == 1;
    }

    // ---------------------------------------------------------------- authorization codes

    public void insertCode(Handle h, Code c) {
        h.createUpdate("INSERT INTO oauth_codes (code_hash, client_id, user_id, browser_session, redirect_uri, code_challenge, scope, nonce, "
                        + "auth_time, expires_at) VALUES (:h, :client, :user, :bs, :redirect, :challenge, :scope, :nonce, :auth, :exp)")
                .bind("h", c.codeHash()).bind("client", c.clientId()).bind("user", c.userId()).bind("bs", c.browserSession())
                .bind("redirect", c.redirectUri()).bind("challenge", c.codeChallenge()).bind("scope", c.scope()).bind("nonce", c.nonce())
                .bind("auth", ts(c.authTime())).bind("exp", ts(c.expiresAt())).execute();
    }

    public Optional<Code> code(Handle h, String codeHash) {
        return h.createQuery("SELECT * FROM oauth_codes WHERE code_hash = :h").bind("h", codeHash)
                .map((rs, ctx) -> new Code(rs.getString("code_hash"), rs.getString("client_id"), rs.getString("user_id"),
                        rs.getString("browser_session"), rs.getString("redirect_uri"), rs.getString("code_challenge"), rs.getString("scope"),
                        rs.getString("nonce"), instant(rs, "auth_time"), instant(rs, "expires_at"), instant(rs, "used_at"),
                        rs.getString("family_id")))
                .findOne();
    }

    /** Marks a code used and remembers the family it started; false when it already was used. */
    public boolean useCode(Handle h, String codeHash, String familyId, Instant at) {
        return h.createUpdate("UPDATE oauth_codes SET used_at = :at, family_id = :f WHERE code_hash = :h AND used_at IS NULL")
                .bind("at", ts(at)).bind("f", familyId).bind("h", codeHash).execute() == 1;
    }

    // ---------------------------------------------------------------- device codes (RFC 8628)

    public void insertDeviceCode(Handle h, DeviceCode d) {
        h.createUpdate("INSERT INTO oauth_device_codes (device_code_hash, user_code, client_id, scope, expires_at, status) "
                        + "VALUES (:h, :uc, :client, :scope, :exp, 'pending')")
                .bind("h", d.deviceCodeHash()).bind("uc", d.userCode()).bind("client", d.clientId()).bind("scope", d.scope())
                .bind("exp", ts(d.expiresAt())).execute();
    }

    private static final org.jdbi.v3.core.mapper.RowMapper<DeviceCode> DEVICE = (rs, ctx) -> new DeviceCode(rs.getString("device_code_hash"),
            rs.getString("user_code"), rs.getString("client_id"), rs.getString("scope"), instant(rs, "expires_at"), rs.getString("status"),
            rs.getString("user_id"), rs.getString("browser_session"), instant(rs, "auth_time"), instant(rs, "last_poll"));

    public Optional<DeviceCode> deviceCode(Handle h, String deviceCodeHash) {
        return h.createQuery("SELECT * FROM oauth_device_codes WHERE device_code_hash = :h").bind("h", deviceCodeHash).map(DEVICE).findOne();
    }

    public Optional<DeviceCode> deviceCodeByUserCode(Handle h, String userCode) {
        return h.createQuery("SELECT * FROM oauth_device_codes WHERE user_code = :uc").bind("uc", userCode).map(DEVICE).findOne();
    }

    /** The person's decision, with the scope narrowed to what they may grant. */
    public boolean decideDeviceCode(Handle h, String userCode, String status, String scope, String userId, String browserSession, Instant authTime) {
        return h.createUpdate("UPDATE oauth_device_codes SET status = :s, scope = :scope, user_id = :u, browser_session = :bs, auth_time = :auth "
                        + "WHERE user_code = :uc AND status = 'pending'")
                .bind("s", status).bind("scope", scope).bind("u", userId).bind("bs", browserSession).bind("auth", ts(authTime)).bind("uc", userCode).execute() == 1;
    }

    public void pollDeviceCode(Handle h, String deviceCodeHash, Instant at) {
        h.createUpdate("UPDATE oauth_device_codes SET last_poll = :at WHERE device_code_hash = :h").bind("at", ts(at)).bind("h", deviceCodeHash).execute();
    }

    public boolean useDeviceCode(Handle h, String deviceCodeHash) {
        return h.createUpdate("UPDATE oauth_device_codes SET status = 'used' WHERE device_code_hash = :h AND status = 'approved'")
                .bind("h", deviceCodeHash).execute() == 1;
    }

    // ---------------------------------------------------------------- revoked access tokens, used assertion ids

    public void revokeJti(Handle h, String jti, Instant expiresAt) {
        if (!isRevoked(h, jti)) {
            h.createUpdate("INSERT INTO oauth_revoked_jtis (jti, expires_at) VALUES (:j, :exp)").bind("j", jti).bind("exp", ts(expiresAt)).execute();
        }
    }

    public boolean isRevoked(Handle h, String jti) {
        return h.createQuery("SELECT 1 FROM oauth_revoked_jtis WHERE jti = :j").bind("j", jti).mapTo(Integer.class).findOne().isPresent();
    }

    /** Remembers a client assertion's id; false when it was seen before (a replay). */
    public boolean rememberAssertion(Handle h, String jtiKey, Instant expiresAt) {
        // ON CONFLICT is not in H2's PostgreSQL mode for all versions: look first, the primary key guards the race
        if (h.createQuery("SELECT 1 FROM oauth_assertion_jtis WHERE jti_key = :k").bind("k", jtiKey).mapTo(Integer.class).findOne().isPresent()) {
            return false;
        }
        h.createUpdate("INSERT INTO oauth_assertion_jtis (jti_key, expires_at) VALUES (:k, :exp)").bind("k", jtiKey).bind("exp", ts(expiresAt)).execute();
        return true;
    }

    /** Housekeeping: rows whose tokens have expired anyway. */
    public int purge(Handle h, Instant now) {
        int n = h.createUpdate("DELETE FROM oauth_revoked_jtis WHERE expires_at < :n").bind("n", ts(now)).execute();
        n += h.createUpdate("DELETE FROM oauth_assertion_jtis WHERE expires_at < :n").bind("n", ts(now)).execute();
        n += h.createUpdate("DELETE FROM oauth_codes WHERE expires_at < :n").bind("n", ts(now)).execute();
        n += h.createUpdate("DELETE FROM oauth_device_codes WHERE expires_at < :n").bind("n", ts(now)).execute();
        n += h.createUpdate("DELETE FROM oauth_refresh_tokens WHERE expires_at < :n").bind("n", ts(now)).execute();
        return n;
    }
}
