package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.model.BrowserSession;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.audit.FailureSampler;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.keys.RecoveryCodeKey;
import io.imsm.server.store.ConfigVersion;
import io.imsm.server.store.Database;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * People logging in and their browser sessions: password + second factor, session cookies, idle and
 * absolute timeouts, logout. What people do with their own account afterwards is
 * {@link AccountService}. Every method is one use case and opens its own transaction.
 */
public final class IdentityService {
    /** How long a session may sit between a correct password and the second factor. */
    static final Duration SECOND_FACTOR_WINDOW = Duration.ofMinutes(5);
    /**
     * last_seen_at is written at most this often, so a burst of requests costs one write, not one each;
     * a session may therefore reach its idle timeout up to this much early.
     */
    static final Duration TOUCH_INTERVAL = Duration.ofSeconds(30);
    private static final String LOGIN_FAILED = "Wrong username, password or code.";

    private final Database db;
    private final UserStore users;
    private final SessionStore sessions;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final LoginThrottle throttle;
    private final MfaPolicies mfa;
    private final KeyEncryptionKey kek;
    private final RecoveryCodeKey recoveryKey;
    private final Secrets secrets;
    private final Clock clock;
    private final Config.Sessions sessionCfg;
    private final LoginNames names;
    private final FailureSampler failures;

    public IdentityService(Database db, UserStore users, SessionStore sessions, AuditLog audit, PasswordHasher hasher,
                           LoginThrottle throttle, MfaPolicies mfa, KeyEncryptionKey kek, RecoveryCodeKey recoveryKey, Secrets secrets, Clock clock,
                           Config.Sessions sessionCfg, LoginNames names, FailureSampler failures) {
        this.names = Objects.requireNonNull(names);
        this.failures = Objects.requireNonNull(failures);
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.sessions = Objects.requireNonNull(sessions);
        this.audit = Objects.requireNonNull(audit);
        this.hasher = Objects.requireNonNull(hasher);
        this.throttle = Objects.requireNonNull(throttle);
        this.mfa = Objects.requireNonNull(mfa);
        this.kek = Objects.requireNonNull(kek);
        this.recoveryKey = Objects.requireNonNull(recoveryKey);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
        this.sessionCfg = Objects.requireNonNull(sessionCfg);
    }

    /** A new browser session: the cookie value (shown once, to be set as cookie) and its CSRF token. */
    public record LoginResult(String cookie, String csrf, String stage, User user) {
        @Override public String toString() { return "LoginResult[stage=" + stage + ", user=" + user.username() + "]"; }
    }

    // ---------------------------------------------------------------- login

    /**
     * One-shot login (API): password and, when the account has a second factor, the code in the same
     * call. Without a needed code the answer is {@code otp_required} and no session is created.
     */
    public LoginResult login(String username, String password, String otp, String ip, String userAgent) {
        User user = checkPassword(username, password, ip);
        String key = AccountLocks.key(user.username());
        if (user.hasTotp()) {
            if (otp == null || otp.isBlank()) {
                // Nothing failed: the attempt taken for the password goes back (a right password is no guess to count).
                throttle.refundAccountAttempt(key);
                throw new ImsmException.Unauthenticated(ErrorCode.OTP_REQUIRED, "Enter the code from your authenticator app or a recovery code.");
            }
            // The code is checked under the attempt already taken for this call: one call, one attempt.
            checkSecondFactor(user, otp, ip);
        }
        LoginResult result = db.inTransaction(h -> startFullSession(h, user.id(), ip, userAgent, "password" + (user.hasTotp() ? "+otp" : "")));
        throttle.resetAccount(key);
        return result;
    }

    /**
     * Page login, first step. With a second factor enrolled the session waits in stage
     * {@code second_factor} for {@link #completeSecondFactor}; without one it is full at once (and the
     * person is then sent to enrollment if the policy requires a factor).
     */
    public LoginResult passwordStep(String username, String password, String ip, String userAgent) {
        User user = checkPassword(username, password, ip);
        String key = AccountLocks.key(user.username());
        if (!user.hasTotp()) {
            LoginResult result = db.inTransaction(h -> startFullSession(h, user.id(), ip, userAgent, "password"));
            throttle.resetAccount(key);
            return result;
        }
        // The password was right; the second step takes its own attempt when the code is checked.
        throttle.refundAccountAttempt(key);
        return db.inTransaction(h -> {
            Instant now = clock.instant();
            String cookie = secrets.token(32);
            String csrf = secrets.token(24);
            sessions.insert(h, new BrowserSession(Secrets.sha256Hex(cookie), secrets.token(12), user.id(),
                    BrowserSession.STAGE_SECOND_FACTOR, csrf, now, now, now.plus(SECOND_FACTOR_WINDOW), null, ip, truncate(userAgent, 300)));
            return new LoginResult(cookie, csrf, BrowserSession.STAGE_SECOND_FACTOR, user);
        });
    }

    /**
     * Page login, second step: the code for a session in stage {@code second_factor}. Rotates the
     * session id. Spends the address's login budget and takes an account attempt before the code is
     * checked, like the first step.
     */
    public LoginResult completeSecondFactor(String cookie, String otp, String ip, String userAgent) {
        BrowserSession pending = pendingSession(cookie).orElseThrow(() -> new ImsmException.Unauthenticated(
                ErrorCode.UNAUTHENTICATED, "The login took too long; start again."));
        User user = db.read(h -> users.findById(h, pending.userId())).orElseThrow();
        takeAttempts(user.username(), ip);
        checkSecondFactor(user, otp, ip);
        LoginResult result = db.inTransaction(h -> {
            sessions.end(h, pending.idHash(), clock.instant());
            return startFullSession(h, user.id(), ip, userAgent, "password+otp");
        });
        throttle.resetAccount(AccountLocks.key(user.username()));
        return result;
    }

    public Optional<BrowserSession> pendingSession(String cookie) {
        if (cookie == null || cookie.isBlank() || cookie.length() > 100) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return db.read(h -> sessions.find(h, Secrets.sha256Hex(cookie)))
                .filter(s -> BrowserSession.STAGE_SECOND_FACTOR.equals(s.stage()))
                .filter(s -> s.endedAt() == null && now.isBefore(s.expiresAt()));
    }

    /**
     * Checks the password under one account attempt taken before the hash (kept when the login
     * fails, given back or reset by the caller when it succeeds). Every failure, including a right
     * password for an account that is not active, gives the same answer.
     */
    private User checkPassword(String username, String password, String ip) {
        if (username == null || username.isBlank() || username.length() > 64 || password == null
                || password.length() > PasswordPolicy.MAX_LENGTH) {
            throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED, LOGIN_FAILED);
        }
        String key = takeAttempts(username, ip);
        Optional<User> found = db.read(h -> users.findByUsername(h, username));
        boolean right;
        try {
            if (found.isEmpty() || found.get().passwordHash() == null) {
                hasher.burn(password);
                right = false;
            } else {
                right = hasher.verify(password, found.get().passwordHash());
            }
        } catch (ImsmException.Unavailable busy) {
            // No hash was computed: this attempt was not evaluated, so it does not count.
            throttle.refundAccountAttempt(key);
            throw busy;
        }
        if (found.isEmpty() || found.get().passwordHash() == null) {
            failure(null, username, ip, "failed", "unknown user or no password");
            throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED, LOGIN_FAILED);
        }
        User user = found.get();
        if (!right) {
            failure(user, username, ip, "failed", "wrong password");
            throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED, LOGIN_FAILED);
        }
        if (user.status() != UserStatus.ACTIVE) {
            // The same answer as a wrong password: the answer must not tell that this password is right.
            failure(user, username, ip, "refused", "status " + user.status().wire());
            throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED, LOGIN_FAILED);
        }
        if (hasher.needsRehash(user.passwordHash())) {
            // bcrypt from an import, or older Argon2 parameters: upgrade now that we hold the password.
            try {
                String rehashed = hasher.hash(password);
                db.inTransaction(h -> { users.updatePassword(h, user.id(), rehashed, user.mustChangePassword()); return null; });
            } catch (ImsmException.Unavailable busy) {
                // Busy: the next login upgrades it.
            }
        }
        return user;
    }

    /**
     * Spends one login of the client address and takes one attempt of the account name, in that
     * order; throws {@code rate_limited} or {@code login_locked} when either is used up. Refusals
     * come from strangers, so their audit rows are sampled ({@link FailureSampler}).
     */
    private String takeAttempts(String username, String ip) {
        long ipWait = throttle.consumeIpAttempt(ip);
        if (ipWait > 0) {
            failures.admit("login-throttled:" + ip).ifPresent(earlier -> db.inTransaction(h -> {
                String name = auditName(h, username);
                audit.record(h, name, "login", name, ip, "throttled", "per-address limit" + earlierNote(earlier));
                return null;
            }));
            throw new ImsmException.Throttled(ErrorCode.RATE_LIMITED,
                    "Too many login attempts from your address. Try again in " + AccountLocks.waitText(ipWait) + ".", ipWait);
        }
        String key = AccountLocks.key(username);
        long locked = throttle.takeAccountAttempt(key);
        if (locked > 0) {
            failures.admit("login-locked:" + key).ifPresent(earlier -> db.inTransaction(h -> {
                Optional<User> u = users.findByUsername(h, username);
                u.ifPresent(x -> users.recordAttempt(h, x.id(), clock.instant()));
                String name = u.map(User::username).orElseGet(() -> names.unknown(username));
                audit.record(h, name, "login", u.isPresent() ? name : null, ip, "locked", earlierNote(earlier).strip());
                return null;
            }));
            throw AccountLocks.locked(locked);
        }
        return key;
    }

    private static String earlierNote(long earlier) {
        return earlier > 0 ? " (+" + earlier + " earlier, not recorded one by one)" : "";
    }

    /** The name for the audit and text log: the account's name, or a keyed hash of a name that is no account. */
    private String auditName(Handle h, String typed) {
        return users.findByUsername(h, typed).map(User::username).orElseGet(() -> names.unknown(typed));
    }

    private void checkSecondFactor(User user, String otp, String ip) {
        String code = otp == null ? "" : otp.trim().replace(" ", "");
        Instant now = clock.instant();
        String secret = kek.decrypt(user.totpSecretEnc(), UserStore.totpSecretContext(user.id()));
        OptionalLong step = Totp.matchingStep(secret, code, now);
        if (step.isPresent()) {
            boolean fresh = db.inTransaction(h -> users.advanceTotpStep(h, user.id(), step.getAsLong()));
            if (!fresh) {
                failure(user, user.username(), ip, "failed", "reused code");
                throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED,
                        "This code was already used. Wait for the next code of your authenticator app.");
            }
            return;
        }
        if (RecoveryCodes.looksLikeOne(code)) {
            boolean used = db.inTransaction(h -> users.useRecoveryCode(h, user.id(), RecoveryCodes.hash(code, recoveryKey), RecoveryCodes.legacyHash(code), now));
            if (used) {
                audit.recordAlone(db, user.username(), "recovery_code_used", user.username(), ip, "ok", null);
                return;
            }
        }
        failure(user, user.username(), ip, "failed", "wrong second factor");
        throw new ImsmException.Unauthenticated(ErrorCode.LOGIN_FAILED, LOGIN_FAILED);
    }

    /** Records a failed attempt (its account attempt was already taken). Unknown names are written only as a keyed hash. */
    private void failure(User user, String typedName, String ip, String outcome, String why) {
        long lockSeconds = throttle.accountLockedFor(AccountLocks.key(typedName));
        Instant now = clock.instant();
        db.inTransaction(h -> {
            if (user != null) {
                users.recordFailure(h, user.id(), now, lockSeconds > 0 ? now.plusSeconds(lockSeconds) : null);
            }
            String actor = user == null ? names.unknown(typedName) : user.username();
            audit.record(h, actor, "login", user == null ? null : user.username(), ip, outcome, why);
            if (user != null && lockSeconds > 0) {
                // this failure reached the limit: the lockout is an event of its own (account.locked)
                audit.record(h, actor, "account_lock", user.username(), ip, "ok", "locked_for_s=" + lockSeconds);
            }
            return null;
        });
    }

    /** Opens a full session; the caller resets the account's attempts after the transaction (no second connection while one is held). */
    private LoginResult startFullSession(Handle h, String userId, String ip, String userAgent, String method) {
        Instant now = clock.instant();
        String cookie = secrets.token(32);
        String csrf = secrets.token(24);
        sessions.insert(h, new BrowserSession(Secrets.sha256Hex(cookie), secrets.token(12), userId, BrowserSession.STAGE_FULL,
                csrf, now, now, now.plusSeconds(sessionCfg.absoluteTimeoutSeconds()), null, ip, truncate(userAgent, 300)));
        users.recordSuccess(h, userId, now);
        User user = users.findById(h, userId).orElseThrow();
        audit.record(h, user.username(), "login", user.username(), ip, "ok", method);
        return new LoginResult(cookie, csrf, BrowserSession.STAGE_FULL, user);
    }

    // ---------------------------------------------------------------- sessions

    /** The caller behind a session cookie: a live, full session of an active user, else empty. Refreshes idle time. */
    public Optional<Caller> authenticate(String cookie, String ip) {
        if (cookie == null || cookie.isBlank() || cookie.length() > 100) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        String hash = Secrets.sha256Hex(cookie);
        // Read before the transaction: the policy cache may load from the database, and a second
        // connection requested while this one is held can stall on a busy pool.
        MfaPolicy policy = mfa.current();
        // One statement reads the session, its person, their roles and the configuration's version
        // (the caches of hooks and services check it); no transaction: the rare write after it (touch,
        // end) is one statement of its own.
        return db.read(h -> {
            Optional<SessionStore.Authenticated> found = sessions.authenticate(h, hash);
            if (found.isEmpty()) {
                return Optional.<Caller>empty();
            }
            ConfigVersion.observed(found.get().configVersion());
            BrowserSession s = found.get().session();
            if (!s.isFull() || s.endedAt() != null || !now.isBefore(s.expiresAt())
                    || !now.isBefore(s.lastSeenAt().plusSeconds(sessionCfg.idleTimeoutSeconds()))) {
                return Optional.<Caller>empty();
            }
            User user = found.get().user();
            if (user == null || user.status() != UserStatus.ACTIVE) {
                sessions.end(h, hash, now);
                return Optional.<Caller>empty();
            }
            if (!now.isBefore(s.lastSeenAt().plus(TOUCH_INTERVAL))) {
                sessions.touch(h, hash, now);
            }
            return Optional.of(new Caller(user, s, false, policy.requires(user.roles()), ip));
        });
    }

    public void logout(String cookie, String ip) {
        if (cookie == null || cookie.isBlank() || cookie.length() > 100) {
            return;
        }
        db.inTransaction(h -> {
            String hash = Secrets.sha256Hex(cookie);
            sessions.find(h, hash).ifPresent(s -> {
                sessions.end(h, hash, clock.instant());
                users.findById(h, s.userId()).ifPresent(u -> audit.record(h, u.username(), "logout", u.username(), ip, "ok", null));
            });
            return null;
        });
    }

    // ---------------------------------------------------------------- helpers

    private static String truncate(String s, int max) {
        return s == null ? null : (s.length() <= max ? s : s.substring(0, max));
    }
}
