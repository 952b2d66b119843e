package io.imsm.server.store;

import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** SQL for users, their roles and recovery codes. Runs inside the caller's transaction; never commits. */
public final class UserStore {

    private static final String COLUMNS = "id, username, email, phone, display_name, status, password_hash, "
            + "must_change_password, totp_secret_enc, totp_confirmed, totp_last_step, failed_attempts, locked_until, "
            + "created_at, created_by, last_login, last_login_attempt";

    private static final RowMapper<User> MAPPER = (rs, ctx) -> user(rs, "");

    /** {@link #COLUMNS} each as {@code <alias>.<column> AS <alias>_<column>}, for a join read by {@link #user}. */
    static String columnsAs(String alias) {
        return Arrays.stream(COLUMNS.split(", ")).map(c -> alias + "." + c + " AS " + alias + "_" + c)
                .collect(Collectors.joining(", "));
    }

    /** The user in the current row, its columns named with {@code prefix} (no roles). */
    static User user(ResultSet rs, String p) throws SQLException {
        return User.builder(rs.getString(p + "id"), rs.getString(p + "username"))
            .email(rs.getString(p + "email")).phone(rs.getString(p + "phone")).displayName(rs.getString(p + "display_name"))
            .status(UserStatus.valueOf(rs.getString(p + "status").toUpperCase(Locale.ROOT)))
            .passwordHash(rs.getString(p + "password_hash")).mustChangePassword(rs.getBoolean(p + "must_change_password"))
            .totp(rs.getString(p + "totp_secret_enc"), rs.getBoolean(p + "totp_confirmed"), rs.getLong(p + "totp_last_step"))
            .failedAttempts(rs.getInt(p + "failed_attempts")).lockedUntil(instant(rs, p + "locked_until"))
            .created(instant(rs, p + "created_at"), rs.getString(p + "created_by"))
            .lastLogin(instant(rs, p + "last_login")).lastLoginAttempt(instant(rs, p + "last_login_attempt"))
            .build();
    }

    public void insert(Handle h, User u) {
        h.createUpdate("INSERT INTO users (" + COLUMNS + ", username_key, email_key) VALUES (:id, :username, :email, :phone, "
                        + ":displayName, :status, :passwordHash, :mustChange, :totp, :totpConfirmed, 0, 0, NULL, :createdAt, "
                        + ":createdBy, NULL, NULL, :usernameKey, :emailKey)")
                .bind("id", u.id()).bind("username", u.username()).bind("email", u.email()).bind("phone", u.phone())
                .bind("displayName", u.displayName()).bind("status", u.status().wire())
                .bind("passwordHash", u.passwordHash()).bind("mustChange", u.mustChangePassword())
                .bind("totp", u.totpSecretEnc()).bind("totpConfirmed", u.totpConfirmed())
                .bind("createdAt", ts(u.createdAt())).bind("createdBy", u.createdBy())
                .bind("usernameKey", key(u.username())).bind("emailKey", u.email() == null ? null : key(u.email()))
                .execute();
        setRoles(h, u.id(), u.roles());
    }

    public Optional<User> findById(Handle h, String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM users WHERE id = :id").bind("id", id)
                .map(MAPPER).findOne().map(u -> u.withRoles(roles(h, u.id())));
    }

    public Optional<User> findByUsername(Handle h, String username) {
        return h.createQuery("SELECT " + COLUMNS + " FROM users WHERE username_key = :k").bind("k", key(username))
                .map(MAPPER).findOne().map(u -> u.withRoles(roles(h, u.id())));
    }

    public boolean emailTaken(Handle h, String email, String exceptUserId) {
        return h.createQuery("SELECT COUNT(*) FROM users WHERE email_key = :k AND id <> :id")
                .bind("k", key(email)).bind("id", exceptUserId == null ? "" : exceptUserId)
                .mapTo(Integer.class).one() > 0;
    }

    public boolean usernameTaken(Handle h, String username) {
        return h.createQuery("SELECT COUNT(*) FROM users WHERE username_key = :k").bind("k", key(username))
                .mapTo(Integer.class).one() > 0;
    }

    public long count(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM users").mapTo(Long.class).one();
    }

    /** Page of users whose username, display name or email contains {@code search} (case-insensitive). */
    public List<User> search(Handle h, String search, int offset, int limit) {
        String like = likePattern(search);
        var q = h.createQuery("SELECT " + COLUMNS + " FROM users" + (like == null ? "" : SEARCH_WHERE)
                + " ORDER BY username_key LIMIT :limit OFFSET :offset");
        if (like != null) {
            q.bind("like", like);
        }
        List<User> users = q.bind("limit", limit).bind("offset", offset).map(MAPPER).list();
        return users.stream().map(u -> u.withRoles(roles(h, u.id()))).toList();
    }

    public long searchCount(Handle h, String search) {
        String like = likePattern(search);
        var q = h.createQuery("SELECT COUNT(*) FROM users" + (like == null ? "" : SEARCH_WHERE));
        if (like != null) {
            q.bind("like", like);
        }
        return q.mapTo(Long.class).one();
    }

    private static final String SEARCH_WHERE = " WHERE username_key LIKE :like ESCAPE '!' "
            + "OR LOWER(display_name) LIKE :like ESCAPE '!' OR email_key LIKE :like ESCAPE '!'";

    public Set<String> roles(Handle h, String userId) {
        return new HashSet<>(h.createQuery("SELECT role FROM user_roles WHERE user_id = :id").bind("id", userId)
                .mapTo(String.class).list());
    }

    public void setRoles(Handle h, String userId, Set<String> roles) {
        h.createUpdate("DELETE FROM user_roles WHERE user_id = :id").bind("id", userId).execute();
        for (String r : roles) {
            h.createUpdate("INSERT INTO user_roles (user_id, role) VALUES (:id, :r)").bind("id", userId).bind("r", r).execute();
        }
    }

    /** Users holding any of the roles; used to check that at least one active admin remains. */
    public long countActiveWithRole(Handle h, String role) {
        return h.createQuery("SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id "
                        + "WHERE r.role = :role AND u.status = 'active'")
                .bind("role", role).mapTo(Long.class).one();
    }

    public void updateProfile(Handle h, String id, String email, String phone, String displayName) {
        h.createUpdate("UPDATE users SET email = :email, email_key = :emailKey, phone = :phone, display_name = :dn WHERE id = :id")
                .bind("email", email).bind("emailKey", email == null ? null : key(email)).bind("phone", phone)
                .bind("dn", displayName).bind("id", id).execute();
    }

    public void updatePassword(Handle h, String id, String hash, boolean mustChange) {
        h.createUpdate("UPDATE users SET password_hash = :hash, must_change_password = :mc WHERE id = :id")
                .bind("hash", hash).bind("mc", mustChange).bind("id", id).execute();
    }

    public void updateStatus(Handle h, String id, UserStatus status) {
        h.createUpdate("UPDATE users SET status = :s WHERE id = :id").bind("s", status.wire()).bind("id", id).execute();
    }

    /** Stores a TOTP secret that is not yet confirmed (enrollment in progress). */
    public void setPendingTotp(Handle h, String id, String secretEnc) {
        h.createUpdate("UPDATE users SET totp_secret_enc = :s, totp_confirmed = FALSE, totp_last_step = 0 WHERE id = :id")
                .bind("s", secretEnc).bind("id", id).execute();
    }

    public void confirmTotp(Handle h, String id) {
        h.createUpdate("UPDATE users SET totp_confirmed = TRUE WHERE id = :id").bind("id", id).execute();
    }

    public void clearSecondFactor(Handle h, String id) {
        h.createUpdate("UPDATE users SET totp_secret_enc = NULL, totp_confirmed = FALSE, totp_last_step = 0 WHERE id = :id")
                .bind("id", id).execute();
        h.createUpdate("DELETE FROM recovery_codes WHERE user_id = :id").bind("id", id).execute();
    }

    /**
     * Records a TOTP time step as used, only if it is newer than the last one. Returns false when the
     * step (or a later one) was already used: the code is a replay. Atomic, so two concurrent logins
     * with the same code cannot both pass.
     */
    public boolean advanceTotpStep(Handle h, String id, long step) {
        return h.createUpdate("UPDATE users SET totp_last_step = :step WHERE id = :id AND totp_last_step < :step")
                .bind("step", step).bind("id", id).execute() == 1;
    }

    public void recordFailure(Handle h, String id, Instant at, Instant lockedUntil) {
        h.createUpdate("UPDATE users SET failed_attempts = failed_attempts + 1, last_login_attempt = :at WHERE id = :id")
                .bind("at", ts(at)).bind("id", id).execute();
        if (lockedUntil != null) {
            h.createUpdate("UPDATE users SET locked_until = :lu WHERE id = :id").bind("lu", ts(lockedUntil)).bind("id", id).execute();
        }
    }

    /** Forgets counted failures and an account lockout (an admin unlocked it, or the operator reset the password). */
    public void clearLockout(Handle h, String id) {
        h.createUpdate("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = :id").bind("id", id).execute();
    }

    /** The role names held by anyone, sorted, at most {@code limit} (the admin pages offer them as choices). */
    public List<String> rolesInUse(Handle h, int limit) {
        return h.createQuery("SELECT DISTINCT role FROM user_roles ORDER BY role LIMIT :limit")
                .bind("limit", limit).mapTo(String.class).list();
    }

    public void recordAttempt(Handle h, String id, Instant at) {
        h.createUpdate("UPDATE users SET last_login_attempt = :at WHERE id = :id").bind("at", ts(at)).bind("id", id).execute();
    }

    public void recordSuccess(Handle h, String id, Instant at) {
        h.createUpdate("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login = :at, last_login_attempt = :at WHERE id = :id")
                .bind("at", ts(at)).bind("id", id).execute();
    }

    /** @param hashes keyed hashes (HMAC under the recovery-code key) */
    public void replaceRecoveryCodes(Handle h, String userId, List<String> hashes) {
        h.createUpdate("DELETE FROM recovery_codes WHERE user_id = :id").bind("id", userId).execute();
        for (String hash : hashes) {
            h.createUpdate("INSERT INTO recovery_codes (user_id, code_hash, keyed) VALUES (:id, :hash, TRUE)")
                    .bind("id", userId).bind("hash", hash).execute();
        }
    }

    /**
     * Marks an unused recovery code as used: a keyed row matching the keyed hash, or a row from before
     * keying matching the plain hash. False when there is no such unused code.
     */
    public boolean useRecoveryCode(Handle h, String userId, String keyedHash, String legacyHash, Instant at) {
        return h.createUpdate("UPDATE recovery_codes SET used_at = :at WHERE user_id = :id AND used_at IS NULL "
                        + "AND ((keyed AND code_hash = :keyed) OR (NOT keyed AND code_hash = :legacy))")
                .bind("at", ts(at)).bind("id", userId).bind("keyed", keyedHash).bind("legacy", legacyHash).execute() == 1;
    }

    /** Where a TOTP secret is stored, the context its ciphertext is bound to (see KeyEncryptionKey). */
    public static String totpSecretContext(String userId) {
        return "users.totp_secret_enc:" + userId;
    }

    /** Users with a stored TOTP secret (pending or confirmed): id → JWE, for the key rotation. */
    public java.util.Map<String, String> totpSecrets(Handle h) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        h.createQuery("SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL ORDER BY id")
                .map((rs, c) -> java.util.Map.entry(rs.getString("id"), rs.getString("totp_secret_enc")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** Replaces a stored TOTP secret with the same secret encrypted anew (key rotation); the confirmation state stays. */
    public void replaceTotpSecretEnc(Handle h, String id, String secretEnc) {
        h.createUpdate("UPDATE users SET totp_secret_enc = :s WHERE id = :id").bind("s", secretEnc).bind("id", id).execute();
    }

    public int unusedRecoveryCodes(Handle h, String userId) {
        return h.createQuery("SELECT COUNT(*) FROM recovery_codes WHERE user_id = :id AND used_at IS NULL")
                .bind("id", userId).mapTo(Integer.class).one();
    }

    /**
     * Usernames of active people other than {@code exceptUserId} who hold one of {@code roles} and have a
     * phone number, in name order, at most {@code limit}: the approvers an SMS hook texts.
     */
    public List<String> activeWithPhoneInRoles(Handle h, List<String> roles, String exceptUserId, int limit) {
        if (roles.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT DISTINCT u.username FROM users u JOIN user_roles r ON r.user_id = u.id "
                        + "WHERE r.role IN (<roles>) AND u.status = 'active' AND u.phone IS NOT NULL AND u.phone <> '' "
                        + "AND u.id <> :except ORDER BY u.username LIMIT :limit")
                .bindList("roles", roles).bind("except", exceptUserId).bind("limit", limit).mapTo(String.class).list();
    }

    static String key(String s) {
        return s.trim().toLowerCase(Locale.ROOT);
    }

    private static String likePattern(String search) {
        if (search == null || search.isBlank()) {
            return null;
        }
        String escaped = key(search).replace("!", "!!").replace("%", "!%").replace("_", "!_");
        return "%" + escaped + "%";
    }

    /** Times travel as UTC OffsetDateTime, which both drivers map to TIMESTAMP WITH TIME ZONE exactly. */
    static OffsetDateTime ts(Instant i) {
        return i == null ? null : i.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, String col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
