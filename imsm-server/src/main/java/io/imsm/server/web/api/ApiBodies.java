package io.imsm.server.web.api;

import io.imsm.server.identity.AdminService;
import io.imsm.server.identity.AccountService;
import io.imsm.server.model.User;

import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

/** JSON bodies of the API (snake_case on the wire). Secrets in requests are hidden from toString. */
public final class ApiBodies {
    private ApiBodies() {}

    public record LoginRequest(String username, String password, String otp) {
        @Override public String toString() { return "LoginRequest[username=" + username + "]"; }
    }

    public record CsrfResponse(String csrf, String stage) {}

    public record PasswordChange(String currentPassword, String newPassword) {
        @Override public String toString() { return "PasswordChange[***]"; }
    }

    public record PhoneChange(String phone) {}

    public record Code(String code) {}

    public record PasswordOnly(String password) {
        @Override public String toString() { return "PasswordOnly[***]"; }
    }

    public record TotpStart(String secret, String otpauthUri, String qrCode) {}

    public record RecoveryCodesResponse(List<String> recoveryCodes) {}

    /** {@code invited}: created with an invite that was not accepted yet (no password set so far). */
    public record UserView(String id, String username, String displayName, String email, String phone, String status,
                           boolean invited, List<String> roles, boolean mfaEnrolled, boolean mustChangePassword, int failedAttempts,
                           Instant lockedUntil, Instant createdAt, String createdBy, Instant lastLogin, Instant lastLoginAttempt) {
        public static UserView of(User u) {
            return new UserView(u.id(), u.username(), u.displayName(), u.email(), u.phone(), u.status().wire(), u.invited(),
                    List.copyOf(new TreeSet<>(u.roles())), u.hasTotp(), u.mustChangePassword(), u.failedAttempts(),
                    u.lockedUntil(), u.createdAt(), u.createdBy(), u.lastLogin(), u.lastLoginAttempt());
        }
    }

    public record Me(UserView user, List<String> roles, List<String> scopes, String csrf, boolean mfaRequired, boolean bootstrap) {}

    public record SessionList(List<AccountService.SessionView> sessions) {}

    public record NewUserRequest(String username, String displayName, String email, String phone, List<String> roles,
                                 String password, Boolean invite, String passwordBcrypt) {
        @Override public String toString() { return "NewUserRequest[username=" + username + "]"; }

        AdminService.NewUser toCommand() {
            return new AdminService.NewUser(username, displayName, email, phone, roles, password, Boolean.TRUE.equals(invite),
                    passwordBcrypt);
        }
    }

    public record CreatedUser(UserView user, String inviteUrl, Instant inviteExpiresAt) {}

    public record UserPage(List<UserView> users, long total, int offset, int limit) {}

    public record RolesChange(List<String> roles) {}

    public record StatusChange(String status) {}

    /** An admin's profile edit: all fields are set (an absent email or phone clears it; absent roles stay). */
    public record ProfileChange(String displayName, String email, String phone, List<String> roles) {
        AdminService.ProfileChange toCommand() {
            return new AdminService.ProfileChange(displayName, email, phone, roles);
        }
    }

    public record PasswordResetResult(UserView user, String oneTimePassword) {
        @Override public String toString() { return "PasswordResetResult[user=" + user.username() + "]"; }
    }

    /** How many token sessions a call revoked. */
    public record Revoked(int revoked) {}

    public record MfaPolicyBody(Boolean requiredForAll, List<String> requiredRoles) {}
}
