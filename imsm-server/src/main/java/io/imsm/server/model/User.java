package io.imsm.server.model;

import java.time.Instant;
import java.util.Set;

/** A person's account as stored. Secrets (hash, TOTP secret) never leave the identity package's services. */
public record User(String id, String username, String email, String phone, String displayName,
                   UserStatus status, String passwordHash, boolean mustChangePassword,
                   String totpSecretEnc, boolean totpConfirmed, long totpLastStep,
                   int failedAttempts, Instant lockedUntil, Instant createdAt, String createdBy,
                   Instant lastLogin, Instant lastLoginAttempt, Set<String> roles) {

    public boolean hasTotp() { return totpConfirmed && totpSecretEnc != null; }

    public boolean isAdmin() { return roles.contains(Roles.ADMIN); }

    /** Created with an invite that was not accepted yet: active, but no password has ever been set. */
    public boolean invited() { return status == UserStatus.ACTIVE && passwordHash == null; }

    /** The status people see: {@code invited} until the invite is accepted, else the stored status. */
    public String shownStatus() { return invited() ? "invited" : status.wire(); }

    public User withRoles(Set<String> r) {
        return new User(id, username, email, phone, displayName, status, passwordHash, mustChangePassword,
                totpSecretEnc, totpConfirmed, totpLastStep, failedAttempts, lockedUntil, createdAt, createdBy,
                lastLogin, lastLoginAttempt, Set.copyOf(r));
    }
}
