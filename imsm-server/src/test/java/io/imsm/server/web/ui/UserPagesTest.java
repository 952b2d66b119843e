package io.imsm.server.web.ui;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pages people use, over plain HTTP against the real server: rejected forms come back filled in
 * with the error next to its field (in the form's units), destructive actions need a confirmation,
 * live tokens show their limit, issue time and justification, times and browsers read well.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UserPagesTest {
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        Http.Res r = s.client().putJson("/api/v1/admin/services/reports", Map.of("name", "Reports", "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("reports:read", "reports:export"), "default_ttl_seconds", 300,
                "max_ttl_seconds", 3600, "fields", List.of("justification"), "allow_request_limit", true), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenTokenFormIsRejected_thenTypedValuesStayAndTheLifetimeErrorSpeaksMinutesNextToItsField() {
        Http c = pageLogin(People.ready(s, "tara", List.of("ops")));
        Http.Res tooLong = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "scope", "reports:export", "ttl_minutes", "90",
                "justification", "Quarterly <close> check", "req_method", "GET", "req_path", "/reports/q3", "req_query", "format=csv"));
        assertThat(tooLong.status()).isEqualTo(400);
        String body = tooLong.body();
        assertThat(body).contains("<p class=\"field-error\" id=\"ttl-error\" role=\"alert\">Give a whole number of minutes from 1 to 60.</p>")
                .doesNotContain("ttl_seconds").doesNotContain("id=\"error\"");
        assertThat(body).contains("value=\"90\"").contains(">Quarterly &lt;close&gt; check</textarea>")
                .contains("<option selected>GET</option>").contains("value=\"/reports/q3\"").contains(">format=csv</textarea>");
        assertThat(body).contains("value=\"reports:export\" checked>").contains("value=\"reports:read\">");

        Http.Res noJustification = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "ttl_minutes", "5",
                "req_path", "reports/q3"));
        assertThat(noJustification.status()).isEqualTo(400);
        assertThat(noJustification.body()).contains("id=\"justification-error\"").contains("value=\"reports/q3\"");

        Http.Res badPath = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "ttl_minutes", "5", "justification", "x",
                "req_method", "GET", "req_path", "reports/q3"));
        assertThat(badPath.status()).isEqualTo(400);
        assertThat(badPath.body()).contains("<p class=\"field-error\" id=\"req_path-error\" role=\"alert\">request.path must start with");
    }

    @Test
    void whenTokenIsLive_thenHomeShowsLimitIssueTimeAndJustification_andRevokingAsksFirstThenConfirms() {
        Http c = pageLogin(People.ready(s, "ugo", List.of("ops")));
        Http.Res issued = c.postForm("/services/reports", Http.form("_csrf", c.csrf(), "ttl_minutes", "15", "justification", "Audit 42",
                "req_method", "GET", "req_path", "/reports/q3", "req_query", "format=csv"));
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        assertThat(issued.body()).contains("id=\"copy-curl\" data-copy=\"curl\"").contains("(in 15 min)");
        String sid = Pattern.compile("data-sid=\"([^\"]+)\"").matcher(c.get("/").body()).results().findFirst().orElseThrow().group(1);

        s.clock.advance(Duration.ofMinutes(2));
        String home = c.get("/").body();
        assertThat(home).contains("<code>GET /reports/q3?format=csv</code>").contains(">Audit 42</td>")
                .contains("(2 min ago)").contains("(in 13 min)")
                .contains("data-confirm=\"Revoke this reports token?");

        // no confirmation (a browser without script): a confirmation page, and the token stays live
        Http.Res ask = c.postForm("/sessions/" + sid + "/revoke", Http.form("_csrf", c.csrf()));
        assertThat(ask.status()).isEqualTo(200);
        assertThat(ask.body()).contains("id=\"question\">Revoke this token?").contains("name=\"confirmed\" value=\"yes\"")
                .contains("action=\"/sessions/" + sid + "/revoke\"");
        assertThat(c.get("/").body()).contains("data-sid=\"" + sid + "\"");

        Http.Res revoked = c.postForm("/sessions/" + sid + "/revoke", Http.form("_csrf", c.csrf(), "confirmed", "yes"));
        assertThat(revoked.status()).isEqualTo(302);
        assertThat(revoked.header("Location")).isEqualTo("/?done=Token+revoked.#tokens");
        String after = c.get("/?done=Token+revoked.").body();
        assertThat(after).contains("id=\"message\">Token revoked.</p>").doesNotContain("data-sid=\"" + sid + "\"");
    }

    @Test
    void whenSettingsFormsAreRejected_thenErrorsSitNextToTheirFieldsAndThePhoneStaysTyped() {
        People.Person p = People.ready(s, "vera", List.of());
        Http c = pageLogin(p);
        String page = c.get("/settings").body();
        assertThat(page).doesNotContainIgnoringCase("SMS").doesNotContainIgnoringCase("alert");

        Http.Res phone = c.postForm("/settings/phone", Http.form("_csrf", c.csrf(), "phone", "call me maybe"));
        assertThat(phone.status()).isEqualTo(400);
        assertThat(phone.body()).contains("value=\"call me maybe\"")
                .contains("<p class=\"field-error\" id=\"phone-error\" role=\"alert\">phone must be in international form");

        Http.Res codes = c.postForm("/settings/recovery-codes", Http.form("_csrf", c.csrf(), "password", "not-it"));
        assertThat(codes.status()).isEqualTo(400);
        assertThat(codes.body()).contains("id=\"recovery-error\" role=\"alert\">The password is wrong.")
                .doesNotContain("id=\"totp-remove-error\"");

        Http.Res remove = c.postForm("/settings/totp/remove", Http.form("_csrf", c.csrf(), "password", "not-it", "confirmed", "yes"));
        assertThat(remove.status()).isEqualTo(400);
        assertThat(remove.body()).contains("id=\"totp-remove-error\" role=\"alert\">The password is wrong.");
        Http.Res unconfirmed = c.postForm("/settings/totp/remove", Http.form("_csrf", c.csrf(), "password", p.password()));
        assertThat(unconfirmed.status()).isEqualTo(200);
        assertThat(unconfirmed.body()).contains("id=\"confirm-password\"").contains("name=\"confirmed\" value=\"yes\"");
        assertThat(c.get("/settings").body()).contains("Authenticator app: <strong>set up</strong>");

        Http.Res differ = c.postForm("/settings/password", Http.form("_csrf", c.csrf(), "current_password", p.password(),
                "new_password", "a-new-long-passphrase-1", "new_password2", "a-new-long-passphrase-2"));
        assertThat(differ.status()).isEqualTo(400);
        assertThat(differ.body()).contains("id=\"new_password2-error\" role=\"alert\">The two new passwords differ.");
        Http.Res wrong = c.postForm("/settings/password", Http.form("_csrf", c.csrf(), "current_password", "not-it",
                "new_password", "a-new-long-passphrase-1", "new_password2", "a-new-long-passphrase-1"));
        assertThat(wrong.body()).contains("id=\"current_password-error\" role=\"alert\">The current password is wrong.");
        Http.Res weak = c.postForm("/settings/password", Http.form("_csrf", c.csrf(), "current_password", p.password(),
                "new_password", "short", "new_password2", "short"));
        assertThat(weak.body()).contains("id=\"new_password-error\" role=\"alert\">The password must be at least");
    }

    @Test
    void whenSeveralSessionsAreOpen_thenBrowsersAreNamed_andEndingTheOthersAsksFirstThenKeepsOnlyThisOne() {
        People.Person p = People.ready(s, "wim", List.of());
        Http other = pageLogin(p);
        Http c = pageLogin(p);
        String page = c.get("/settings").body();
        assertThat(page).contains("class=\"browser\" title=\"Java-http-client/").contains(">Java HTTP client</td>")
                .contains("id=\"end-others\"").contains("(just now)");

        Http.Res ask = c.postForm("/settings/sessions/end-others", Http.form("_csrf", c.csrf()));
        assertThat(ask.status()).isEqualTo(200);
        assertThat(ask.body()).contains("id=\"question\">End every session except this one?");
        assertThat(other.get("/").status()).isEqualTo(200);

        Http.Res ended = c.postForm("/settings/sessions/end-others", Http.form("_csrf", c.csrf(), "confirmed", "yes"));
        assertThat(ended.status()).isEqualTo(302);
        assertThat(ended.header("Location")).isEqualTo("/settings?done=Other+sessions+ended.#sessions");
        assertThat(other.get("/").header("Location")).isEqualTo("/login");
        assertThat(c.get("/").status()).isEqualTo(200);
        assertThat(c.get("/settings").body()).doesNotContain("id=\"end-others\"");
    }

    @Test
    void whenCodeStepGetsAWrongCode_thenItSaysWrongCode() {
        People.Person p = People.ready(s, "xena", List.of());
        Http c = s.client();
        c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", p.username(), "password", p.password()));
        String right = Totp.code(p.totpSecret(), s.clock.instant());
        Http.Res wrong = c.postForm("/login/otp", Http.form("otp", right.equals("000000") ? "111111" : "000000"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("id=\"error\" role=\"alert\">Wrong code.").doesNotContain("username");
    }

    @Test
    void whenErrorPageIsShownToALoggedInPerson_thenTheNavigationStays() {
        Http c = pageLogin(People.ready(s, "yuri", List.of()));
        Http.Res missing = c.get("/no/such/page");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).contains("id=\"logout\"").contains("href=\"/settings\"").contains(">Back home</a>");
        Http.Res anonymous = s.client().get("/no/such/page");
        assertThat(anonymous.status()).isEqualTo(404);
        assertThat(anonymous.body()).doesNotContain("id=\"logout\"").contains(">Back to the start</a>");
    }

    private Http pageLogin(People.Person p) {
        Http c = s.client();
        Http.Res pw = c.postForm("/login", Http.form("_csrf", csrfOf(c.get("/login").body()), "username", p.username(),
                "password", p.password()));
        assertThat(pw.header("Location")).as(pw.toString()).isEqualTo("/login/otp");
        Http.Res otp = c.postForm("/login/otp", Http.form("otp", Totp.code(p.totpSecret(), s.clock.instant())));
        assertThat(otp.header("Location")).as(otp.toString()).isEqualTo("/");
        c.csrf(csrfOf(c.get("/").body()));
        s.clock.advance(Duration.ofSeconds(30));
        return c;
    }

    private static String csrfOf(String html) {
        Matcher m = CSRF_FIELD.matcher(html);
        assertThat(m.find()).as("a _csrf field in %s", html).isTrue();
        return m.group(1);
    }

}
