package io.imsm.server.browser;

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
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.HttpCookie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin pages in a real browser at phone width (390 px): the user list and one account (the
 * confirmation dialog before deleting: dismissed it does nothing, accepted it deletes), the service
 * list and the register form. Tables must not make the page scroll sideways, and the confirmation
 * script must run under the CSP without console errors. Screenshots go to target/screenshots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserAdminTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    private TestServer s;
    private HeadlessChromium chromium;
    private WebDriver driver;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        s = TestServer.start(TestDatabases.Kind.H2);
        chromium = HeadlessChromium.start(390, 844);
        driver = chromium.driver;
        // headless Chromium keeps windows at least 500 px wide; emulate the phone's viewport instead
        chromium.driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
        wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        Files.createDirectories(SCREENSHOTS);
        People.Person admin = People.ready(s, "root", List.of("admin"));
        Http c = s.client();
        assertThat(People.login(s, c, admin).status()).isEqualTo(200);
        HttpCookie session = c.cookies().getCookieStore().getCookies().stream()
                .filter(k -> k.getName().equals("imsm_session")).findFirst().orElseThrow();
        open("/static/favicon.svg");
        driver.manage().addCookie(new Cookie("imsm_session", session.getValue(), "/"));
        s.client().postJson("/api/v1/admin/users", Map.of("username", "invitee", "invite", true, "display_name", "Ina Invited",
                "email", "ina.invited.with.a.long.address@example.com", "roles", List.of("analyst")), "Authorization", BEARER);
        s.client().putJson("/api/v1/admin/services/reports", Map.of("name", "Monthly reports", "binding", "jwks",
                "roles", List.of("analyst", "auditor"), "scopes", List.of("reports:read", "reports:export"), "max_ttl_seconds", 5400),
                "Authorization", BEARER);
    }

    @AfterAll
    void stop() throws Exception {
        HeadlessChromium.closeWith(chromium, s);
    }

    @Test
    void whenAdminWorksOnAnAccountAtPhoneWidth_thenTablesFitAndDeletingAsksFirst() throws IOException {
        String id = People.createUser(s, "tess", "tess-initial-pass-1", List.of("analyst", "auditor"));

        open("/admin/users");
        assertThat(driver.findElement(By.id("users")).getText()).contains("invited");
        assertFitsWidth();
        screenshot("admin-users-390.png");

        open("/admin/users/" + id);
        assertFitsWidth();
        screenshot("admin-user-390.png");

        // dismissed: nothing happens
        driver.findElement(By.id("delete-user")).click();
        wait.until(ExpectedConditions.alertIsPresent());
        assertThat(driver.switchTo().alert().getText()).isEqualTo("Delete tess? This cannot be undone.");
        driver.switchTo().alert().dismiss();
        assertThat(driver.getCurrentUrl()).endsWith("/admin/users/" + id);
        assertThat(s.client().get("/api/v1/admin/users/" + id, "Authorization", BEARER).json().path("status").asText()).isEqualTo("active");

        // accepted: deleted, and the page says so
        driver.findElement(By.id("delete-user")).click();
        wait.until(ExpectedConditions.alertIsPresent());
        driver.switchTo().alert().accept();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("deleted-note")));
        assertThat(driver.findElement(By.id("status")).getText()).isEqualTo("deleted");
        screenshot("admin-user-deleted-390.png");
        assertNoConsoleErrors();
    }

    @Test
    void whenAdminOpensTheServicePagesAtPhoneWidth_thenListAndFormFit() throws IOException {
        open("/admin/services");
        assertThat(driver.findElement(By.id("services")).getText()).contains("Monthly reports").contains("1 h 30 min");
        assertFitsWidth();
        screenshot("admin-services-390.png");

        open("/admin/services/new");
        driver.findElement(By.name("id")).sendKeys("ledger");
        driver.findElement(By.name("name")).sendKeys("Ledger");
        driver.findElement(By.name("scopes")).sendKeys("ledger:read");
        assertFitsWidth();
        screenshot("admin-service-new-390.png");
        driver.findElement(By.id("save")).click();
        // binding kx without its URL: the error sits at that field, what was typed stays
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("error-kx_url")));
        assertThat(driver.findElement(By.name("name")).getAttribute("value")).isEqualTo("Ledger");
        screenshot("admin-service-error-390.png");

        open("/admin/services/reports");
        assertThat(driver.findElement(By.name("max_ttl")).getAttribute("value")).isEqualTo("90");
        assertFitsWidth();
        screenshot("admin-service-390.png");
        assertNoConsoleErrors();
    }

    private void open(String path) {
        driver.get(s.baseUrl() + path);
    }

    /** Nothing is wider than the viewport: the page never scrolls sideways. */
    private void assertFitsWidth() {
        Object widths = ((JavascriptExecutor) driver).executeScript(
                "return [document.documentElement.scrollWidth, window.innerWidth];");
        List<?> w = (List<?>) widths;
        assertThat(((Number) w.get(1)).intValue()).isEqualTo(390);
        assertThat(((Number) w.get(0)).intValue()).as("page width at a %s px viewport", w.get(1))
                .isLessThanOrEqualTo(((Number) w.get(1)).intValue());
    }

    /** Chromium reports a script or style the CSP blocked as a console error. */
    private void assertNoConsoleErrors() {
        List<String> problems = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::getMessage)
                // opening the SVG to set the cookie makes Chromium try /favicon.ico once
                .filter(m -> !m.contains("/favicon.ico - Failed to load resource"))
                // the rejected form is answered with 400 on purpose; Chromium logs every 4xx page load
                .filter(m -> !m.contains("/admin/services - Failed to load resource: the server responded with a status of 400"))
                .toList();
        assertThat(problems).as("browser console warnings and errors").isEmpty();
    }

    private void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }
}
