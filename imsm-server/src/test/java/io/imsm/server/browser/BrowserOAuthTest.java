package io.imsm.server.browser;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The authorization code flow with PKCE in a real browser against a tiny relying party the test starts:
 * the RP sends the browser to IMSM, the person logs in on IMSM's pages with password and TOTP, IMSM
 * redirects back, the RP redeems the code and verifies the id_token with the Nimbus library.
 */
class BrowserOAuthTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    /** The relying party: /start sends the browser to IMSM; /callback redeems the code and greets the person. */
    static final class RelyingParty implements AutoCloseable {
        final HttpServer http;
        final OIDCProviderMetadata meta;
        final ClientID id = new ClientID("browser-rp");
        Secret secret;
        volatile CodeVerifier verifier;
        volatile Nonce nonce;
        volatile State state;
        volatile IDTokenClaimsSet verified;

        RelyingParty(OIDCProviderMetadata meta) throws IOException {
            this.meta = meta;
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/start", this::start);
            http.createContext("/callback", this::callback);
            http.start();
        }

        URI redirect() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/callback");
        }

        private void start(HttpExchange x) throws IOException {
            verifier = new CodeVerifier();
            nonce = new Nonce();
            state = new State();
            URI to = new AuthenticationRequest.Builder(new ResponseType("code"), new Scope("openid", "profile"), id, redirect())
                    .endpointURI(meta.getAuthorizationEndpointURI()).state(state).nonce(nonce)
                    .codeChallenge(verifier, CodeChallengeMethod.S256).build().toURI();
            x.getResponseHeaders().add("Location", to.toString());
            x.sendResponseHeaders(302, -1);
            x.close();
        }

        private void callback(HttpExchange x) throws IOException {
            String page;
            try {
                AuthenticationResponse r = AuthenticationResponseParser.parse(URI.create(redirect() + "?" + x.getRequestURI().getRawQuery()));
                if (!r.indicatesSuccess() || !state.equals(r.getState())) {
                    throw new IllegalStateException("authorization failed: " + x.getRequestURI());
                }
                AuthorizationCode code = r.toSuccessResponse().getAuthorizationCode();
                TokenResponse t = OIDCTokenResponseParser.parse(new TokenRequest(meta.getTokenEndpointURI(), new ClientSecretBasic(id, secret),
                        new AuthorizationCodeGrant(code, redirect(), verifier)).toHTTPRequest().send());
                OIDCTokenResponse ok = (OIDCTokenResponse) t.toSuccessResponse();
                IDTokenValidator v = new IDTokenValidator(meta.getIssuer(), id, JWSAlgorithm.ES256, meta.getJWKSetURI().toURL());
                v.setMaxClockSkew(300);
                verified = v.validate(ok.getOIDCTokens().getIDToken(), nonce);
                page = "<!DOCTYPE html><html><body><h1 id=\"hello\">Hello " + verified.getStringClaim("preferred_username") + "</h1></body></html>";
            } catch (Exception e) {
                page = "<!DOCTYPE html><html><body><h1 id=\"failed\">" + e + "</h1></body></html>";
            }
            byte[] b = page.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    @Test
    void whenAPersonSignsInToARelyingParty_thenTheyLogInOnImsmWithTotpAndTheRpVerifiesTheIdToken() throws Exception {
        Files.createDirectories(SCREENSHOTS);
        TestServer s = TestServer.start(TestDatabases.Kind.H2);
        HeadlessChromium chromium = null;
        try (s; RelyingParty rp = new RelyingParty(OIDCProviderMetadata.resolve(new Issuer(s.baseUrl())))) {
            People.Person nora = People.ready(s, "nora", List.of("analyst"));
            Http.Res reg = s.client().postJson("/api/v1/admin/clients", Map.of("client_id", "browser-rp", "name", "Tiny RP",
                    "grant_types", List.of("authorization_code"), "scopes", List.of("openid", "profile"),
                    "redirect_uris", List.of(rp.redirect().toString())), "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
            assertThat(reg.status()).as(reg.toString()).isEqualTo(201);
            rp.secret = new Secret(reg.json().path("client_secret").asText());

            chromium = HeadlessChromium.start(1280, 900);
            var driver = chromium.driver;
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
            driver.get("http://127.0.0.1:" + rp.http.getAddress().getPort() + "/start");
            wait.until(ExpectedConditions.urlToBe(s.baseUrl() + "/login"));
            driver.findElement(By.id("username")).sendKeys("nora");
            driver.findElement(By.id("password")).sendKeys(nora.password());
            driver.findElement(By.id("submit")).click();
            wait.until(ExpectedConditions.urlToBe(s.baseUrl() + "/login/otp"));
            driver.findElement(By.id("otp")).sendKeys(Totp.code(nora.totpSecret(), s.clock.instant()));
            driver.findElement(By.id("submit")).click();
            wait.until(ExpectedConditions.or(ExpectedConditions.presenceOfElementLocated(By.id("hello")),
                    ExpectedConditions.presenceOfElementLocated(By.id("failed"))));
            Files.write(SCREENSHOTS.resolve("oauth-rp-signed-in.png"), driver.getScreenshotAs(OutputType.BYTES));
            assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Hello nora");
            assertThat(driver.getCurrentUrl()).startsWith(rp.redirect().toString());
            assertThat(rp.verified.getSubject().getValue()).isEqualTo(nora.id());

            // a second sign-in reuses the IMSM browser session: straight back to the RP, no login page
            driver.get("http://127.0.0.1:" + rp.http.getAddress().getPort() + "/start");
            wait.until(ExpectedConditions.presenceOfElementLocated(By.tagName("h1")));
            assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Hello nora");
        } finally {
            if (chromium != null) {
                chromium.close();
            }
        }
    }
}
