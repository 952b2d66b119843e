package io.imsm.server.store;

import io.imsm.server.support.StoredRows;
import io.imsm.server.config.Config;
import io.imsm.server.model.Binding;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.model.BrowserSession;
import io.imsm.server.identity.LoginThrottle;
import io.imsm.server.model.User;
import io.imsm.testing.MutableClock;
import io.imsm.server.support.TestDatabases;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every store against H2 and a real PostgreSQL, through the same Flyway migrations. */
class StoresTest {
    Database db;

    Database open(TestDatabases.Kind kind) {
        TestDatabases.Db t = TestDatabases.fresh(kind);
        db = Database.open(t.url(), t.username(), t.password(), 4);
        assertThat(db.migrate()).as("all migrations apply to an empty database").isPositive();
        assertThat(db.migrate()).as("second run applies nothing").isZero();
        return db;
    }

    /** Typed wrappers so assertThat picks the right overload. */
    <T> T read(org.jdbi.v3.core.HandleCallback<T, RuntimeException> cb) {
        return db.read(cb);
    }

    <T> T tx(org.jdbi.v3.core.HandleCallback<T, RuntimeException> cb) {
        return db.inTransaction(cb);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    static User user(String username, String email) {
        return User.builder(UUID.randomUUID().toString(), username).email(email).displayName(username)
                .passwordHash("$argon2id$x").created(Instant.now().truncatedTo(ChronoUnit.MICROS), "test")
                .roles(Set.of("ops", "viewer")).build();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenUsersStored_thenFoundCaseInsensitivelyAndUniquenessHolds(TestDatabases.Kind kind) {
        open(kind);
        UserStore store = new UserStore();
        User u = user("Alice", "Alice@Example.org");
        db.inTransaction(h -> { store.insert(h, u); return null; });
        User found = db.read(h -> store.findByUsername(h, "ALICE")).orElseThrow();
        assertThat(found.id()).isEqualTo(u.id());
        assertThat(found.username()).isEqualTo("Alice");
        assertThat(found.roles()).containsExactlyInAnyOrder("ops", "viewer");
        assertThat(found.createdAt()).isEqualTo(u.createdAt());
        assertThat(read((Handle h) -> store.emailTaken(h, "alice@example.ORG", null))).isTrue();
        assertThatThrownBy(() -> db.inTransaction(h -> { store.insert(h, user("aLiCe", null)); return null; }))
                .isInstanceOf(UnableToExecuteStatementException.class);
        assertThatThrownBy(() -> db.inTransaction(h -> { store.insert(h, user("other", "ALICE@example.org")); return null; }))
                .isInstanceOf(UnableToExecuteStatementException.class);
        // a failed transaction leaves nothing behind
        assertThat(read((Handle h) -> store.count(h))).isEqualTo(1);
        assertThat(read((Handle h) -> store.search(h, "ali", 0, 10))).hasSize(1);
        assertThat(read((Handle h) -> store.search(h, "%", 0, 10))).isEmpty();
        assertThat(read((Handle h) -> store.countActiveWithRole(h, "ops"))).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenTotpStepAdvanced_thenOnlyNewerStepsPass_andRecoveryCodesWorkOnce(TestDatabases.Kind kind) {
        open(kind);
        UserStore store = new UserStore();
        User u = user("bob", null);
        db.inTransaction(h -> { store.insert(h, u); return null; });
        assertThat(tx((Handle h) -> store.advanceTotpStep(h, u.id(), 100))).isTrue();
        assertThat(tx((Handle h) -> store.advanceTotpStep(h, u.id(), 100))).isFalse();
        assertThat(tx((Handle h) -> store.advanceTotpStep(h, u.id(), 99))).isFalse();
        assertThat(tx((Handle h) -> store.advanceTotpStep(h, u.id(), 101))).isTrue();
        db.inTransaction(h -> { store.replaceRecoveryCodes(h, u.id(), List.of("h1", "h2")); return null; });
        Instant now = Instant.now();
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "h1", "plain-h1", now))).isTrue();
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "h1", "plain-h1", now))).isFalse();
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "nope", "plain-nope", now))).isFalse();
        // a keyed row never matches through the unkeyed hash
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "other", "h2", now))).isFalse();
        assertThat(read((Handle h) -> store.unusedRecoveryCodes(h, u.id()))).isEqualTo(1);
        // rows from before keying (keyed = FALSE) match only through the unkeyed hash
        db.inTransaction(h -> h.createUpdate("INSERT INTO recovery_codes (user_id, code_hash) VALUES (:id, 'old1')")
                .bind("id", u.id()).execute());
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "old1", "x", now))).isFalse();
        assertThat(tx((Handle h) -> store.useRecoveryCode(h, u.id(), "x", "old1", now))).isTrue();
        db.inTransaction(h -> { store.recordFailure(h, u.id(), now, now.plusSeconds(60)); return null; });
        User failed = db.read(h -> store.findById(h, u.id())).orElseThrow();
        assertThat(failed.failedAttempts()).isEqualTo(1);
        assertThat(failed.lockedUntil()).isEqualTo(now.plusSeconds(60).truncatedTo(ChronoUnit.MICROS));
        db.inTransaction(h -> { store.recordSuccess(h, u.id(), now); return null; });
        assertThat(read((Handle h) -> store.findById(h, u.id())).orElseThrow().failedAttempts()).isZero();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenSessionsStored_thenListedEndedAndPurged(TestDatabases.Kind kind) {
        open(kind);
        UserStore users = new UserStore();
        SessionStore sessions = new SessionStore();
        User u = user("carol", null);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        db.inTransaction(h -> {
            users.insert(h, u);
            sessions.insert(h, new BrowserSession("hash1", "pub1", u.id(), "full", "csrf1", now, now, now.plusSeconds(3600), null, "127.0.0.1", "ua"));
            sessions.insert(h, new BrowserSession("hash2", "pub2", u.id(), "full", "csrf2", now, now, now.plusSeconds(3600), null, "127.0.0.1", "ua"));
            return null;
        });
        assertThat(read((Handle h) -> sessions.listLive(h, u.id(), now, now.minusSeconds(60)))).hasSize(2);
        assertThat(tx((Handle h) -> sessions.endByPublicId(h, u.id(), "pub1", now))).isTrue();
        assertThat(tx((Handle h) -> sessions.endByPublicId(h, "someone-else", "pub2", now))).isFalse();
        assertThat(read((Handle h) -> sessions.listLive(h, u.id(), now, now.minusSeconds(60)))).extracting(BrowserSession::publicId)
                .containsExactly("pub2");
        assertThat(tx((Handle h) -> sessions.purge(h, now.plusSeconds(1)))).isEqualTo(1);
        assertThat(tx((Handle h) -> sessions.purge(h, now.plusSeconds(7200)))).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenATokenSessionIsInsertedByPlainJdbc_thenEveryColumnReadsBack_andADuplicateFailsAsJdbiDid(TestDatabases.Kind kind) {
        open(kind);
        UserStore users = new UserStore();
        TokenSessionStore tokens = new TokenSessionStore();
        User u = user("erin", null);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        TokenSessionStore.Row full = new TokenSessionStore.Row("s-full", "j-full", u.id(), "svc", Binding.KX, "read write",
                "[{\"type\":\"http\"}]", now, now.plusSeconds(300), null, null, "ticket 42", false);
        TokenSessionStore.Row bare = new TokenSessionStore.Row("s-bare", "j-bare", u.id(), "svc", Binding.KX, "read", null,
                now, now.plusSeconds(60), null, null, null, true);
        db.inTransaction(h -> {
            users.insert(h, u);
            tokens.insert(h, full);
            tokens.insert(h, bare);
            return null;
        });
        assertThat(read((Handle h) -> tokens.find(h, "s-full"))).contains(full);
        assertThat(read((Handle h) -> tokens.find(h, "s-bare"))).contains(bare);
        assertThatThrownBy(() -> db.inTransaction(h -> { tokens.insert(h, full); return null; }))
                .isInstanceOf(UnableToExecuteStatementException.class);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenTokenSessionsPurged_thenDeliveredAndPointlessRevocationsGoButLiveOnesStay(TestDatabases.Kind kind) {
        open(kind);
        UserStore users = new UserStore();
        TokenSessionStore tokens = new TokenSessionStore();
        User u = user("dora", null);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Instant old = now.minusSeconds(7200);
        db.inTransaction(h -> {
            users.insert(h, u);
            tokens.insert(h, new TokenSessionStore.Row("live", "j1", u.id(), "svc", Binding.KX, "s", null, now, now.plusSeconds(3600),
                    null, null, null, false));
            tokens.insert(h, new TokenSessionStore.Row("expired", "j2", u.id(), "svc", Binding.KX, "s", null, old, old.plusSeconds(60),
                    null, null, null, false));
            tokens.enqueue(h, "revoke", "svc", "live", old);      // still pending: its token is still valid
            tokens.enqueue(h, "revoke", "svc", "expired", old);   // pointless: its token expired
            tokens.enqueue(h, "revoke", "svc", "unknown", old);   // pointless: no such session any more
            tokens.enqueue(h, "revoke", "svc", "fresh", now);     // too young to judge
            return null;
        });
        long delivered = read((Handle h) -> tokens.dueFor(h, "svc", now, 10)).stream().filter(m -> m.payload().equals("fresh"))
                .findFirst().orElseThrow().id();
        tx((Handle h) -> { tokens.delivered(h, delivered, old); return null; });
        tx((Handle h) -> { tokens.enqueue(h, "revoke", "svc", "live", now); return null; });

        // 1 expired session + the expired, unknown and delivered messages
        assertThat(tx((Handle h) -> tokens.purgeExpired(h, now.minusSeconds(3600)))).isEqualTo(4);
        assertThat(read((Handle h) -> tokens.dueFor(h, "svc", now, 10))).extracting(TokenSessionStore.OutboxRow::payload)
                .containsExactlyInAnyOrder("live", "live");
        assertThat(read((Handle h) -> tokens.find(h, "live"))).isPresent();
        assertThat(read((Handle h) -> tokens.find(h, "expired"))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenSettingsInvitesAuditAndKeysStored_thenReadBack(TestDatabases.Kind kind) {
        open(kind);
        SettingsStore settings = new SettingsStore();
        assertThat(tx((Handle h) -> settings.putIfAbsent(h, "k", "v1"))).isTrue();
        assertThat(tx((Handle h) -> settings.putIfAbsent(h, "k", "v2"))).isFalse();
        db.inTransaction(h -> { settings.put(h, "k", "v3"); return null; });
        assertThat(read((Handle h) -> settings.get(h, "k"))).hasValue("v3");

        UserStore users = new UserStore();
        InviteStore invites = new InviteStore();
        User u = user("dan", null);
        Instant now = Instant.now();
        db.inTransaction(h -> { users.insert(h, u); invites.insert(h, "tok", u.id(), now.plusSeconds(60)); return null; });
        assertThat(tx((Handle h) -> invites.consume(h, "tok", now))).hasValue(u.id());
        assertThat(tx((Handle h) -> invites.consume(h, "tok", now))).isEmpty();

        AuditStore audit = new AuditStore();
        db.inTransaction(h -> {
            audit.append(h, new AuditEvent(now, "dan", "login", "dan", "::1", "ok", null), 1, "0".repeat(64), "a".repeat(64));
            audit.append(h, new AuditEvent(now, "dan", "logout", "dan", "::1", "ok", "x"), 2, "a".repeat(64), "b".repeat(64));
            return null;
        });
        assertThat(read((Handle h) -> StoredRows.audit(h, null, 10))).extracting(AuditEvent::action).containsExactly("logout", "login");
        assertThat(read((Handle h) -> StoredRows.audit(h, "login", 10))).hasSize(1);

        KeyStore keys = new KeyStore();
        db.inTransaction(h -> { keys.insert(h, new KeyStore.StoredKey("kid1", "ES256", "jwe", "{}", "active", now)); return null; });
        assertThat(read((Handle h) -> keys.list(h))).extracting(KeyStore.StoredKey::kid).containsExactly("kid1");
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "POSTGRES")
    void whenTwoInstancesShareOnePostgres_thenLoginLimitsAreShared(TestDatabases.Kind kind) {
        open(kind);
        MutableClock clock = MutableClock.startingNow();
        Config.Login cfg = new Config.Login(3, 600, 5);
        LoginThrottle instanceA = LoginThrottle.shared(db.dataSource(), cfg, clock);
        LoginThrottle instanceB = LoginThrottle.shared(db.dataSource(), cfg, clock);
        assertThat(instanceA.takeAccountAttempt("erin")).isZero();
        assertThat(instanceB.takeAccountAttempt("erin")).isZero();
        assertThat(instanceA.accountLockedFor("erin")).isZero();
        assertThat(instanceB.takeAccountAttempt("erin")).isZero();
        assertThat(instanceB.takeAccountAttempt("erin")).as("all three taken").isBetween(1L, 600L);
        assertThat(instanceA.accountLockedFor("erin")).as("instance A sees B's lockout").isBetween(1L, 600L);
        assertThat(instanceA.accountLockedFor("frank")).isZero();
        for (int i = 0; i < 5; i++) {
            assertThat((i % 2 == 0 ? instanceA : instanceB).consumeIpAttempt("10.0.0.1")).isZero();
        }
        assertThat(instanceA.consumeIpAttempt("10.0.0.1")).isPositive();
        clock.advance(Duration.ofSeconds(601));
        assertThat(instanceB.accountLockedFor("erin")).isZero();
        assertThat(instanceB.consumeIpAttempt("10.0.0.1")).isZero();
        // refilled buckets are indistinguishable from new ones: the retention deletes their rows
        assertThat(read((Handle h) -> h.createQuery("SELECT COUNT(*) FROM rate_limit_buckets").mapTo(Integer.class).one())).isPositive();
        clock.advance(Duration.ofMinutes(10));
        int purged = db.inTransaction((Handle h) -> new RateLimitStore().purgeExpired(h, clock.instant()));
        assertThat(purged).isPositive();
        assertThat(read((Handle h) -> h.createQuery("SELECT COUNT(*) FROM rate_limit_buckets").mapTo(Integer.class).one())).isZero();
    }
}
