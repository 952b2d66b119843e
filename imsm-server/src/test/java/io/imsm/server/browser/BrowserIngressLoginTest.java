package io.imsm.server.browser;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.server.support.Nginx;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingress sign-in round trip in a real browser: Debian's nginx with the {@code deploy/nginx} example
 * in front of a test backend, a page without a login sent to IMSM's login page with {@code rd}, password
 * and TOTP there, and back to the page, which now passes with the person's identity; an {@code rd}
 * outside the allowed hosts ends on IMSM's home page instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserIngressLoginTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    private TestServer s;
    private HttpServer backend;
    private Nginx nginx;
    private HeadlessChromium chromium;
    private WebDriver driver;
    private WebDriverWait wait;
    private People.Person paula;
    private final AtomicReference<Headers> seen = new AtomicReference<>();

    @BeforeAll
    void start() throws Exception {
        // nginx and IMSM share the host name 127.0.0.1 (ports do not separate cookies), as one site would
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("scopes", TestScopes.MAPPING, "server.trusted_proxies", "127.0.0.1",
                "ingress.redirect_hosts", "127.0.0.1"));
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", ex -> {
            seen.set(ex.getRequestHeaders());
            byte[] body = "<!DOCTYPE html><title>app</title><p id=\"app\">backend ok</p>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        nginx = Nginx.startExample(s.server.port(), backend.getAddress().getPort(), "");
        paula = People.ready(s, "paula", List.of("analyst"), Map.of("email", "paula@example.org"));
        chromium = HeadlessChromium.start(1280, 900);
        driver = chromium.driver;
        wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (nginx != null) {
                nginx.close();
            }
            if (backend != null) {
                backend.stop(0);
            }
        } finally {
            HeadlessChromium.closeWith(chromium, s);
        }
    }

    @Test
    void whenPageNeedsALogin_thenTheBrowserLogsInAtImsmAndComesBackToThePage() throws IOException {
        freshBrowser();
        String page = "http://127.0.0.1:" + nginx.port + "/app/reports?q=1";
        driver.get(page);
        String login = s.baseUrl() + "/login?rd=" + URLEncoder.encode(page, StandardCharsets.UTF_8);
        wait.until(ExpectedConditions.urlToBe(login));
        assertThat(driver.findElement(By.cssSelector("header.top")).getCssValue("background-color")).isEqualTo("rgba(29, 35, 48, 1)");
        Files.write(SCREENSHOTS.resolve("login-from-ingress.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));

        logIn();
        wait.until(ExpectedConditions.urlToBe(page));
        assertThat(driver.findElement(By.id("app")).getText()).isEqualTo("backend ok");
        Headers h = seen.get();
        assertThat(h.getFirst("X-Auth-Request-User")).isEqualTo("paula");
        assertThat(h.getFirst("X-Auth-Request-Email")).isEqualTo("paula@example.org");
        assertThat(h.getFirst("X-Auth-Request-Scopes")).contains("read:data");
        assertThat(String.valueOf(h.get("Cookie"))).as("IMSM's session cookie stays with nginx").doesNotContain("imsm_session");
    }

    @Test
    void whenRdPointsElsewhere_thenTheLoginEndsOnImsmsHomePage() {
        freshBrowser();
        driver.get(s.baseUrl() + "/login?rd=" + URLEncoder.encode("//evil.example/steal", StandardCharsets.UTF_8));
        logIn();
        wait.until(ExpectedConditions.urlToBe(s.baseUrl() + "/"));
        assertThat(driver.findElement(By.id("welcome")).getText()).isEqualTo("Welcome, paula");
    }

    /** No cookies of the other test (cookies belong to the host, whatever the port). */
    private void freshBrowser() {
        driver.get(s.baseUrl() + "/login");
        driver.manage().deleteAllCookies();
    }

    private void logIn() {
        driver.findElement(By.id("username")).sendKeys(paula.username());
        driver.findElement(By.id("password")).sendKeys(paula.password());
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.urlToBe(s.baseUrl() + "/login/otp"));
        s.clock.advance(Duration.ofSeconds(30));
        driver.findElement(By.id("otp")).sendKeys(Totp.code(paula.totpSecret(), s.clock.instant()));
        driver.findElement(By.id("submit")).click();
    }
}
