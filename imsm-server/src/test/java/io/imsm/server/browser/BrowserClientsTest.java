package io.imsm.server.browser;

import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.HttpCookie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OAuth clients page in a real browser: a refused registration keeps the form and says why; a confidential
 * client's secret is shown once and works at the token endpoint; a new secret (asked first) works too; deleting
 * (asked first) ends the client.
 */
class BrowserClientsTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    @Test
    void whenAdminRegistersAClientOnThePage_thenItsSecretIsShownOnceAndGetsATokenUntilDeleted() throws Exception {
        TestServer s = TestServer.start(TestDatabases.Kind.H2);
        HeadlessChromium chromium = HeadlessChromium.start(1200, 1000);
        try {
            WebDriver d = chromium.driver;
            People.Person admin = People.ready(s, "client-admin", List.of("admin"));
            Http c = s.client();
            assertThat(People.login(s, c, admin).status()).isEqualTo(200);
            HttpCookie session = c.cookies().getCookieStore().getCookies().stream()
                    .filter(k -> k.getName().equals("imsm_session")).findFirst().orElseThrow();
            d.get(s.baseUrl() + "/static/favicon.svg");
            d.manage().addCookie(new Cookie("imsm_session", session.getValue(), "/"));
            WebDriverWait wait = new WebDriverWait(d, Duration.ofSeconds(20));

            // refused: a public client cannot use client_credentials; the form keeps what was typed
            d.get(s.baseUrl() + "/admin/clients");
            assertThat(d.findElement(By.cssSelector("nav a[href='/admin/clients']")).getText()).isEqualTo("Clients");
            d.findElement(By.id("client-name")).sendKeys("Nightly reports");
            d.findElement(By.id("client-id")).sendKeys("nightly");
            new Select(d.findElement(By.id("client-type"))).selectByValue("public");
            d.findElement(By.cssSelector("input[name='grant_types'][value='client_credentials']")).click();
            d.findElement(By.cssSelector("#register-form button")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("error")));
            assertThat(d.findElement(By.id("error")).getText()).contains("public client cannot use client_credentials");
            assertThat(d.findElement(By.id("client-name")).getAttribute("value")).isEqualTo("Nightly reports");
            assertThat(d.findElements(By.id("secret"))).isEmpty();

            // registered as confidential, secret in the form body
            new Select(d.findElement(By.id("client-type"))).selectByValue("confidential");
            assertThat(d.findElement(By.cssSelector("input[name='grant_types'][value='client_credentials']")).isSelected()).isTrue();
            new Select(d.findElement(By.id("auth-method"))).selectByValue("client_secret_post");
            d.findElement(By.id("scopes")).sendKeys("openid");
            d.findElement(By.cssSelector("#register-form button")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("secret")));
            String secret = d.findElement(By.id("secret")).getText();
            assertThat(d.findElement(By.id("secret-client")).getText()).isEqualTo("nightly");
            assertThat(d.findElement(By.id("clients")).getText()).contains("nightly").contains("Nightly reports")
                    .contains("client_credentials").contains("client_secret_post");
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve("admin-clients.png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));

            assertThat(token(s, "nightly", secret).status()).isEqualTo(200);
            assertThat(token(s, "nightly", secret).json().path("access_token").asText()).isNotEmpty();
            assertThat(token(s, "nightly", secret + "x").status()).isEqualTo(401);
            d.get(s.baseUrl() + "/admin/clients");
            assertThat(d.getPageSource()).doesNotContain(secret);

            // a new secret, asked first; the new one works
            d.findElement(By.cssSelector("form[action='/admin/clients/nightly/rotate-secret'] button")).click();
            wait.until(ExpectedConditions.alertIsPresent());
            assertThat(d.switchTo().alert().getText()).startsWith("Make a new secret for nightly?");
            d.switchTo().alert().accept();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("secret")));
            String rotated = d.findElement(By.id("secret")).getText();
            assertThat(rotated).isNotEqualTo(secret);
            assertThat(token(s, "nightly", rotated).status()).isEqualTo(200);

            // deleted, asked first: dismissed keeps it, accepted ends it
            d.findElement(By.cssSelector("form[action='/admin/clients/nightly/delete'] button")).click();
            wait.until(ExpectedConditions.alertIsPresent());
            d.switchTo().alert().dismiss();
            assertThat(token(s, "nightly", rotated).status()).isEqualTo(200);
            d.findElement(By.cssSelector("form[action='/admin/clients/nightly/delete'] button")).click();
            wait.until(ExpectedConditions.alertIsPresent());
            d.switchTo().alert().accept();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Client nightly deleted."));
            assertThat(d.findElement(By.id("clients")).getText()).doesNotContain("nightly");
            assertThat(token(s, "nightly", rotated).status()).isEqualTo(401);
        } finally {
            HeadlessChromium.closeWith(chromium, s);
        }
    }

    /** A client_credentials request with client_secret_post, as a client would send it. */
    private static Http.Res token(TestServer s, String clientId, String secret) {
        return s.client().postForm("/oauth2/token", Http.form("grant_type", "client_credentials", "client_id", clientId,
                "client_secret", secret));
    }
}
