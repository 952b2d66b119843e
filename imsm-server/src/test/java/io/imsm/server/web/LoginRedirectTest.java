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

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /login?rd=...} over HTTP: after password and TOTP the browser is sent to {@code rd} when it is
 * a path on IMSM, IMSM's own address or a host of {@code ingress.redirect_hosts}, and to the home page
 * for anything else an attacker could put there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoginRedirectTest {
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern CONTINUE = Pattern.compile("<a href=\"([^\"]*)\" id=\"continue\">");

    private TestServer s;
    private People.Person ines;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("ingress.redirect_hosts", "app.example.org,reports.example.org:8443"));
        ines = People.ready(s, "ines", List.of("analyst"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    /** Logs in through the pages after opening {@code /login?rd=<rd>}; where the browser goes next. */
    String landingAfterLogin(String rd) {
        Http c = s.client();
        Http.Res page = c.get("/login?rd=" + URLEncoder.encode(rd, StandardCharsets.UTF_8));
        assertThat(page.status()).isEqualTo(200);
        Matcher csrf = CSRF.matcher(page.body());
        assertThat(csrf.find()).isTrue();
        Http.Res pw = c.postForm("/login", Http.form("_csrf", csrf.group(1), "username", ines.username(), "password", ines.password()));
        assertThat(pw.header("Location")).as(pw.toString()).isEqualTo("/login/otp");
        s.clock.advance(Duration.ofSeconds(30));
        Http.Res done = c.postForm("/login/otp", Http.form("otp", Totp.code(ines.totpSecret(), s.clock.instant())));
        if (done.status() == 302) {
            return done.header("Location");
        }
        // the way back goes through a page (a redirect after the form post would meet the CSP's form-action)
        assertThat(done.status()).as(done.toString()).isEqualTo(200);
        Matcher to = CONTINUE.matcher(done.body());
        assertThat(to.find()).as(done.body()).isTrue();
        assertThat(done.body()).contains("content=\"0;url=" + to.group(1) + "\"");
        return to.group(1).replace("&amp;", "&");
    }

    @Test
    void whenRdIsAllowed_thenTheLoginEndsThere() {
        for (String rd : List.of("/tokens", "/tokens?name=a&b=c", "https://app.example.org/reports?q=1", "HTTPS://APP.example.org:9000/x",
                "http://app.example.org/x#frag", "https://reports.example.org:8443/r", s.baseUrl() + "/settings")) {
            assertThat(landingAfterLogin(rd)).as(rd).isEqualTo(rd);
        }
    }

    @Test
    void whenRdIsHostile_thenTheLoginEndsOnTheHomePage() {
        for (String rd : List.of("https://evil.example/x", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example/x",
                "/\\/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
                "https://app.example.org@evil.example/", "https://evil.example\\@app.example.org/", "https://app.example.org.evil.example/",
                "https://evil.example#https://app.example.org/", "https:app.example.org/x", "ftp://app.example.org/x",
                "/x\r\nSet-Cookie: a=b", "/x\nLocation: https://evil.example", " https://app.example.org/", "/\t/evil.example",
                "https://reports.example.org/r", "https://reports.example.org:9443/r", "http://127.0.0.1:1/x", "https://%61pp.example.org/",
                "/" + "a".repeat(2000), "")) {
            assertThat(landingAfterLogin(rd)).as(rd).isEqualTo("/");
        }
    }

    @Test
    void whenIngressSendsAPageToTheLogin_thenItsLoginAddressCarriesAnRdTheLoginHonours() {
        Http.Res r = s.client().get("/ingress/auth", "X-Original-URL", "https://app.example.org/reports?q=1");
        assertThat(r.status()).isEqualTo(401);
        String login = r.header("X-Auth-Request-Redirect");
        assertThat(login).isEqualTo(s.baseUrl() + "/login?rd=https%3A%2F%2Fapp.example.org%2Freports%3Fq%3D1");
        String rd = java.net.URLDecoder.decode(login.substring(login.indexOf("rd=") + 3), StandardCharsets.UTF_8);
        assertThat(landingAfterLogin(rd)).isEqualTo("https://app.example.org/reports?q=1");
    }
}
