package io.imsm.server.browser;

import io.imsm.server.identity.Totp;
import io.imsm.server.support.Http;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page login in a real browser (Debian's headless Chromium): first login with the initial
 * password, forced password change, authenticator enrollment, recovery codes, home page, logout and
 * a second login with password and TOTP. Selenium is pointed at the installed browser and driver, so
 * Selenium Manager never downloads anything; a missing browser or driver fails the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserLoginTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    private TestServer s;
    private HeadlessChromium chromium;
    private WebDriver driver;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        s = TestServer.start(TestDatabases.Kind.H2);
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
    void whenNewUserLogsInThroughThePages_thenPasswordChangeEnrollmentAndSecondLoginWork() throws IOException {
        String initial = "initial-browser-pass-1";
        String changed = "changed-browser-pass-2";
        People.createUser(s, "bella", initial, List.of("analyst"));

        // first login: the initial password, then the forced password change
        open("/login");
        assertStyled();
        screenshot("login.png");
        logIn("bella", initial);
        wait.until(ExpectedConditions.urlToBe(url("/settings/password")));
        assertThat(driver.findElement(By.id("forced")).getText()).contains("You must choose a new password");
        driver.findElement(By.id("current_password")).sendKeys(initial);
        driver.findElement(By.id("new_password")).sendKeys(changed);
        driver.findElement(By.id("new_password2")).sendKeys(changed);
        driver.findElement(By.id("submit")).click();

        // then the authenticator enrollment (the policy requires a second factor for everyone)
        wait.until(ExpectedConditions.urlToBe(url("/settings/totp")));
        driver.findElement(By.id("start")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("qr")));
        WebElement qr = driver.findElement(By.id("qr"));
        assertThat(((Number) ((ChromeDriver) driver).executeScript("return arguments[0].naturalWidth", qr)).intValue())
                .as("the QR code (a data: URL image) renders").isPositive();
        screenshot("totp.png");
        String secret = driver.findElement(By.id("secret")).getText().trim();
        assertThat(secret).matches("[A-Z2-7]{16,}");
        driver.findElement(By.id("code")).sendKeys(Totp.code(secret, s.clock.instant()));
        driver.findElement(By.id("submit")).click();

        // ten recovery codes, shown once
        List<WebElement> codes = wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#recovery-codes li"), 10));
        assertThat(codes.stream().map(WebElement::getText).distinct()).hasSize(10);
        screenshot("recovery-codes.png");
        driver.findElement(By.id("continue")).click();

        // the home page
        wait.until(ExpectedConditions.urlToBe(url("/")));
        assertThat(driver.findElement(By.id("welcome")).getText()).isEqualTo("Welcome, bella");
        WebElement menu = driver.findElement(By.id("settings-menu"));
        assertThat(menu.findElements(By.tagName("li"))).hasSize(5);
        assertThat(menu.getText()).contains("Change password").contains("authenticator app set up").contains("10 left");
        assertThat(menu.findElement(By.linkText("Change password")).getAttribute("href")).isEqualTo(url("/settings/password"));
        assertStyled();
        screenshot("home.png");

        // the home page response itself carries the security headers (checked outside the browser)
        Cookie session = driver.manage().getCookieNamed("imsm_session");
        assertThat(session).isNotNull();
        assertThat(session.isHttpOnly()).isTrue();
        Http.Res home = s.client().get("/", "Cookie", "imsm_session=" + session.getValue());
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("id=\"welcome\"");
        assertThat(home.header("Content-Security-Policy")).contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");

        // log out
        driver.findElement(By.id("logout")).click();
        wait.until(ExpectedConditions.urlToBe(url("/login")));
        open("/");
        wait.until(ExpectedConditions.urlToBe(url("/login")));

        // second login: password, then a fresh code from the next TOTP step
        logIn("bella", changed);
        wait.until(ExpectedConditions.urlToBe(url("/login/otp")));
        s.clock.advance(Duration.ofSeconds(30));
        driver.findElement(By.id("otp")).sendKeys(Totp.code(secret, s.clock.instant()));
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.urlToBe(url("/")));
        assertThat(driver.findElement(By.id("welcome")).getText()).isEqualTo("Welcome, bella");
        assertThat(driver.manage().getCookieNamed("imsm_session").getValue())
                .as("the session id rotates at each login").isNotEqualTo(session.getValue());

        assertNoCspViolations();
    }

    private void logIn(String username, String password) {
        if (!driver.getCurrentUrl().equals(url("/login"))) {
            open("/login");
        }
        driver.findElement(By.id("username")).sendKeys(username);
        driver.findElement(By.id("password")).sendKeys(password);
        driver.findElement(By.id("submit")).click();
    }

    private void open(String path) {
        driver.get(url(path));
    }

    private String url(String path) {
        return s.baseUrl() + path;
    }

    /** The stylesheet loaded and applied (a CSP or MIME-type mistake would leave the page unstyled). */
    private void assertStyled() {
        WebElement header = driver.findElement(By.cssSelector("header.top"));
        assertThat(header.getCssValue("background-color")).isEqualTo("rgba(29, 35, 48, 1)");
        assertThat(driver.findElement(By.tagName("main")).getCssValue("max-width")).isEqualTo("1000px");
    }

    /** Chromium reports every blocked resource or inline script/style as a console error. */
    private void assertNoCspViolations() {
        List<String> problems = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::getMessage)
                .toList();
        assertThat(problems).as("browser console warnings and errors").isEmpty();
    }

    private void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name), png);
    }
}
