package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.model.Roles;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.store.Database;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.UserStore;

import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Creates the first admin once, with a one-time password that must be changed at first login. */
public final class Bootstrap {
    private final Database db;
    private final UserStore users;
    private final SettingsStore settings;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final Secrets secrets;
    private final Clock clock;

    public Bootstrap(Database db, UserStore users, SettingsStore settings, AuditLog audit, PasswordHasher hasher,
                     Secrets secrets, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.settings = Objects.requireNonNull(settings);
        this.audit = Objects.requireNonNull(audit);
        this.hasher = Objects.requireNonNull(hasher);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
    }

    public record BootstrapAdmin(String username, String oneTimePassword) {
        @Override public String toString() { return "BootstrapAdmin[username=" + username + "]"; }
    }

    /**
     * Demo only ({@code imsm demo}): makes sure a ready-to-use account exists with exactly this password,
     * authenticator secret and roles, so the printed credentials work on every demo start.
     */
    /**
     * @param totpSecretEnc the encrypted TOTP secret for a user id (the ciphertext is bound to the
     *                      user's row, so it can only be made once the id is known)
     */
    public void seedReadyUser(String username, String displayName, Set<String> roles, String password,
                              java.util.function.Function<String, String> totpSecretEnc) {
        String hash = hasher.hash(password);
        db.inTransaction(h -> {
            Optional<User> existing = users.findByUsername(h, username);
            String id = existing.map(User::id).orElse(UUID.randomUUID().toString());
            if (existing.isEmpty()) {
                users.insert(h, new User(id, username, null, null, displayName, UserStatus.ACTIVE, hash, false, null, false, 0, 0,
                        null, clock.instant(), "demo", null, null, roles));
            } else {
                users.updatePassword(h, id, hash, false);
                users.updateStatus(h, id, UserStatus.ACTIVE);
                users.setRoles(h, id, roles);
            }
            users.setPendingTotp(h, id, totpSecretEnc.apply(id));
            users.confirmTotp(h, id);
            audit.record(h, "demo", "demo_user_seeded", username, null, "ok", null);
            return null;
        });
    }

    /** Creates the admin if this database never had one; empty on every later start. */
    public Optional<BootstrapAdmin> createAdminOnce(String username) {
        String password = secrets.token(15);
        String hash = hasher.hash(password);
        return db.inTransaction(h -> {
            if (!settings.putIfAbsent(h, "bootstrap_admin", username) || users.usernameTaken(h, username)) {
                return Optional.<BootstrapAdmin>empty();
            }
            users.insert(h, new User(UUID.randomUUID().toString(), username, null, null, "Bootstrap admin",
                    UserStatus.ACTIVE, hash, true, null, false, 0, 0, null, clock.instant(), "bootstrap", null, null,
                    Set.of(Roles.ADMIN)));
            audit.record(h, "bootstrap", "user_create", username, null, "ok", "bootstrap admin");
            return Optional.of(new BootstrapAdmin(username, password));
        });
    }
}
