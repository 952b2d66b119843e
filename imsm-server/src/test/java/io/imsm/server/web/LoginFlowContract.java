package io.imsm.server.web;

import io.imsm.server.support.StoredRows;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The login contract over HTTP against the real server; run once per database (H2 and PostgreSQL)
 * by the subclasses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LoginFlowContract {
    static final int MAX_FAILURES = 5;
    TestServer s;

    abstract TestDatabases.Kind kind();

    @BeforeAll
    void start() {
        // Argon2id with enough cost (8 MiB, 2 passes: some ms) that parallel attempts overlap the hash,
        // as they do in production, so a check-then-count race would show.
        s = TestServer.start(kind(), Map.of("login.max_failures_per_account", String.valueOf(MAX_FAILURES),
                "login.lockout_seconds", "600", "passwords.argon2_memory_kib", "8192", "passwords.argon2_iterations", "2"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenPasswordAndTotpAreRight_thenSessionWorksAndMeShowsUser() {
        People.Person p = People.ready(s, "alice", List.of("analyst"));
        Http c = s.client();
        Http.Res login = People.login(s, c, p);
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        assertThat(login.header("Set-Cookie")).contains("HttpOnly").contains("SameSite=Lax");
        Http.Res me = c.get("/api/v1/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.json().path("user").path("username").asText()).isEqualTo("alice");
        assertThat(me.json().path("roles").toString()).contains("analyst");
        assertThat(me.json().path("csrf").asText()).isEqualTo(c.csrf());
        assertThat(me.json().path("user").path("last_login").isNull()).isFalse();
    }

    @Test
    void whenPasswordIsWrongOrUserUnknown_thenSameAnswerAndNoSession() {
        People.Person p = People.ready(s, "bob", List.of());
        Http c = s.client();
        Http.Res wrong = c.postJson("/api/v1/login", Map.of("username", "bob", "password", "not-the-password",
                "otp", Totp.code(p.totpSecret(), s.clock.instant())));
        Http.Res unknown = c.postJson("/api/v1/login", Map.of("username", "nobody-here", "password", "not-the-password",
                "otp", "123456"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(wrong.code()).isEqualTo("login_failed");
        assertThat(wrong.json().path("detail")).isEqualTo(unknown.json().path("detail"));
        assertThat(c.get("/api/v1/me").status()).isEqualTo(401);
    }

    @Test
    void whenOtpMissing_thenOtpRequired_andWhenWrong_thenRefused() {
        People.Person p = People.ready(s, "carol", List.of());
        Http c = s.client();
        Http.Res missing = c.postJson("/api/v1/login", Map.of("username", "carol", "password", p.password()));
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.code()).isEqualTo("otp_required");
        String right = Totp.code(p.totpSecret(), s.clock.instant());
        String wrong = right.equals("000000") ? "111111" : "000000";
        Http.Res bad = c.postJson("/api/v1/login", Map.of("username", "carol", "password", p.password(), "otp", wrong));
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.code()).isEqualTo("login_failed");
        assertThat(c.get("/api/v1/me").status()).isEqualTo(401);
    }

    @Test
    void whenTotpCodeIsReused_thenRefused() {
        People.Person p = People.ready(s, "dave", List.of());
        String code = Totp.code(p.totpSecret(), s.clock.instant());
        Http first = s.client();
        assertThat(first.postJson("/api/v1/login", Map.of("username", "dave", "password", p.password(), "otp", code)).status())
                .isEqualTo(200);
        Http second = s.client();
        Http.Res replay = second.postJson("/api/v1/login", Map.of("username", "dave", "password", p.password(), "otp", code));
        assertThat(replay.status()).isEqualTo(401);
        assertThat(replay.json().path("detail").asText()).contains("already used");
        // the next step's code works
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(People.login(s, s.client(), p).status()).isEqualTo(200);
    }

    @Test
    void whenRecoveryCodeUsed_thenItWorksExactlyOnce() {
        People.Person p = People.ready(s, "erin", List.of());
        assertThat(p.recoveryCodes()).hasSize(10).doesNotHaveDuplicates();
        String rc = p.recoveryCodes().get(3);
        Http.Res ok = s.client().postJson("/api/v1/login", Map.of("username", "erin", "password", p.password(), "otp", rc));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        Http.Res again = s.client().postJson("/api/v1/login", Map.of("username", "erin", "password", p.password(), "otp", rc));
        assertThat(again.status()).isEqualTo(401);
        Http c = s.client();
        People.login(s, c, p);
        assertThat(c.get("/api/v1/me").status()).isEqualTo(200);
    }

    @Test
    void whenTooManyFailures_thenLockedWithRetryAfter_andUnlockedLater() {
        People.Person p = People.ready(s, "frank", List.of());
        Http c = s.client();
        for (int i = 0; i < MAX_FAILURES; i++) {
            assertThat(c.postJson("/api/v1/login", Map.of("username", "frank", "password", "wrong-" + i)).status()).isEqualTo(401);
        }
        Http.Res locked = People.login(s, c, p);
        assertThat(locked.status()).isEqualTo(429);
        assertThat(locked.code()).isEqualTo("login_locked");
        assertThat(locked.json().path("detail").asText()).contains("Try again in");
        assertThat(Long.parseLong(locked.header("Retry-After"))).isBetween(1L, 600L);
        // the failures were recorded on the account
        Http admin = s.client();
        Http.Res user = admin.get("/api/v1/admin/users/" + p.id(), "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(user.json().path("failed_attempts").asInt()).isGreaterThanOrEqualTo(MAX_FAILURES);
        assertThat(user.json().path("last_login_attempt").isNull()).isFalse();
        // an unknown account name locks the same way, so a lockout does not reveal existence
        for (int i = 0; i < MAX_FAILURES; i++) {
            c.postJson("/api/v1/login", Map.of("username", "ghost", "password", "wrong-" + i));
        }
        Http.Res ghost = c.postJson("/api/v1/login", Map.of("username", "ghost", "password", "whatever"));
        assertThat(ghost.code()).isEqualTo("login_locked");
        s.clock.advance(Duration.ofSeconds(601));
        Http.Res after = People.login(s, c, p);
        assertThat(after.status()).as(after.toString()).isEqualTo(200);
        Http.Res reset = admin.get("/api/v1/admin/users/" + p.id(), "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(reset.json().path("failed_attempts").asInt()).isZero();
    }

    @Test
    void whenCsrfTokenMissingOrWrong_thenStateChangeRefused() {
        People.Person p = People.ready(s, "grace", List.of());
        Http c = s.client();
        People.login(s, c, p);
        String good = c.csrf();
        c.csrf(null);
        Http.Res none = c.putJson("/api/v1/me/phone", Map.of("phone", "+41791234567"));
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.code()).isEqualTo("csrf_failed");
        c.csrf((good.charAt(0) == 'x' ? "y" : "x") + good.substring(1)); // differs in exactly one character
        assertThat(c.putJson("/api/v1/me/phone", Map.of("phone", "+41791234567")).code()).isEqualTo("csrf_failed");
        c.csrf(good);
        assertThat(c.putJson("/api/v1/me/phone", Map.of("phone", "+41791234567")).status()).isEqualTo(204);
        assertThat(c.get("/api/v1/me").json().path("user").path("phone").asText()).isEqualTo("+41791234567");
    }

    @Test
    void whenIdleTooLong_thenSessionEnds_andAbsoluteTimeoutEndsActiveSession() {
        People.Person p = People.ready(s, "heidi", List.of());
        Http c = s.client();
        People.login(s, c, p);
        s.clock.advance(Duration.ofMinutes(29));
        assertThat(c.get("/api/v1/me").status()).isEqualTo(200);
        s.clock.advance(Duration.ofMinutes(31));
        assertThat(c.get("/api/v1/me").status()).isEqualTo(401);

        Http d = s.client();
        s.clock.advance(Duration.ofSeconds(30));
        People.login(s, d, p);
        // active every 20 minutes for 12 hours: the absolute timeout still ends it
        for (int i = 0; i < 35; i++) {
            s.clock.advance(Duration.ofMinutes(20));
            assertThat(d.get("/api/v1/me").status()).as("after %d x 20 min", i + 1).isEqualTo(200);
        }
        s.clock.advance(Duration.ofMinutes(20));
        assertThat(d.get("/api/v1/me").status()).isEqualTo(401);
    }

    @Test
    void whenLoggedOut_thenSessionIsDeadServerSide() {
        People.Person p = People.ready(s, "ivan", List.of());
        Http c = s.client();
        People.login(s, c, p);
        String cookie = c.cookies().getCookieStore().getCookies().stream()
                .filter(k -> k.getName().equals("imsm_session")).findFirst().orElseThrow().getValue();
        assertThat(c.postJson("/api/v1/logout", Map.of()).status()).isEqualTo(204);
        // replaying the old cookie value from another client fails: the session ended on the server
        Http thief = s.client();
        Http.Res r = thief.get("/api/v1/me", "Cookie", "imsm_session=" + cookie);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void whenRolesChange_thenTheNextRequestHasTheNewRoles_andAPersonWithoutRolesStillAuthenticates() {
        People.Person p = People.ready(s, "roland", List.of("analyst", "ops"));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        assertThat(roles(c.get("/api/v1/me"))).containsExactlyInAnyOrder("analyst", "ops");
        Http admin = s.client();
        String bearer = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/roles", Map.of("roles", List.of("ops")), "Authorization", bearer)
                .status()).isEqualTo(200);
        assertThat(roles(c.get("/api/v1/me"))).containsExactly("ops");
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/roles", Map.of("roles", List.of()), "Authorization", bearer)
                .status()).isEqualTo(200);
        Http.Res none = c.get("/api/v1/me");
        assertThat(none.status()).isEqualTo(200);
        assertThat(roles(none)).isEmpty();
        // a state change still needs the session's CSRF token
        c.csrf("x" + c.csrf());
        assertThat(c.putJson("/api/v1/me/phone", Map.of("phone", "+41791234568")).code()).isEqualTo("csrf_failed");
        // a cookie that names no session, or one too long to be one
        assertThat(s.client().get("/api/v1/me", "Cookie", "imsm_session=not-a-session").status()).isEqualTo(401);
        assertThat(s.client().get("/api/v1/me", "Cookie", "imsm_session=" + "a".repeat(101)).status()).isEqualTo(401);
    }

    private static List<String> roles(Http.Res me) {
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        List<String> out = new java.util.ArrayList<>();
        me.json().path("roles").forEach(r -> out.add(r.asText()));
        return out;
    }

    @Test
    void whenUserDeactivatedOrDeleted_thenLoginRefusedAndSessionsEnd() {
        People.Person p = People.ready(s, "judy", List.of());
        Http c = s.client();
        People.login(s, c, p);
        Http admin = s.client();
        String bearer = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "deactivated"), "Authorization", bearer)
                .status()).isEqualTo(200);
        assertThat(c.get("/api/v1/me").status()).isEqualTo(401);
        s.clock.advance(Duration.ofSeconds(30));
        Http.Res refused = People.login(s, s.client(), p);
        assertThat(refused.status()).isEqualTo(401);
        // the right password of an inactive account answers exactly like a wrong one
        Http.Res wrong = s.client().postJson("/api/v1/login", Map.of("username", "judy", "password", "not-her-password"));
        assertThat(refused.code()).isEqualTo(wrong.code()).isEqualTo("login_failed");
        assertThat(refused.json().path("detail")).isEqualTo(wrong.json().path("detail"));
        assertThat(refused.body()).doesNotContain("active");

        assertThat(admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "deleted"), "Authorization", bearer)
                .status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(People.login(s, s.client(), p).status()).isEqualTo(401);
        Http.Res reactivate = admin.putJson("/api/v1/admin/users/" + p.id() + "/status", Map.of("status", "active"),
                "Authorization", bearer);
        assertThat(reactivate.status()).isEqualTo(409);
        // the username stays blocked
        Http.Res again = admin.postJson("/api/v1/admin/users", Map.of("username", "JUDY", "password", "another-long-password-Kq7v"),
                "Authorization", bearer);
        assertThat(again.status()).isEqualTo(409);
    }

    @Test
    void whenBootstrapAdminLogsIn_thenPasswordChangeThenEnrollmentAreEnforced() {
        var admin = s.bootstrapAdmin();
        assertThat(s.console).contains("username: " + admin.username()).contains("password: " + admin.oneTimePassword());
        Http c = s.client();
        Http.Res login = c.postJson("/api/v1/login", Map.of("username", admin.username(), "password", admin.oneTimePassword()));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        c.csrf(login.json().path("csrf").asText());
        assertThat(c.get("/api/v1/admin/users").code()).isEqualTo("password_change_required");
        Http.Res weak = c.putJson("/api/v1/me/password", Map.of("current_password", admin.oneTimePassword(), "new_password", "password123"));
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.code()).isEqualTo("weak_password");
        assertThat(c.putJson("/api/v1/me/password", Map.of("current_password", admin.oneTimePassword(),
                "new_password", People.ADMIN_PASSWORD)).status()).isEqualTo(204);
        assertThat(c.get("/api/v1/admin/users").code()).isEqualTo("mfa_enrollment_required");
        String secret = c.postJson("/api/v1/me/totp", Map.of()).json().path("secret").asText();
        assertThat(c.postJson("/api/v1/me/totp/confirm", Map.of("code", Totp.code(secret, s.clock.instant()))).status()).isEqualTo(200);
        assertThat(c.get("/api/v1/admin/users").status()).isEqualTo(200);
        // the one-time password is gone
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(s.client().postJson("/api/v1/login", Map.of("username", admin.username(), "password", admin.oneTimePassword(),
                "otp", Totp.code(secret, s.clock.instant()))).status()).isEqualTo(401);
    }

    @Test
    void whenSessionEndedFromList_thenThatSessionStopsWorking() {
        People.Person p = People.ready(s, "kim", List.of());
        Http laptop = s.client();
        People.login(s, laptop, p);
        s.clock.advance(Duration.ofSeconds(30));
        Http phone = s.client();
        People.login(s, phone, p);
        Http.Res list = laptop.get("/api/v1/me/sessions");
        assertThat(list.json().path("sessions")).hasSize(2);
        String other = null;
        for (var n : list.json().path("sessions")) {
            if (!n.path("current").asBoolean()) {
                other = n.path("id").asText();
            }
        }
        assertThat(laptop.delete("/api/v1/me/sessions/" + other).status()).isEqualTo(204);
        assertThat(phone.get("/api/v1/me").status()).isEqualTo(401);
        assertThat(laptop.get("/api/v1/me").status()).isEqualTo(200);
    }

    @Test
    void whenTwentyWrongPasswordsArriveInParallel_thenAtMostTheLimitIsEvaluated_andTheRestAreLocked() throws Exception {
        People.Person p = People.ready(s, "paula", List.of());
        int parallel = 20;
        List<Http.Res> answers = inParallel(parallel, i -> s.client().postJson("/api/v1/login",
                Map.of("username", "paula", "password", "wrong-password-" + i)));
        long evaluated = loginAudit("paula").stream()
                .filter(e -> "failed".equals(e.outcome()) && "wrong password".equals(e.detail())).count();
        assertThat(evaluated).as("passwords actually checked").isBetween(1L, (long) MAX_FAILURES);
        assertThat(answers).extracting(Http.Res::status).containsOnly(401, 429);
        assertThat(answers.stream().filter(r -> r.status() == 401).count()).isEqualTo(evaluated);
        assertThat(answers.stream().filter(r -> r.status() == 429)).allSatisfy(r -> {
            assertThat(r.code()).isEqualTo("login_locked");
            assertThat(r.header("Retry-After")).isNotNull();
        });
        // and the right password is locked out too, until the lockout ends
        assertThat(People.login(s, s.client(), p).code()).isEqualTo("login_locked");
        s.clock.advance(Duration.ofSeconds(601));
        assertThat(People.login(s, s.client(), p).status()).isEqualTo(200);
    }

    @Test
    void whenWrongOneShotCodesArriveInParallel_thenAtMostTheLimitIsEvaluated() throws Exception {
        People.Person p = People.ready(s, "quentin", List.of());
        String right = Totp.code(p.totpSecret(), s.clock.instant());
        List<Http.Res> answers = inParallel(20, i -> s.client().postJson("/api/v1/login", Map.of("username", "quentin",
                "password", p.password(), "otp", String.format("%06d", (Integer.parseInt(right) + 1 + i) % 1_000_000))));
        long evaluated = loginAudit("quentin").stream()
                .filter(e -> "failed".equals(e.outcome()) && "wrong second factor".equals(e.detail())).count();
        assertThat(evaluated).isBetween(1L, (long) MAX_FAILURES);
        assertThat(answers).extracting(Http.Res::status).containsOnly(401, 429);
        assertThat(answers.stream().filter(r -> r.status() == 401).count()).isEqualTo(evaluated);
        s.clock.advance(Duration.ofSeconds(601));
    }

    @Test
    void whenPasswordConfirmationsInASessionFail_thenTheyCountAndTheLockoutEndsEverySession() {
        People.Person p = People.ready(s, "rita", List.of());
        Http thief = s.client();
        Http owner = s.client();
        assertThat(People.login(s, thief, p).status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(People.login(s, owner, p).status()).isEqualTo(200);
        List<Integer> statuses = new java.util.ArrayList<>();
        for (int i = 0; i < MAX_FAILURES + 3; i++) {
            String path = i % 2 == 0 ? "/api/v1/me/recovery-codes" : "/api/v1/me/totp/remove";
            Http.Res r = thief.postJson(path, Map.of("password", "guess-" + i));
            statuses.add(r.status());
            if (r.status() != 400) {
                assertThat(r.code()).as(r.toString()).isIn("login_locked", "unauthenticated");
                break;
            }
        }
        assertThat(statuses).as("guesses answered 'wrong' before the lockout").hasSizeLessThanOrEqualTo(MAX_FAILURES);
        assertThat(statuses.get(statuses.size() - 1)).isEqualTo(429);
        assertThat(thief.get("/api/v1/me").status()).isEqualTo(401);
        assertThat(owner.get("/api/v1/me").status()).as("every session of the person ends").isEqualTo(401);
        assertThat(People.login(s, s.client(), p).code()).as("and the login is locked as well").isEqualTo("login_locked");
        s.clock.advance(Duration.ofSeconds(601));
        Http back = s.client();
        assertThat(People.login(s, back, p).status()).isEqualTo(200);
        // a right confirmation does not count
        Http.Res codes = back.postJson("/api/v1/me/recovery-codes", Map.of("password", p.password()));
        assertThat(codes.status()).as(codes.toString()).isEqualTo(200);
    }

    List<io.imsm.server.model.AuditEvent> loginAudit(String username) {
        var wiring = s.server.wiring();
        return StoredRows.audit(wiring, "login", 10_000).stream()
                .filter(e -> username.equals(e.target())).toList();
    }

    /** Runs the calls at once (released together) and returns their answers. */
    static List<Http.Res> inParallel(int n, java.util.function.IntFunction<Http.Res> call) throws Exception {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Http.Res>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> { go.await(); return call.apply(k); }));
            }
            go.countDown();
            List<Http.Res> out = new java.util.ArrayList<>();
            for (var f : futures) {
                out.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            return out;
        }
    }
}
