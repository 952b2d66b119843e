package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.keys.RecoveryCodeKey;
import io.imsm.server.store.Database;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.UserStore;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A logged-in person looking after their own account: password change, authenticator enrollment and
 * removal, recovery codes, phone, the list of their browser sessions, and first passwords set through
 * an invite link. Every method is one use case and opens its own transaction.
 */
public final class AccountService {
    static final int RECOVERY_CODE_COUNT = 10;

    private final Database db;
    private final UserStore users;
    private final SessionStore sessions;
    private final InviteStore invites;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final PasswordPolicy policy;
    private final LoginThrottle throttle;
    private final KeyEncryptionKey kek;
    private final RecoveryCodeKey recoveryKey;
    private final Secrets secrets;
    private final Clock clock;
    private final Config.Sessions sessionCfg;
    private final String issuerName;

    public AccountService(Database db, UserStore users, SessionStore sessions, InviteStore invites, AuditLog audit,
                          PasswordHasher hasher, PasswordPolicy policy, LoginThrottle throttle, KeyEncryptionKey kek, RecoveryCodeKey recoveryKey,
                          Secrets secrets, Clock clock, Config.Sessions sessionCfg, String issuerName) {
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.sessions = Objects.requireNonNull(sessions);
        this.invites = Objects.requireNonNull(invites);
        this.audit = Objects.requireNonNull(audit);
        this.hasher = Objects.requireNonNull(hasher);
        this.policy = Objects.requireNonNull(policy);
        this.throttle = Objects.requireNonNull(throttle);
        this.kek = Objects.requireNonNull(kek);
        this.recoveryKey = Objects.requireNonNull(recoveryKey);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
        this.sessionCfg = Objects.requireNonNull(sessionCfg);
        this.issuerName = Objects.requireNonNull(issuerName);
    }

    public record SessionView(String id, Instant createdAt, Instant lastSeenAt, Instant expiresAt, String ip,
                              String userAgent, boolean current) {}

    public List<SessionView> listSessions(Caller caller) {
        caller.requirePerson().requireReady();
        Instant now = clock.instant();
        return db.read(h -> sessions.listLive(h, caller.user().id(), now, now.minusSeconds(sessionCfg.idleTimeoutSeconds())))
                .stream().map(s -> new SessionView(s.publicId(), s.createdAt(), s.lastSeenAt(), s.expiresAt(), s.ip(),
                        s.userAgent(), s.idHash().equals(caller.session().idHash())))
                .toList();
    }

    public void endSession(Caller caller, String publicId) {
        caller.requirePerson().requireReady();
        boolean ended = db.inTransaction(h -> {
            boolean ok = sessions.endByPublicId(h, caller.user().id(), publicId, clock.instant());
            if (ok) {
                audit.record(h, caller.actor(), "session_end", caller.actor(), caller.ip(), "ok", null);
            }
            return ok;
        });
        if (!ended) {
            throw new ImsmException.NotFound("No such active session.");
        }
    }

    /** Ends every browser session of the caller except the one making the request; returns how many ended. */
    public int endOtherSessions(Caller caller) {
        caller.requirePerson().requireReady();
        return db.inTransaction(h -> {
            int n = sessions.endAllForUser(h, caller.user().id(), clock.instant(), caller.session().idHash());
            audit.record(h, caller.actor(), "sessions_end_others", caller.actor(), caller.ip(), "ok", "ended=" + n);
            return n;
        });
    }

    public void changePassword(Caller caller, String current, String next) {
        caller.requirePerson();
        User user = caller.user();
        confirmPassword(caller, current, "current_password", "password_change", "The current password is wrong.");
        policy.check(user.username(), next);
        if (hasher.verify(next, user.passwordHash())) {
            throw ImsmException.Invalid.inField(ErrorCode.WEAK_PASSWORD, "new_password", "The new password must differ from the current one.");
        }
        String hash = hasher.hash(next);
        db.inTransaction(h -> {
            users.updatePassword(h, user.id(), hash, false);
            sessions.endAllForUser(h, user.id(), clock.instant(), caller.session().idHash());
            audit.record(h, user.username(), "password_change", user.username(), caller.ip(), "ok", null);
            return null;
        });
    }

    /**
     * "Confirm with your password" inside a session. A stolen cookie must not become an unthrottled
     * password oracle, so every check takes an attempt of the account's login lockout before the hash
     * (given back when the password is right), and once the lockout is reached every browser session
     * of the person ends, this one included.
     */
    private void confirmPassword(Caller caller, String password, String field, String action, String wrongMessage) {
        User user = caller.user();
        String key = AccountLocks.key(user.username());
        long locked = throttle.takeAccountAttempt(key);
        if (locked > 0) {
            lockedOut(caller, action, "locked");
            throw AccountLocks.locked(locked);
        }
        boolean right;
        try {
            right = password != null && hasher.verify(password, user.passwordHash());
        } catch (ImsmException.Unavailable busy) {
            throttle.refundAccountAttempt(key);
            throw busy;
        }
        if (right) {
            throttle.refundAccountAttempt(key);
            return;
        }
        long lock = throttle.accountLockedFor(key);
        Instant now = clock.instant();
        db.inTransaction(h -> {
            users.recordFailure(h, user.id(), now, lock > 0 ? now.plusSeconds(lock) : null);
            audit.record(h, user.username(), action, user.username(), caller.ip(), "failed", "wrong password");
            return null;
        });
        if (lock > 0) {
            lockedOut(caller, action, "locked");
            throw AccountLocks.locked(lock);
        }
        throw ImsmException.Invalid.inField(field, wrongMessage);
    }

    private void lockedOut(Caller caller, String action, String outcome) {
        db.inTransaction(h -> {
            sessions.endAllForUser(h, caller.user().id(), clock.instant(), null);
            audit.record(h, caller.user().username(), action, caller.user().username(), caller.ip(), outcome,
                    "account lockout reached; all browser sessions ended");
            return null;
        });
    }

    public record TotpEnrollment(String secret, String otpauthUri) {
        @Override public String toString() { return "TotpEnrollment[secret=***]"; }
    }

    /** Starts (or restarts) enrollment: a new secret, kept encrypted until a valid code confirms it. */
    public TotpEnrollment startTotpEnrollment(Caller caller) {
        caller.requirePerson();
        if (caller.user().mustChangePassword()) {
            throw new ImsmException.Forbidden(ErrorCode.PASSWORD_CHANGE_REQUIRED, "Change your password before continuing.");
        }
        if (caller.user().hasTotp()) {
            throw new ImsmException.Conflict("An authenticator app is already set up. Remove it first to set up another.");
        }
        String secret = Totp.newSecret(secrets);
        db.inTransaction(h -> { users.setPendingTotp(h, caller.user().id(), kek.encrypt(secret, UserStore.totpSecretContext(caller.user().id()))); return null; });
        return new TotpEnrollment(secret, Totp.otpauthUri(issuerName, caller.user().username(), secret));
    }

    /** The pending enrollment's secret (to render the page again after a wrong code). */
    public Optional<TotpEnrollment> pendingEnrollment(Caller caller) {
        caller.requirePerson();
        User u = db.read(h -> users.findById(h, caller.user().id())).orElseThrow();
        if (u.totpConfirmed() || u.totpSecretEnc() == null) {
            return Optional.empty();
        }
        String secret = kek.decrypt(u.totpSecretEnc(), UserStore.totpSecretContext(u.id()));
        return Optional.of(new TotpEnrollment(secret, Totp.otpauthUri(issuerName, u.username(), secret)));
    }

    /** Confirms enrollment with one valid code; returns the new recovery codes (shown once). */
    public List<String> confirmTotpEnrollment(Caller caller, String code) {
        caller.requirePerson();
        if (caller.user().mustChangePassword()) {
            throw new ImsmException.Forbidden(ErrorCode.PASSWORD_CHANGE_REQUIRED, "Change your password before continuing.");
        }
        User u = db.read(h -> users.findById(h, caller.user().id())).orElseThrow();
        if (u.totpConfirmed()) {
            throw new ImsmException.Conflict("An authenticator app is already set up.");
        }
        if (u.totpSecretEnc() == null) {
            throw new ImsmException.Invalid("Start the setup first.");
        }
        OptionalLong step = Totp.matchingStep(kek.decrypt(u.totpSecretEnc(), UserStore.totpSecretContext(u.id())), code == null ? "" : code.trim(), clock.instant());
        if (step.isEmpty()) {
            throw ImsmException.Invalid.inField("code", "That code is not right. Check the time on your phone and enter the current code.");
        }
        List<String> codes = RecoveryCodes.generate(secrets, RECOVERY_CODE_COUNT);
        db.inTransaction(h -> {
            users.advanceTotpStep(h, u.id(), step.getAsLong());
            users.confirmTotp(h, u.id());
            users.replaceRecoveryCodes(h, u.id(), codes.stream().map(rc -> RecoveryCodes.hash(rc, recoveryKey)).toList());
            audit.record(h, u.username(), "totp_enrolled", u.username(), caller.ip(), "ok", null);
            return null;
        });
        return codes;
    }

    /** Removes the authenticator (needs the password). A policy that requires one sends the person back to enrollment. */
    public void removeTotp(Caller caller, String password) {
        caller.requirePerson().requireReady();
        confirmPassword(caller, password, "password", "totp_removed", "The password is wrong.");
        db.inTransaction(h -> {
            users.clearSecondFactor(h, caller.user().id());
            sessions.endAllForUser(h, caller.user().id(), clock.instant(), caller.session().idHash());
            audit.record(h, caller.actor(), "totp_removed", caller.actor(), caller.ip(), "ok", null);
            return null;
        });
    }

    /** New set of recovery codes (needs the password); the old ones stop working. */
    public List<String> regenerateRecoveryCodes(Caller caller, String password) {
        caller.requirePerson().requireReady();
        if (!caller.user().hasTotp()) {
            throw new ImsmException.Conflict("Set up an authenticator app first; recovery codes back it up.");
        }
        confirmPassword(caller, password, "password", "recovery_codes_regenerated", "The password is wrong.");
        List<String> codes = RecoveryCodes.generate(secrets, RECOVERY_CODE_COUNT);
        db.inTransaction(h -> {
            users.replaceRecoveryCodes(h, caller.user().id(), codes.stream().map(rc -> RecoveryCodes.hash(rc, recoveryKey)).toList());
            audit.record(h, caller.actor(), "recovery_codes_regenerated", caller.actor(), caller.ip(), "ok", null);
            return null;
        });
        return codes;
    }

    public int unusedRecoveryCodes(Caller caller) {
        caller.requirePerson();
        return db.read(h -> users.unusedRecoveryCodes(h, caller.user().id()));
    }

    public void updatePhone(Caller caller, String phone) {
        caller.requirePerson().requireReady();
        String normalized = Validation.phone(phone);
        db.inTransaction(h -> {
            User u = users.findById(h, caller.user().id()).orElseThrow();
            users.updateProfile(h, u.id(), u.email(), normalized, u.displayName());
            audit.record(h, caller.actor(), "phone_change", caller.actor(), caller.ip(), "ok", null);
            return null;
        });
    }

    /** Sets the first password through a one-time invite link. */
    public void acceptInvite(String token, String password, String ip) {
        if (token == null || token.length() > 100) {
            throw new ImsmException.NotFound("This invite link is not valid or has expired.");
        }
        String hash = Secrets.sha256Hex(token);
        User user = db.read(h -> invites.peek(h, hash, clock.instant()).flatMap(id -> users.findById(h, id)))
                .orElseThrow(() -> new ImsmException.NotFound("This invite link is not valid or has expired."));
        policy.check(user.username(), password);
        String pwHash = hasher.hash(password);
        db.inTransaction(h -> {
            if (invites.consume(h, hash, clock.instant()).isEmpty()) {
                throw new ImsmException.NotFound("This invite link is not valid or has expired.");
            }
            users.updatePassword(h, user.id(), pwHash, false);
            audit.record(h, user.username(), "invite_accepted", user.username(), ip, "ok", null);
            return null;
        });
    }

    public Optional<String> inviteUsername(String token) {
        if (token == null || token.length() > 100) {
            return Optional.empty();
        }
        return db.read(h -> invites.peek(h, Secrets.sha256Hex(token), clock.instant()).flatMap(id -> users.findById(h, id)))
                .map(User::username);
    }

    public int minPasswordLength() { return policy.minLength(); }
}
