package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.model.Roles;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.store.Database;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/** What admins do to accounts: create, roles, status, second-factor reset, listing, the MFA policy. */
public final class AdminService {
    static final Duration INVITE_LIFETIME = Duration.ofHours(72);
    public static final int MAX_PAGE_SIZE = 200;

    private final Database db;
    private final UserStore users;
    private final SessionStore sessions;
    private final InviteStore invites;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final PasswordPolicy policy;
    private final MfaPolicies mfa;
    private final Secrets secrets;
    private final TokenSessionRevoker tokens;
    private final LoginThrottle throttle;
    private final Clock clock;

    public AdminService(Database db, UserStore users, SessionStore sessions, InviteStore invites, AuditLog audit,
                        PasswordHasher hasher, PasswordPolicy policy, MfaPolicies mfa, Secrets secrets, TokenSessionRevoker tokens,
                        LoginThrottle throttle,
                        Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.sessions = Objects.requireNonNull(sessions);
        this.invites = Objects.requireNonNull(invites);
        this.audit = Objects.requireNonNull(audit);
        this.hasher = Objects.requireNonNull(hasher);
        this.policy = Objects.requireNonNull(policy);
        this.mfa = Objects.requireNonNull(mfa);
        this.secrets = Objects.requireNonNull(secrets);
        this.tokens = Objects.requireNonNull(tokens);
        this.throttle = Objects.requireNonNull(throttle);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * What an admin asks for. Exactly one of {@code password} (initial, to be changed), {@code invite},
     * or {@code passwordBcrypt} (a bcrypt hash imported from another system; kept until the next login
     * rehashes it to Argon2id).
     */
    public record NewUser(String username, String displayName, String email, String phone, List<String> roles,
                          String password, boolean invite, String passwordBcrypt) {
        @Override public String toString() { return "NewUser[username=" + username + "]"; }
    }

    /** The created user and, for an invite, the one-time token (shown once). */
    public record Created(User user, String inviteToken, Instant inviteExpiresAt) {}

    public Created createUser(Caller caller, NewUser req) {
        caller.requireAdmin();
        if (req == null) {
            throw new ImsmException.Invalid("body required");
        }
        String username = Validation.username(req.username());
        String email = Validation.email(req.email());
        String phone = Validation.phone(req.phone());
        String displayName = Validation.displayName(req.displayName(), username);
        Set<String> roles = Roles.validate(req.roles());
        boolean hasPassword = req.password() != null && !req.password().isEmpty();
        boolean imported = req.passwordBcrypt() != null && !req.passwordBcrypt().isEmpty();
        if ((hasPassword ? 1 : 0) + (req.invite() ? 1 : 0) + (imported ? 1 : 0) != 1) {
            throw new ImsmException.Invalid("give exactly one of an initial password, \"invite\": true, or password_bcrypt");
        }
        String hash = null;
        if (hasPassword) {
            policy.check(username, req.password());
            hash = hasher.hash(req.password());
        } else if (imported) {
            if (!PasswordHasher.isWellFormedBcrypt(req.passwordBcrypt())) {
                throw new ImsmException.Invalid("password_bcrypt must be a bcrypt hash ($2a$, $2b$ or $2y$, cost 4-31, 60 characters)");
            }
            hash = req.passwordBcrypt();
        }
        boolean mustChange = hasPassword;
        String pwHash = hash;
        String token = req.invite() ? secrets.token(32) : null;
        Instant now = clock.instant();
        User user = db.inTransaction(h -> {
            if (users.usernameTaken(h, username)) {
                throw new ImsmException.Conflict("The username '" + username + "' is taken (usernames are case-insensitive and stay blocked after deletion).");
            }
            if (email != null && users.emailTaken(h, email, null)) {
                throw new ImsmException.Conflict("The email address is already used by another account.");
            }
            User u = User.builder(UUID.randomUUID().toString(), username).email(email).phone(phone)
                    .displayName(displayName).passwordHash(pwHash).mustChangePassword(mustChange)
                    .created(now, caller.actor()).roles(roles).build();
            users.insert(h, u);
            if (token != null) {
                invites.insert(h, Secrets.sha256Hex(token), u.id(), now.plus(INVITE_LIFETIME));
            }
            audit.record(h, caller.actor(), "user_create", username, caller.ip(), "ok", "roles=" + roles + (token != null ? " invite" : imported ? " bcrypt-import" : ""));
            return u;
        });
        return new Created(user, token, token == null ? null : now.plus(INVITE_LIFETIME));
    }

    public User getUser(Caller caller, String id) {
        caller.requireAdmin();
        return db.read(h -> users.findById(h, id)).orElseThrow(() -> new ImsmException.NotFound("No user with id " + id));
    }

    public record Page(List<User> users, long total, int offset, int limit) {}

    public Page listUsers(Caller caller, String search, int offset, int limit) {
        caller.requireAdmin();
        if (offset < 0 || limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new ImsmException.Invalid("offset must be >= 0 and limit between 1 and " + MAX_PAGE_SIZE);
        }
        if (search != null && search.length() > 100) {
            throw new ImsmException.Invalid("search must be at most 100 characters");
        }
        return db.read(h -> new Page(users.search(h, search, offset, limit), users.searchCount(h, search), offset, limit));
    }

    public User setRoles(Caller caller, String id, List<String> roles) {
        caller.requireAdmin();
        Set<String> valid = Roles.validate(roles);
        User changed = db.inTransaction(h -> {
            User u = find(h, id);
            users.setRoles(h, id, valid);
            requireAnAdminLeft(h);
            // tokens for services the remaining roles still allow stay valid
            int revoked = tokens.revokeNoLongerAllowed(h, id, valid, caller.actor());
            audit.record(h, caller.actor(), "user_roles", u.username(), caller.ip(), "ok", "roles=" + valid + " tokens_revoked=" + revoked);
            return users.findById(h, id).orElseThrow();
        });
        tokens.deliverSoon();
        return changed;
    }

    public User setStatus(Caller caller, String id, String status) {
        caller.requireAdmin();
        UserStatus next = UserStatus.parse(status);
        User changed = db.inTransaction(h -> {
            User u = find(h, id);
            if (u.status() == UserStatus.DELETED && next != UserStatus.DELETED) {
                throw new ImsmException.Conflict("A deleted account cannot be reactivated; create a new one.");
            }
            users.updateStatus(h, id, next);
            int revoked = 0;
            if (next != UserStatus.ACTIVE) {
                sessions.endAllForUser(h, id, clock.instant(), null);
                revoked = tokens.revokeAll(h, id, caller.actor());
            }
            if (next == UserStatus.DELETED) {
                // keep the row (username and email stay blocked) but no credential survives
                users.updatePassword(h, id, null, false);
                users.clearSecondFactor(h, id);
            }
            requireAnAdminLeft(h);
            audit.record(h, caller.actor(), "user_status", u.username(), caller.ip(), "ok", u.status().wire() + "->" + next.wire()
                    + (revoked > 0 ? " tokens_revoked=" + revoked : ""));
            return users.findById(h, id).orElseThrow();
        });
        tokens.deliverSoon();
        return changed;
    }

    /**
     * Clears the authenticator and recovery codes and ends the user's sessions and tokens (lost
     * phone: whoever holds it may hold the tokens too).
     */
    public User resetSecondFactor(Caller caller, String id) {
        caller.requireAdmin();
        User changed = db.inTransaction(h -> {
            User u = find(h, id);
            users.clearSecondFactor(h, id);
            sessions.endAllForUser(h, id, clock.instant(), null);
            int revoked = tokens.revokeAll(h, id, caller.actor());
            audit.record(h, caller.actor(), "user_mfa_reset", u.username(), caller.ip(), "ok", "tokens_revoked=" + revoked);
            return users.findById(h, id).orElseThrow();
        });
        tokens.deliverSoon();
        return changed;
    }

    /**
     * One account as the admin page shows it: the stored user, until when logins are refused (the later
     * of the per-name lockout bucket and {@code users.locked_until}; null when not locked now), and when
     * the pending invite expires (null when none is pending).
     */
    public record Account(User user, Instant lockedUntil, Instant inviteExpiresAt) {
        public boolean locked() { return lockedUntil != null; }
    }

    public Account getAccount(Caller caller, String id) {
        User u = getUser(caller, id);
        Instant now = clock.instant();
        Instant locked = u.lockedUntil() != null && u.lockedUntil().isAfter(now) ? u.lockedUntil() : null;
        long bucketSeconds = throttle.accountLockedFor(AccountLocks.key(u.username()));
        if (bucketSeconds > 0) {
            Instant byBucket = now.plusSeconds(bucketSeconds);
            locked = locked == null || byBucket.isAfter(locked) ? byBucket : locked;
        }
        Instant invite = u.invited() ? db.read(h -> invites.unusedExpiry(h, id)).filter(now::isBefore).orElse(null) : null;
        return new Account(u, locked, invite);
    }

    /** Role names anyone holds (plus admin), for the pages' role pickers; bounded. */
    public List<String> knownRoles(Caller caller) {
        caller.requireAdmin();
        List<String> inUse = db.read(h -> users.rolesInUse(h, 200));
        Set<String> out = new java.util.TreeSet<>(inUse);
        out.add(Roles.ADMIN);
        return List.copyOf(out);
    }

    /**
     * Lifts a login lockout: empties the failure count of the account's name in the throttle (the
     * bucket that refuses logins) and in the row (what the pages and API show). The per-address
     * limit stays: it protects against whoever was guessing.
     */
    public User unlock(Caller caller, String id) {
        caller.requireAdmin();
        User unlocked = db.inTransaction(h -> {
            User u = find(h, id);
            users.clearLockout(h, id);
            audit.record(h, caller.actor(), "user_unlock", u.username(), caller.ip(), "ok", "failed_attempts=" + u.failedAttempts());
            return users.findById(h, id).orElseThrow();
        });
        // after the commit: on PostgreSQL the buckets are rows reached through their own connection,
        // and a request holds at most one connection at a time
        throttle.resetAccount(AccountLocks.key(unlocked.username()));
        return unlocked;
    }

    /** New name, email, phone and roles for an account (all four are set; null clears email and phone). */
    public record ProfileChange(String displayName, String email, String phone, List<String> roles) {}

    public User updateProfile(Caller caller, String id, ProfileChange change) {
        caller.requireAdmin();
        if (change == null) {
            throw new ImsmException.Invalid("body required");
        }
        String email = Validation.email(change.email());
        String phone = Validation.phone(change.phone());
        Set<String> roles = change.roles() == null ? null : Roles.validate(change.roles());
        User changed = db.inTransaction(h -> {
            User u = find(h, id);
            if (u.status() == UserStatus.DELETED) {
                throw new ImsmException.Conflict("A deleted account cannot be changed.");
            }
            String displayName = Validation.displayName(change.displayName(), u.username());
            if (email != null && users.emailTaken(h, email, id)) {
                throw new ImsmException.Conflict("The email address is already used by another account.");
            }
            users.updateProfile(h, id, email, phone, displayName);
            String detail = null;
            if (roles != null) {
                users.setRoles(h, id, roles);
                requireAnAdminLeft(h);
                // as with setRoles: tokens for services the remaining roles no longer open are revoked
                int revoked = tokens.revokeNoLongerAllowed(h, id, roles, caller.actor());
                detail = "roles=" + roles + " tokens_revoked=" + revoked;
            }
            audit.record(h, caller.actor(), "user_profile", u.username(), caller.ip(), "ok", detail);
            return users.findById(h, id).orElseThrow();
        });
        tokens.deliverSoon();
        return changed;
    }

    /** A new one-time password (shown once to the admin, changed at the next login). */
    public record PasswordReset(User user, String oneTimePassword) {
        @Override public String toString() { return "PasswordReset[user=" + user.username() + "]"; }
    }

    /**
     * Replaces the password with a one-time one the person must change at the next login; ends the
     * person's browser sessions (whoever held them knew the old password) and voids unused invites.
     */
    public PasswordReset resetPassword(Caller caller, String id) {
        caller.requireAdmin();
        String password = secrets.token(15);
        String hash = hasher.hash(password);
        User changed = db.inTransaction(h -> {
            User u = find(h, id);
            if (u.status() == UserStatus.DELETED) {
                throw new ImsmException.Conflict("A deleted account has no password to reset; create a new one.");
            }
            users.updatePassword(h, id, hash, true);
            invites.voidUnused(h, id);
            sessions.endAllForUser(h, id, clock.instant(), null);
            audit.record(h, caller.actor(), "user_password_reset", u.username(), caller.ip(), "ok", null);
            return users.findById(h, id).orElseThrow();
        });
        return new PasswordReset(changed, password);
    }

    /**
     * A new invite link for a person who has not accepted one yet; the old links stop working. Only
     * for invited people: someone with a password gets a password reset instead.
     */
    public Created resendInvite(Caller caller, String id) {
        caller.requireAdmin();
        String token = secrets.token(32);
        Instant now = clock.instant();
        User u = db.inTransaction(h -> {
            User found = find(h, id);
            if (!found.invited()) {
                throw new ImsmException.Conflict(found.username() + " has no pending invite (the account "
                        + (found.status() == UserStatus.ACTIVE ? "has a password; reset it instead" : "is " + found.status().wire()) + ").");
            }
            int voided = invites.voidUnused(h, id);
            invites.insert(h, Secrets.sha256Hex(token), id, now.plus(INVITE_LIFETIME));
            audit.record(h, caller.actor(), "user_invite", found.username(), caller.ip(), "ok", "voided=" + voided);
            return found;
        });
        return new Created(u, token, now.plus(INVITE_LIFETIME));
    }

    public MfaPolicy mfaPolicy(Caller caller) {
        caller.requireAdmin();
        return db.read(mfa::load);
    }

    public MfaPolicy setMfaPolicy(Caller caller, MfaPolicy policy) {
        caller.requireAdmin();
        Objects.requireNonNull(policy);
        db.inTransaction(h -> {
            mfa.save(h, policy);
            audit.record(h, caller.actor(), "mfa_policy", null, caller.ip(), "ok",
                    "required_for_all=" + policy.requiredForAll() + " roles=" + policy.requiredRoles());
            return null;
        });
        return policy;
    }

    private User find(Handle h, String id) {
        return users.findById(h, id).orElseThrow(() -> new ImsmException.NotFound("No user with id " + id));
    }

    /** Refuses a change that would leave no active admin (the transaction then rolls back). */
    private void requireAnAdminLeft(Handle h) {
        if (users.countActiveWithRole(h, Roles.ADMIN) == 0) {
            throw new ImsmException.Conflict("This would leave no active admin; give another account the admin role first.");
        }
    }
}
