package io.imsm.server.web;

import io.imsm.server.identity.Totp;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.HttpCookie;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTML pages over plain HTTP (no browser) against the real server on H2: login forms and their
 * CSRF protection, redirects for unfinished accounts, no-store on secrets, security headers,
 * escaping, and the admin user list.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern SECRET = Pattern.compile("<code id=\"secret\">([A-Z2-7]+)</code>");
    private static final Pattern CODE_ITEM = Pattern.compile("<li><code>([^<]+)</code></li>");
    private static final Pattern USER_ROW = Pattern.compile("<tr><td><a href=\"/admin/users/[^\"]+\">([^<]+)</a>");

    private TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    // ------------------------------------------------------------ login

    @Test
    void whenLoginPageServed_thenCsrfCookieIsSet_andFormWithoutMatchingTokenIsRefused() {
        People.Person p = People.ready(s, "lena", List.of());
        Http c = s.client();
        Http.Res page = c.get("/login");
        assertThat(page.status()).isEqualTo(200);
        String setCookie = page.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("imsm_login_csrf="))
                .findFirst().orElseThrow(() -> new AssertionError("no login CSRF cookie in " + page.headers()));
        assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
        String token = csrfOf(page.body());
        assertThat(cookie(c, "imsm_login_csrf")).contains(token);

        // no token, a wrong token, and the right token without the cookie (another client) are all refused
        assertLoginCsrfRefused(c.postForm("/login", Http.form("username", "lena", "password", p.password())));
        assertLoginCsrfRefused(c.postForm("/login", Http.form("_csrf", (token.charAt(0) == 'x' ? "y" : "x") + token.substring(1), "username", "lena",
                "password", p.password())));
        Http stranger = s.client();
        assertLoginCsrfRefused(stranger.postForm("/login", Http.form("_csrf", token, "username", "lena", "password", p.password())));
        assertThat(cookie(c, "imsm_session")).isEmpty();
        assertThat(cookie(stranger, "imsm_session")).isEmpty();

        // with the matching token the same form goes on to the second factor
        Http.Res ok = c.postForm("/login", Http.form("_csrf", token, "username", "lena", "password", p.password()));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(302);
        assertThat(ok.header("Location")).isEqualTo("/login/otp");
    }

    @Test
    void whenCodesArePostedOnTheSecondStep_thenTheySpendTheAddressBudget() {
        try (TestServer small = TestServer.start(TestDatabases.Kind.H2, Map.of("login.attempts_per_ip_per_minute", "4"))) {
            People.Person p = People.ready(small, "nils", List.of()); // its clock step refills the budget
            Http c = small.client();
            Http.Res page = c.get("/login");
            Http.Res pw = c.postForm("/login", Http.form("_csrf", csrfOf(page.body()), "username", "nils", "password", p.password()));
            assertThat(pw.header("Location")).isEqualTo("/login/otp"); // one of four
            String right = Totp.code(p.totpSecret(), small.clock.instant());
            String wrong = right.equals("000000") ? "111111" : "000000";
            for (int i = 0; i < 3; i++) { // two, three, four
                assertThat(c.postForm("/login/otp", Http.form("otp", wrong)).status()).isEqualTo(401);
            }
            Http.Res over = c.postForm("/login/otp", Http.form("otp", right));
            assertThat(over.status()).as("the address's budget is spent, even for the right code").isEqualTo(429);
            assertThat(over.header("Retry-After")).isNotNull();
        }
    }

    @Test
    void whenPasswordThenCodePosted_thenSessionCookieIsSetAndHomePageShows() {
        People.Person p = People.ready(s, "mia", List.of());
        Http c = s.client();
        Http.Res page = c.get("/login");
        Http.Res pw = c.postForm("/login", Http.form("_csrf", csrfOf(page.body()), "username", "mia", "password", p.password()));
        assertThat(pw.status()).as(pw.toString()).isEqualTo(302);
        assertThat(pw.header("Location")).isEqualTo("/login/otp");
        String pending = cookie(c, "imsm_session").orElseThrow();
        // the pending session is not a login yet
        Http.Res early = c.get("/");
        assertThat(early.status()).isEqualTo(302);
        assertThat(early.header("Location")).isEqualTo("/login");

        Http.Res otpPage = c.get("/login/otp");
        assertThat(otpPage.status()).isEqualTo(200);
        assertThat(otpPage.body()).contains("id=\"otp\"");
        String right = Totp.code(p.totpSecret(), s.clock.instant());
        Http.Res wrong = c.postForm("/login/otp", Http.form("otp", right.equals("000000") ? "111111" : "000000"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("id=\"error\"");

        Http.Res otp = c.postForm("/login/otp", Http.form("otp", right));
        assertThat(otp.status()).as(otp.toString()).isEqualTo(302);
        assertThat(otp.header("Location")).isEqualTo("/");
        String session = otp.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("imsm_session="))
                .findFirst().orElseThrow();
        assertThat(session).contains("HttpOnly").contains("SameSite=Lax").contains("Path=/");
        assertThat(cookie(c, "imsm_session")).isPresent().get().isNotEqualTo(pending);

        Http.Res home = c.get("/");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("<h1 id=\"welcome\">Welcome, mia</h1>");
        // the pending cookie died with the rotation
        Http.Res replay = s.client().get("/login/otp", "Cookie", "imsm_session=" + pending);
        assertThat(replay.status()).isEqualTo(302);
        assertThat(replay.header("Location")).isEqualTo("/login");
    }

    @Test
    void whenOtpPageOpenedWithoutPendingLogin_thenBackToLogin() {
        Http c = s.client();
        Http.Res page = c.get("/login/otp");
        assertThat(page.status()).isEqualTo(302);
        assertThat(page.header("Location")).isEqualTo("/login");
        Http.Res post = c.postForm("/login/otp", Http.form("otp", "123456"));
        assertThat(post.status()).isEqualTo(302);
        assertThat(post.header("Location")).isEqualTo("/login");
    }

    // ------------------------------------------------------------ CSRF on settings forms

    @Test
    void whenSettingsFormLacksTheRightCsrfToken_thenRefused_andWithItSaved() {
        People.Person p = People.ready(s, "nora", List.of());
        Http c = pageLogin(p);
        String token = c.csrf();

        Http.Res none = c.postForm("/settings/phone", Http.form("phone", "+41791234567"));
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.header("Content-Type")).startsWith("text/html");
        assertThat(none.body()).contains("The form expired or came from elsewhere");
        Http.Res wrong = c.postForm("/settings/phone", Http.form("_csrf", (token.charAt(0) == 'x' ? "y" : "x") + token.substring(1), "phone", "+41791234567"));
        assertThat(wrong.status()).isEqualTo(403);
        // the login form's double-submit token is no substitute for the session's
        String loginToken = csrfOf(s.client().get("/login").body());
        assertThat(c.postForm("/settings/phone", Http.form("_csrf", loginToken, "phone", "+41791234567")).status()).isEqualTo(403);
        assertThat(c.get("/settings").body()).doesNotContain("value=\"+41791234567\"");

        Http.Res ok = c.postForm("/settings/phone", Http.form("_csrf", token, "phone", "+41 79 123 45 67"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(302);
        assertThat(ok.header("Location")).isEqualTo("/settings?done=Phone+saved.");
        Http.Res settings = c.get("/settings?done=Phone+saved.");
        assertThat(settings.body()).contains("value=\"+41791234567\"").contains("<p class=\"ok\" id=\"message\">Phone saved.</p>");

        Http.Res invalid = c.postForm("/settings/phone", Http.form("_csrf", token, "phone", "not a phone"));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.body()).contains("id=\"phone-error\"").contains("international form");
    }

    @Test
    void whenLogoutPostedWithoutCsrf_thenRefused_andWithItTheSessionEnds() {
        People.Person p = People.ready(s, "otto", List.of());
        Http c = pageLogin(p);
        assertThat(c.postForm("/logout", Http.form()).status()).isEqualTo(403);
        assertThat(c.get("/").status()).isEqualTo(200);
        String session = cookie(c, "imsm_session").orElseThrow();
        Http.Res out = c.postForm("/logout", Http.form("_csrf", c.csrf()));
        assertThat(out.status()).isEqualTo(302);
        assertThat(out.header("Location")).isEqualTo("/login");
        Http.Res replay = s.client().get("/", "Cookie", "imsm_session=" + session);
        assertThat(replay.status()).isEqualTo(302);
        assertThat(replay.header("Location")).isEqualTo("/login");
    }

    // ------------------------------------------------------------ caching, headers, redirects

    @Test
    void whenPageShowsSecrets_thenItIsNotStored() {
        Onboarded o = onboard("pia", null, List.of());
        assertThat(o.enrollPage().header("Cache-Control")).isEqualTo("no-store");
        assertThat(o.codesPage().header("Cache-Control")).isEqualTo("no-store");
        assertThat(o.recoveryCodes()).hasSize(10).doesNotHaveDuplicates();

        Http.Res again = o.client().postForm("/settings/recovery-codes", Http.form("_csrf", o.client().csrf(), "password", o.password()));
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.header("Cache-Control")).isEqualTo("no-store");
        assertThat(codesOf(again.body())).hasSize(10).doesNotContainAnyElementsOf(o.recoveryCodes());

        for (String path : List.of("/login", "/settings", "/settings/password")) {
            assertThat(o.client().get(path).header("Cache-Control")).as(path).isEqualTo("no-store");
        }
    }

    @Test
    void whenAnyPageIsServed_thenItCarriesTheSecurityHeaders() {
        Onboarded o = onboard("quinn", null, List.of());
        Http c = o.client();
        Map<String, Http.Res> responses = new java.util.LinkedHashMap<>();
        for (String path : List.of("/", "/settings", "/settings/password", "/settings/totp", "/admin/users", "/no/such/page",
                "/login", "/login/otp", "/static/imsm.css", "/static/favicon.svg")) {
            responses.put("GET " + path, c.get(path));
        }
        responses.put("GET / anonymous", s.client().get("/"));
        responses.put("GET /login/otp anonymous", s.client().get("/login/otp"));
        responses.put("POST /settings/phone without token", c.postForm("/settings/phone", Http.form("phone", "+41791234567")));
        responses.put("POST /login without token", s.client().postForm("/login", Http.form("username", "x", "password", "y")));
        responses.put("GET /invite/unknown", s.client().get("/invite/unknown-token"));

        assertThat(responses.get("GET /").status()).isEqualTo(200);
        assertThat(responses.get("GET /admin/users").status()).isEqualTo(403);
        assertThat(responses.get("GET /no/such/page").status()).isEqualTo(404);
        assertThat(responses.get("GET /static/imsm.css").header("Content-Type")).startsWith("text/css");
        responses.forEach((what, r) -> {
            String csp = r.header("Content-Security-Policy");
            assertThat(csp).as(what).isNotNull().doesNotContain("unsafe-inline").doesNotContain("unsafe-eval")
                    .contains("default-src 'none'").contains("frame-ancestors 'none'").contains("form-action 'self'");
            assertThat(r.header("X-Frame-Options")).as(what).isEqualTo("DENY");
            assertThat(r.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
            assertThat(r.header("Referrer-Policy")).as(what).isEqualTo("no-referrer");
        });
        // and no page relies on inline script or style, which the policy would block (script files are fine)
        responses.forEach((what, r) -> {
            if (r.header("Content-Type") != null && r.header("Content-Type").startsWith("text/html")) {
                assertThat(r.body()).as(what).doesNotContainPattern("<script(?![^>]* src=\"/static/[a-z]+\\.js\")").doesNotContain("<style").doesNotContain(" style=")
                        .doesNotContainPattern(" on[a-z]+=");
            }
        });
    }

    @Test
    void whenNotLoggedIn_thenPagesRedirectToLogin() {
        Http c = s.client();
        for (String path : List.of("/", "/settings", "/settings/password", "/settings/totp", "/admin/users")) {
            Http.Res r = c.get(path);
            assertThat(r.status()).as(path).isEqualTo(302);
            assertThat(r.header("Location")).as(path).isEqualTo("/login");
        }
        Http.Res post = c.postForm("/settings/phone", Http.form("_csrf", "anything", "phone", "+41791234567"));
        assertThat(post.status()).isEqualTo(302);
        assertThat(post.header("Location")).isEqualTo("/login");
    }

    @Test
    void whenPasswordChangeIsPending_thenPagesRedirectToThePasswordChange() {
        People.createUser(s, "rosa", "initial-Kq7v-pass-rosa", List.of());
        Http c = s.client();
        Http.Res login = c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", "rosa",
                "password", "initial-Kq7v-pass-rosa"));
        assertThat(login.status()).as(login.toString()).isEqualTo(302);
        assertThat(login.header("Location")).isEqualTo("/");

        for (String path : List.of("/", "/settings", "/settings/totp", "/admin/users")) {
            Http.Res r = c.get(path);
            assertThat(r.status()).as(path).isEqualTo(302);
            assertThat(r.header("Location")).as(path).isEqualTo("/settings/password");
        }
        Http.Res page = c.get("/settings/password");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"forced\"");
        String token = csrfOf(page.body());
        Http.Res phone = c.postForm("/settings/phone", Http.form("_csrf", token, "phone", "+41791234567"));
        assertThat(phone.status()).isEqualTo(302);
        assertThat(phone.header("Location")).isEqualTo("/settings/password");

        Http.Res differ = c.postForm("/settings/password", Http.form("_csrf", token, "current_password", "initial-Kq7v-pass-rosa",
                "new_password", "a-new-long-password-1-Kq7v", "new_password2", "a-new-long-password-2"));
        assertThat(differ.status()).isEqualTo(400);
        assertThat(differ.body()).contains("The two new passwords differ.");
        Http.Res changed = c.postForm("/settings/password", Http.form("_csrf", token, "current_password", "initial-Kq7v-pass-rosa",
                "new_password", "a-new-long-password-1-Kq7v", "new_password2", "a-new-long-password-1-Kq7v"));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(302);
        // next stop: the second factor the policy requires
        assertThat(changed.header("Location")).isEqualTo("/settings/totp");
        Http.Res home = c.get("/");
        assertThat(home.status()).isEqualTo(302);
        assertThat(home.header("Location")).isEqualTo("/settings/totp");
    }

    @Test
    void whenTotpPageIsFetched_thenNoSecretIsMade_andStartingNeedsThePostWithCsrf() {
        People.createUser(s, "tilda", "initial-Kq7v-pass-tilda", List.of());
        Http c = s.client();
        c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", "tilda", "password", "initial-Kq7v-pass-tilda"));
        String token = csrfOf(c.get("/settings/password").body());
        assertThat(c.postForm("/settings/password", Http.form("_csrf", token, "current_password", "initial-Kq7v-pass-tilda",
                "new_password", "tildas-new-password-1-Kq7v", "new_password2", "tildas-new-password-1-Kq7v")).status()).isEqualTo(302);

        for (int i = 0; i < 2; i++) {
            Http.Res page = c.get("/settings/totp");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("action=\"/settings/totp/start\"").doesNotContain("id=\"secret\"");
        }
        // nothing pending: a code has nothing to confirm
        Http.Res early = c.postForm("/settings/totp", Http.form("_csrf", token, "code", "123456"));
        assertThat(early.status()).isEqualTo(400);
        assertThat(early.body()).contains("Start the setup first.");
        // a cross-site form (no CSRF token) cannot start or restart the setup
        Http.Res forged = c.postForm("/settings/totp/start", Http.form("_csrf", "forged"));
        assertThat(forged.status()).isEqualTo(403);
        assertThat(c.get("/settings/totp").body()).doesNotContain("id=\"secret\"");

        assertThat(c.postForm("/settings/totp/start", Http.form("_csrf", token)).status()).isEqualTo(302);
        Matcher first = SECRET.matcher(c.get("/settings/totp").body());
        assertThat(first.find()).isTrue();
        // showing the page again shows the same pending secret; it changes only on another start
        Matcher again = SECRET.matcher(c.get("/settings/totp").body());
        assertThat(again.find()).isTrue();
        assertThat(again.group(1)).isEqualTo(first.group(1));
    }

    // ------------------------------------------------------------ escaping

    @Test
    void whenDisplayNameHoldsMarkup_thenPagesShowItEscaped() {
        String evil = "<script>alert(1)</script>";
        Onboarded o = onboard("sam", evil, List.of("admin"));
        Http.Res home = o.client().get("/");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("Welcome, &lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert");

        Http.Res list = o.client().get("/admin/users?search=sam");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert");
        Http.Res user = o.client().get("/admin/users/" + o.id());
        assertThat(user.body()).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert");

        // a search term echoed into an attribute cannot break out of it
        Http.Res echoed = o.client().get("/admin/users?search=" + enc("\"><script>alert(2)</script>"));
        assertThat(echoed.status()).isEqualTo(200);
        assertThat(echoed.body()).doesNotContain("<script>alert").doesNotContain("\"><script");
    }

    // ------------------------------------------------------------ admin user list

    @Test
    void whenAdminListsUsers_thenSearchAndPagingWork() {
        People.Person boss = People.ready(s, "tess", List.of("admin"));
        for (int i = 1; i <= 7; i++) {
            createUser(Map.of("username", "lister0" + i, "display_name", "List Person " + i, "email", "lister0" + i + ".team+ops@example.org",
                    "password", "initial-Kq7v-pass-lister-" + i, "roles", List.of()));
        }
        Http c = pageLogin(boss);

        Http.Res all = c.get("/admin/users");
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.header("Cache-Control")).isEqualTo("no-store");
        assertThat(usersOf(all.body())).contains("tess", "lister01", "lister07");

        Http.Res first = c.get("/admin/users?search=LISTER&limit=3");
        assertThat(first.body()).contains("7 users.");
        assertThat(usersOf(first.body())).containsExactly("lister01", "lister02", "lister03");
        assertThat(link(first.body(), "Previous")).isEmpty();
        Http.Res second = c.get(link(first.body(), "Next").orElseThrow());
        assertThat(usersOf(second.body())).containsExactly("lister04", "lister05", "lister06");
        Http.Res third = c.get(link(second.body(), "Next").orElseThrow());
        assertThat(usersOf(third.body())).containsExactly("lister07");
        assertThat(link(third.body(), "Next")).isEmpty();
        Http.Res back = c.get(link(third.body(), "Previous").orElseThrow());
        assertThat(usersOf(back.body())).containsExactly("lister04", "lister05", "lister06");

        // search by e-mail and by display name; the term survives the paging links even when it needs URL encoding
        Http.Res byMail = c.get("/admin/users?search=" + enc("TEAM+ops@") + "&limit=5");
        assertThat(byMail.body()).contains("7 users.");
        assertThat(usersOf(byMail.body())).hasSize(5);
        Http.Res byMailNext = c.get(link(byMail.body(), "Next").orElseThrow());
        assertThat(byMailNext.body()).contains("7 users.");
        assertThat(usersOf(byMailNext.body())).containsExactly("lister06", "lister07");
        assertThat(usersOf(c.get("/admin/users?search=" + enc("person 5")).body())).containsExactly("lister05");
        Http.Res none = c.get("/admin/users?search=nobody-matches-this");
        assertThat(none.body()).contains("0 users.");
        assertThat(usersOf(none.body())).isEmpty();
        // LIKE wildcards are taken literally
        assertThat(usersOf(c.get("/admin/users?search=" + enc("lister_")).body())).isEmpty();

        Http.Res badLimit = c.get("/admin/users?limit=0");
        assertThat(badLimit.status()).isEqualTo(400);

        // creating through the page: the invite link is a secret, so the page is not stored
        Http.Res created = c.postForm("/admin/users", Http.form("_csrf", c.csrf(), "username", "lister08", "display_name", "",
                "email", "", "roles", "", "password", ""));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.body()).contains("Created lister08.").contains("/invite/");
        assertThat(created.header("Cache-Control")).isEqualTo("no-store");
        assertThat(c.get("/admin/users?search=lister").body()).contains("8 users.");
    }

    @Test
    void whenNonAdminOpensAdminPages_thenForbidden() {
        People.Person p = People.ready(s, "uma", List.of("analyst"));
        Http c = pageLogin(p);
        assertThat(c.get("/").body()).doesNotContain("href=\"/admin/users\"");
        Http.Res list = c.get("/admin/users");
        assertThat(list.status()).isEqualTo(403);
        assertThat(list.header("Content-Type")).startsWith("text/html");
        assertThat(list.body()).contains("This needs the admin role.").doesNotContain("id=\"users\"");
        assertThat(c.get("/admin/users/" + p.id()).status()).isEqualTo(403);
        Http.Res create = c.postForm("/admin/users", Http.form("_csrf", c.csrf(), "username", "sneaky", "password",
                "sneaky-long-password-1-Kq7v"));
        assertThat(create.status()).isEqualTo(403);
        Http.Res roles = c.postForm("/admin/users/" + p.id() + "/roles", Http.form("_csrf", c.csrf(), "roles", "admin"));
        assertThat(roles.status()).isEqualTo(403);
        Http.Res check = s.client().get("/api/v1/admin/users?search=sneaky", "Authorization", BEARER);
        assertThat(check.json().path("total").asLong()).isZero();
        Http.Res me = s.client().get("/api/v1/admin/users/" + p.id(), "Authorization", BEARER);
        assertThat(me.json().path("roles").toString()).doesNotContain("admin");
    }

    // ------------------------------------------------------------ helpers

    /** A user created through the admin API and onboarded entirely through the pages. */
    @Test
    void whenConfirmationTextIsCraftedInTheLink_thenItIsNotShown() {
        People.Person p = People.ready(s, "link-victim", List.of());
        Http c = pageLogin(p);
        assertThat(c.get("/settings?done=Phone+saved.").body()).contains("id=\"message\">Phone saved.</p>");
        String crafted = c.get("/settings?done=" + enc("Your account is locked, call +1 555 0100")).body();
        assertThat(crafted).doesNotContain("call +1 555").doesNotContain("id=\"message\"");
    }

    private record Onboarded(String id, Http client, String password, String secret, List<String> recoveryCodes,
                             Http.Res enrollPage, Http.Res codesPage) {}

    private Onboarded onboard(String username, String displayName, List<String> roles) {
        String initial = "initial-Kq7v-pass-" + username;
        String password = "changed-Kq7v-pass-" + username + "-x";
        Map<String, Object> body = new HashMap<>(Map.of("username", username, "password", initial, "roles", roles));
        if (displayName != null) {
            body.put("display_name", displayName);
        }
        String id = createUser(body);
        Http c = s.client();
        Http.Res login = c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", username,
                "password", initial));
        assertThat(login.status()).as(login.toString()).isEqualTo(302);
        Http.Res pwPage = c.get("/settings/password");
        c.csrf(csrfOf(pwPage.body()));
        Http.Res pw = c.postForm("/settings/password", Http.form("_csrf", c.csrf(), "current_password", initial,
                "new_password", password, "new_password2", password));
        assertThat(pw.status()).as(pw.toString()).isEqualTo(302);
        assertThat(pw.header("Location")).isEqualTo("/settings/totp");
        Http.Res offer = c.get("/settings/totp");
        assertThat(offer.status()).as(offer.toString()).isEqualTo(200);
        assertThat(SECRET.matcher(offer.body()).find()).as("GET only offers the setup").isFalse();
        Http.Res started = c.postForm("/settings/totp/start", Http.form("_csrf", c.csrf()));
        assertThat(started.status()).as(started.toString()).isEqualTo(302);
        assertThat(started.header("Location")).isEqualTo("/settings/totp");
        Http.Res enroll = c.get("/settings/totp");
        assertThat(enroll.status()).as(enroll.toString()).isEqualTo(200);
        Matcher m = SECRET.matcher(enroll.body());
        assertThat(m.find()).as("secret on %s", enroll.body()).isTrue();
        String secret = m.group(1);
        Http.Res codes = c.postForm("/settings/totp", Http.form("_csrf", c.csrf(), "code", Totp.code(secret, s.clock.instant())));
        assertThat(codes.status()).as(codes.toString()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(c.get("/").status()).isEqualTo(200);
        return new Onboarded(id, c, password, secret, codesOf(codes.body()), enroll, codes);
    }

    /** Logs a ready person in through the two login pages; the client holds the session's CSRF token. */
    private Http pageLogin(People.Person p) {
        Http c = s.client();
        Http.Res pw = c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", p.username(),
                "password", p.password()));
        assertThat(pw.status()).as(pw.toString()).isEqualTo(302);
        assertThat(pw.header("Location")).isEqualTo("/login/otp");
        Http.Res otp = c.postForm("/login/otp", Http.form("otp", Totp.code(p.totpSecret(), s.clock.instant())));
        assertThat(otp.status()).as(otp.toString()).isEqualTo(302);
        assertThat(otp.header("Location")).isEqualTo("/");
        Http.Res home = c.get("/");
        assertThat(home.status()).as(home.toString()).isEqualTo(200);
        c.csrf(csrfOf(home.body()));
        s.clock.advance(Duration.ofSeconds(30));
        return c;
    }

    private String createUser(Map<String, Object> body) {
        Http.Res r = s.client().postJson("/api/v1/admin/users", body, "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("user").path("id").asText();
    }

    private static void assertLoginCsrfRefused(Http.Res r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(r.header("Content-Type")).startsWith("text/html");
        assertThat(r.body()).contains("The login form expired");
        assertThat(r.headers().allValues("Set-Cookie")).noneMatch(v -> v.startsWith("imsm_session="));
    }

    private static String csrfOf(String html) {
        Matcher m = CSRF_FIELD.matcher(html);
        assertThat(m.find()).as("a _csrf field in %s", html).isTrue();
        return m.group(1);
    }

    private static List<String> codesOf(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = CODE_ITEM.matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<String> usersOf(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = USER_ROW.matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The href of the link with this text, HTML-unescaped. */
    private static Optional<String> link(String html, String text) {
        Matcher m = Pattern.compile("<a href=\"([^\"]+)\">" + Pattern.quote(text) + "</a>").matcher(html);
        return m.find() ? Optional.of(unescape(m.group(1))) : Optional.empty();
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"").replace("&quot;", "\"")
                .replace("&#39;", "'").replace("&amp;", "&");
    }

    private static Optional<String> cookie(Http c, String name) {
        return c.cookies().getCookieStore().getCookies().stream().filter(k -> k.getName().equals(name))
                .map(HttpCookie::getValue).filter(v -> !v.isEmpty()).findFirst();
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
