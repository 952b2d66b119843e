package io.imsm.server.model;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A person's account as stored. Secrets (hash, TOTP secret) never leave the identity package's services.
 * Build one with {@link #builder(String, String)}: named setters instead of eighteen positional arguments.
 */
public record User(String id, String username, String email, String phone, String displayName,
                   UserStatus status, String passwordHash, boolean mustChangePassword,
                   String totpSecretEnc, boolean totpConfirmed, long totpLastStep,
                   int failedAttempts, Instant lockedUntil, Instant createdAt, String createdBy,
                   Instant lastLogin, Instant lastLoginAttempt, Set<String> roles) {

    public User {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(status, "status");
        roles = Set.copyOf(roles);
    }

    public boolean hasTotp() { return totpConfirmed && totpSecretEnc != null; }

    public boolean isAdmin() { return roles.contains(Roles.ADMIN); }

    /** Created with an invite that was not accepted yet: active, but no password has ever been set. */
    public boolean invited() { return status == UserStatus.ACTIVE && passwordHash == null; }

    /** The status people see: {@code invited} until the invite is accepted, else the stored status. */
    public String shownStatus() { return invited() ? "invited" : status.wire(); }

    public User withRoles(Set<String> r) {
        return toBuilder().roles(r).build();
    }

    /** A builder for an active account with no authenticator, no failed attempts and no roles yet. */
    public static Builder builder(String id, String username) {
        return new Builder(id, username);
    }

    public Builder toBuilder() {
        return new Builder(id, username).email(email).phone(phone).displayName(displayName).status(status)
                .passwordHash(passwordHash).mustChangePassword(mustChangePassword)
                .totp(totpSecretEnc, totpConfirmed, totpLastStep).failedAttempts(failedAttempts)
                .lockedUntil(lockedUntil).created(createdAt, createdBy)
                .lastLogin(lastLogin).lastLoginAttempt(lastLoginAttempt).roles(roles);
    }

    /** Collects a {@link User}'s fields by name; unset ones keep a new account's defaults. */
    public static final class Builder {
        private final String id;
        private final String username;
        private String email;
        private String phone;
        private String displayName;
        private UserStatus status = UserStatus.ACTIVE;
        private String passwordHash;
        private boolean mustChangePassword;
        private String totpSecretEnc;
        private boolean totpConfirmed;
        private long totpLastStep;
        private int failedAttempts;
        private Instant lockedUntil;
        private Instant createdAt;
        private String createdBy;
        private Instant lastLogin;
        private Instant lastLoginAttempt;
        private Set<String> roles = Set.of();

        private Builder(String id, String username) {
            this.id = Objects.requireNonNull(id, "id");
            this.username = Objects.requireNonNull(username, "username");
        }

        public Builder email(String v) { email = v; return this; }
        public Builder phone(String v) { phone = v; return this; }
        public Builder displayName(String v) { displayName = v; return this; }
        public Builder status(UserStatus v) { status = Objects.requireNonNull(v, "status"); return this; }
        public Builder passwordHash(String v) { passwordHash = v; return this; }
        public Builder mustChangePassword(boolean v) { mustChangePassword = v; return this; }

        /** The encrypted TOTP secret, whether it was confirmed, and the last time step used. */
        public Builder totp(String secretEnc, boolean confirmed, long lastStep) {
            totpSecretEnc = secretEnc;
            totpConfirmed = confirmed;
            totpLastStep = lastStep;
            return this;
        }

        public Builder failedAttempts(int v) { failedAttempts = v; return this; }
        public Builder lockedUntil(Instant v) { lockedUntil = v; return this; }

        /** When and by whom (an actor name: a username, "bootstrap", "demo") the account was made. */
        public Builder created(Instant at, String by) {
            createdAt = at;
            createdBy = by;
            return this;
        }

        public Builder lastLogin(Instant v) { lastLogin = v; return this; }
        public Builder lastLoginAttempt(Instant v) { lastLoginAttempt = v; return this; }
        public Builder roles(Set<String> v) { roles = Objects.requireNonNull(v, "roles"); return this; }

        public User build() {
            return new User(id, username, email, phone, displayName, status, passwordHash, mustChangePassword,
                    totpSecretEnc, totpConfirmed, totpLastStep, failedAttempts, lockedUntil, createdAt, createdBy,
                    lastLogin, lastLoginAttempt, roles);
        }
    }
}
