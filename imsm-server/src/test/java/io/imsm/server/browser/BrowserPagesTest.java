package io.imsm.server.browser;

import io.imsm.server.identity.Totp;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pages people use, in headless Chromium, at desktop width and at 390 px (a phone): the token
 * form keeping what was typed with the error at its field, the token page's copy buttons, live tokens
 * with their limit, justification and local times, confirmation dialogs for revoking and ending
 * sessions, browser names, and error pages that keep the navigation. Screenshots go to
 * target/screenshots (pages-*.png).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserPagesTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    private TestServer s;
    private HeadlessChromium chromium;
    private ChromeDriver driver;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        s = TestServer.start(TestDatabases.Kind.H2);
        Http.Res r = s.client().putJson("/api/v1/admin/services/reports", Map.of("name", "Reports", "binding", "jwks",
                "roles", List.of("ops"), "scopes", List.of("reports:read", "reports:export"), "default_ttl_seconds", 300,
                "max_ttl_seconds", 3600, "fields", List.of("justification"), "allow_request_limit", true),
                "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
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
    void whenPersonUsesTokenAndSettingsPages_thenFormsKeepInputDestructiveActionsAskAndPhonesFit() throws IOException {
        People.Person p = People.ready(s, "pia", List.of("ops"));
        logIn(p);

        // a rejected token request keeps what was typed and says what is wrong, in minutes, at the field
        open("/services/reports");
        driver.findElement(By.id("ttl")).clear();
        driver.findElement(By.id("ttl")).sendKeys("90");
        driver.findElement(By.id("justification")).sendKeys("Quarter close, ticket 7");
        new Select(driver.findElement(By.id("req_method"))).selectByVisibleText("GET");
        driver.findElement(By.id("req_path")).sendKeys("/reports/q3");
        driver.findElement(By.id("req_query")).sendKeys("format=csv");
        // the browser's own max check would stop the form; the server's message is what is tested
        driver.executeScript("document.getElementById('ttl').removeAttribute('max')");
        driver.findElement(By.id("submit")).click();
        WebElement ttlError = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("ttl-error")));
        assertThat(ttlError.getText()).isEqualTo("Give a whole number of minutes from 1 to 60.");
        assertThat(driver.findElement(By.id("justification")).getAttribute("value")).isEqualTo("Quarter close, ticket 7");
        assertThat(driver.findElement(By.id("req_path")).getAttribute("value")).isEqualTo("/reports/q3");
        assertThat(driver.findElement(By.id("ttl")).getAttribute("aria-invalid")).isEqualTo("true");
        screenshot("pages-token-form-error.png");

        driver.findElement(By.id("ttl")).clear();
        driver.findElement(By.id("ttl")).sendKeys("15");
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
        assertThat(driver.findElement(By.id("expires")).getText()).contains("(in 15 min)");
        assertThat(driver.findElement(By.cssSelector("#expires time")).getAttribute("data-local")).as("imsm.js wrote the local time")
                .isEqualTo("yes");
        driver.findElement(By.id("copy-curl")).click();
        wait.until(d -> !d.findElement(By.id("copy-curl")).getText().equals("Copy curl line"));
        assertThat(driver.findElement(By.id("copy-curl")).getText()).isIn("Copied", "Press Ctrl+C");
        screenshot("pages-token-issued.png");

        // home: the live token with its limit, justification and times; revoking asks first
        open("/");
        WebElement row = driver.findElement(By.cssSelector("#tokens tr[data-sid]"));
        assertThat(row.findElement(By.cssSelector("td.limit")).getText()).isEqualTo("GET /reports/q3?format=csv");
        assertThat(row.findElement(By.cssSelector("td.justification")).getText()).isEqualTo("Quarter close, ticket 7");
        assertThat(row.findElement(By.cssSelector("td.issued")).getText()).contains("(just now)");
        assertThat(row.findElement(By.cssSelector("td.expires")).getText()).contains("(in 15 min)");
        scrollTo("tokens");
        screenshot("pages-home.png");
        row.findElement(By.cssSelector("button.danger")).click();
        wait.until(ExpectedConditions.alertIsPresent()).dismiss();
        assertThat(driver.findElements(By.cssSelector("#tokens tr[data-sid]"))).as("cancelled: still live").hasSize(1);
        driver.findElement(By.cssSelector("#tokens tr[data-sid] button.danger")).click();
        assertThat(wait.until(ExpectedConditions.alertIsPresent()).getText()).startsWith("Revoke this reports token?");
        driver.switchTo().alert().accept();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("message"))).getText()).isEqualTo("Token revoked.");
        assertThat(driver.findElements(By.cssSelector("#tokens tr[data-sid]"))).isEmpty();

        // settings: browsers by name, and ending the other sessions asks first
        Http other = s.client();
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(People.login(s, other, p).status()).isEqualTo(200);
        open("/settings");
        List<String> browsers = driver.findElements(By.cssSelector("#sessions td.browser")).stream().map(WebElement::getText).toList();
        assertThat(browsers).contains("Chrome on Linux", "Java HTTP client");
        scrollTo("sessions");
        screenshot("pages-settings.png");
        driver.findElement(By.id("end-others")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("message"))).getText()).isEqualTo("Other sessions ended.");
        assertThat(other.get("/api/v1/me").status()).isEqualTo(401);
        assertThat(driver.findElements(By.cssSelector("#sessions td.browser"))).hasSize(1);

        // an error page keeps the navigation
        open("/no/such/page");
        assertThat(driver.findElement(By.id("error")).getText()).contains("There is nothing at /no/such/page");
        assertThat(driver.findElement(By.id("logout")).isDisplayed()).isTrue();
        screenshot("pages-error.png");

        // a phone, 390 px wide: nothing wider than the screen, rows stacked
        driver.manage().window().setSize(new Dimension(390, 844));
        s.clock.advance(Duration.ofSeconds(30));
        open("/services/reports");
        driver.findElement(By.id("justification")).sendKeys("Phone check");
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
        assertFitsTheScreen();
        screenshot("pages-phone-token-issued.png");
        open("/");
        assertFitsTheScreen();
        assertThat(driver.findElement(By.cssSelector("#tokens thead")).isDisplayed()).as("stacked rows carry their own labels").isFalse();
        scrollTo("tokens");
        screenshot("pages-phone-home.png");
        open("/settings");
        assertFitsTheScreen();
        scrollTo("sessions");
        screenshot("pages-phone-settings.png");
        open("/no/such/page");
        assertFitsTheScreen();
        screenshot("pages-phone-error.png");

        assertNoConsoleProblems();
    }

    private void logIn(People.Person p) {
        open("/login");
        driver.findElement(By.id("username")).sendKeys(p.username());
        driver.findElement(By.id("password")).sendKeys(p.password());
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("otp"))).sendKeys(Totp.code(p.totpSecret(), s.clock.instant()));
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("welcome")));
    }

    private void assertFitsTheScreen() {
        long scrollWidth = ((Number) driver.executeScript("return document.documentElement.scrollWidth")).longValue();
        long viewport = ((Number) driver.executeScript("return window.innerWidth")).longValue();
        assertThat(scrollWidth).as("page width at %s px on %s", viewport, driver.getCurrentUrl()).isLessThanOrEqualTo(viewport);
    }

    private void scrollTo(String id) {
        driver.executeScript("document.getElementById(arguments[0]).scrollIntoView()", id);
    }

    private void open(String path) {
        driver.get(s.baseUrl() + path);
    }

    private void assertNoConsoleProblems() {
        List<String> problems = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::getMessage)
                // the 404 and 400 answers this test asks for on purpose are logged as failed loads
                .filter(m -> !(m.contains("Failed to load resource") && (m.contains("/no/such/page") || m.contains("/services/reports"))))
                .toList();
        assertThat(problems).as("browser console warnings and errors").isEmpty();
    }

    private void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }
}
