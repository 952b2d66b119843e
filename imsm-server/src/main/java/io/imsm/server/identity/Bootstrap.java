package io.imsm.server.identity;

import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.model.Roles;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.store.Database;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.UserStore;

import java.time.Clock;
import io.imsm.server.ImsmException;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The operator's way in: creates the first admin once, with a one-time password that must be changed at
 * first login, and gives a locked-out person (a lost admin) a new one from the command line.
 */
public final class Bootstrap {
    private final Database db;
    private final UserStore users;
    private final SessionStore sessions;
    private final SettingsStore settings;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final Secrets secrets;
    private final Clock clock;

    public Bootstrap(Database db, UserStore users, SessionStore sessions, SettingsStore settings, AuditLog audit, PasswordHasher hasher,
                     Secrets secrets, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.sessions = Objects.requireNonNull(sessions);
        this.settings = Objects.requireNonNull(settings);
        this.audit = Objects.requireNonNull(audit);
        this.hasher = Objects.requireNonNull(hasher);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
    }

    public record BootstrapAdmin(String username, String oneTimePassword) {
        @Override public String toString() { return "BootstrapAdmin[username=" + username + "]"; }
    }

    /** Creates the admin if this database never had one; empty on every later start. */
    public Optional<BootstrapAdmin> createAdminOnce(String username) {
        // every later start ends here, without an Argon2 run for a password nobody would see (about 0.3 s
        // of CPU at start); the transaction below still decides, so two first starts create one admin
        if (db.read(h -> settings.get(h, "bootstrap_admin")).isPresent()) {
            return Optional.empty();
        }
        String password = secrets.token(15);
        String hash = hasher.hash(password);
        return db.inTransaction(h -> {
            if (!settings.putIfAbsent(h, "bootstrap_admin", username) || users.usernameTaken(h, username)) {
                return Optional.<BootstrapAdmin>empty();
            }
            users.insert(h, User.builder(UUID.randomUUID().toString(), username).displayName("Bootstrap admin")
                    .passwordHash(hash).mustChangePassword(true).created(clock.instant(), "bootstrap")
                    .roles(Set.of(Roles.ADMIN)).build());
            audit.record(h, "bootstrap", "user_create", username, null, "ok", "bootstrap admin");
            return Optional.of(new BootstrapAdmin(username, password));
        });
    }

    /**
     * {@code imsm admin reset-password USERNAME}: a new one-time password that must be changed at the
     * next login, for whoever runs the CLI on the server's data (they hold the database and the KEK
     * anyway). Clears a lockout and ends the person's browser sessions; the second factor stays.
     */
    public BootstrapAdmin resetPassword(String username) {
        String password = secrets.token(15);
        String hash = hasher.hash(password);
        return db.inTransaction(h -> {
            User u = users.findByUsername(h, username)
                    .filter(x -> x.status() != UserStatus.DELETED)
                    .orElseThrow(() -> new ImsmException.NotFound("No account named '" + username + "'."));
            users.updatePassword(h, u.id(), hash, true);
            users.clearLockout(h, u.id());
            sessions.endAllForUser(h, u.id(), clock.instant(), null);
            audit.record(h, "cli", "password_reset", u.username(), null, "ok", "imsm admin reset-password");
            return new BootstrapAdmin(u.username(), password);
        });
    }
}
