package io.imsm.server.browser;

import io.imsm.server.identity.Totp;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestScopes;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Tokens page in headless Chromium: the scopes on the settings page, create (the token shown once
 * and working), rename, change scopes, the history, delete. Screenshots: target/screenshots/tokens-*.png.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserApiTokensTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
    private TestServer s;
    private HeadlessChromium chromium;
    private ChromeDriver driver;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("scopes", TestScopes.MAPPING));
        chromium = HeadlessChromium.start(1280, 900);
        driver = chromium.driver;
        wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() throws Exception {
        HeadlessChromium.closeWith(chromium, s);
    }

    @Test
    void whenPersonManagesTokensOnThePage_thenTheTokenIsShownOnceWorksAndItsHistoryShowsEveryChange() throws IOException {
        People.Person p = People.ready(s, "tia", List.of("analyst", "editor"));
        driver.get(s.baseUrl() + "/login");
        driver.findElement(By.id("username")).sendKeys(p.username());
        driver.findElement(By.id("password")).sendKeys(p.password());
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("otp"))).sendKeys(Totp.code(p.totpSecret(), s.clock.instant()));
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("welcome")));

        driver.get(s.baseUrl() + "/settings");
        assertThat(driver.findElements(By.cssSelector("#scopes code.scope")).stream().map(WebElement::getText).toList())
                .containsExactly("read:data", "user:token", "write:data");
        driver.findElement(By.id("tokens-link")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("none")));

        driver.findElement(By.id("token-name")).sendKeys("notebook");
        driver.findElement(By.cssSelector("#create input[value='read:data']")).click();
        driver.findElement(By.cssSelector("#create input[value='write:data']")).click();
        driver.findElement(By.id("token-days")).sendKeys("30");
        driver.findElement(By.id("create-token")).click();
        String token = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("new-token"))).getAttribute("value");
        assertThat(token).startsWith("imsm_");
        assertThat(driver.findElement(By.cssSelector("#tokens tr[data-token] td[data-label='Scopes']")).getText()).isEqualTo("read:data write:data");
        assertThat(driver.findElement(By.cssSelector("#tokens tr[data-token] td[data-label='Expires']")).getText()).contains("in 30 days");
        screenshot("tokens-created.png");
        // it works, and it is never shown again
        Http script = s.client();
        assertThat(script.get("/ingress/auth?scope=write:data", "Authorization", "Bearer " + token).status()).isEqualTo(200);
        driver.get(s.baseUrl() + "/tokens");
        assertThat(driver.getPageSource()).doesNotContain(token.substring(token.indexOf('.') + 1));

        // rename and narrow the scopes on the token's page
        driver.findElement(By.linkText("notebook")).click();
        WebElement name = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("rename")));
        name.clear();
        name.sendKeys("laptop notebook");
        driver.findElement(By.id("save-name")).click();
        assertThat(wait.until(ExpectedConditions.presenceOfElementLocated(By.id("message"))).getText()).isEqualTo("Token renamed.");
        driver.findElement(By.cssSelector("#details input[value='write:data']")).click();
        driver.findElement(By.id("save-scopes")).click();
        assertThat(wait.until(ExpectedConditions.presenceOfElementLocated(By.id("message"))).getText()).isEqualTo("Scopes saved.");
        assertThat(script.get("/ingress/auth?scope=write:data", "Authorization", "Bearer " + token).status()).isEqualTo(403);
        assertThat(driver.findElements(By.cssSelector("#history tr[data-event]")).stream().map(r -> r.getAttribute("data-event")).toList())
                .containsExactly("scopes_changed", "renamed", "created");
        assertThat(driver.findElement(By.cssSelector("#history tr[data-event='renamed'] td[data-label='Details']")).getText())
                .isEqualTo("notebook -> laptop notebook");
        driver.executeScript("document.getElementById('history').scrollIntoView()");
        screenshot("tokens-history.png");

        // delete asks first, then the token stops working at once
        driver.get(s.baseUrl() + "/tokens");
        driver.findElement(By.cssSelector("#tokens tr[data-token] button.danger")).click();
        assertThat(wait.until(ExpectedConditions.alertIsPresent()).getText()).startsWith("Delete this token?");
        driver.switchTo().alert().accept();
        assertThat(wait.until(ExpectedConditions.presenceOfElementLocated(By.id("message"))).getText()).isEqualTo("Token deleted.");
        assertThat(driver.findElements(By.cssSelector("#tokens tr[data-token]"))).isEmpty();
        assertThat(script.get("/ingress/auth", "Authorization", "Bearer " + token).status()).isEqualTo(401);

        // at phone width the page fits
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        driver.get(s.baseUrl() + "/tokens");
        long scrollWidth = ((Number) driver.executeScript("return document.documentElement.scrollWidth")).longValue();
        long viewport = ((Number) driver.executeScript("return window.innerWidth")).longValue();
        assertThat(scrollWidth).isLessThanOrEqualTo(viewport);
        screenshot("tokens-phone.png");
    }

    private void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }
}
