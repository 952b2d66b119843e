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
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.HttpCookie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The approval flow in a real browser with two people: the requester asks on the service form and
 * sees the request on the home page; the approver finds it in the queue and approves with a
 * comment; the requester picks the token up. Screenshots go to target/screenshots.
 */
class BrowserApprovalTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
    private static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenRequesterAsksAndApproverApprovesInTheQueue_thenRequesterPicksUpTheToken() throws Exception {
        TestServer s = TestServer.start(TestDatabases.Kind.H2);
        HeadlessChromium chromium = HeadlessChromium.start(1100, 900);
        try {
            WebDriver driver = chromium.driver;
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
            Files.createDirectories(SCREENSHOTS);
            assertThat(s.client().putJson("/api/v1/admin/services/payroll", Map.of("name", "Payroll", "binding", "jwks",
                    "description", "Salaries and bank details", "roles", List.of("dev"), "scopes", List.of("pay:read"),
                    "fields", List.of("justification"), "approval", Map.of("approvals", 1, "approver_roles", List.of("lead"))),
                    "Authorization", BEARER).status()).isEqualTo(201);
            People.Person dana = People.ready(s, "dana", List.of("dev"));
            People.Person lee = People.ready(s, "lee", List.of("lead", "admin"));

            as(s, driver, dana);
            driver.get(s.baseUrl() + "/services/payroll");
            assertThat(driver.findElement(By.id("approval-note")).getText()).contains("needs approval");
            driver.findElement(By.id("justification")).sendKeys("November payroll run");
            driver.findElement(By.id("submit")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("status")));
            assertThat(driver.findElement(By.id("status")).getText()).isEqualTo("pending");
            assertThat(driver.findElement(By.id("message")).getText()).isEqualTo("Access requested.");
            assertThat(driver.findElements(By.id("approve"))).as("no approve button for the requester").isEmpty();
            screenshot(driver, "request-pending.png");
            driver.get(s.baseUrl() + "/");
            assertThat(driver.findElement(By.id("requests")).getText()).contains("Payroll").contains("pending");
            screenshot(driver, "home-requests.png");

            as(s, driver, lee);
            driver.get(s.baseUrl() + "/requests");
            assertThat(driver.findElement(By.id("queue")).getText()).contains("dana").contains("November payroll run");
            screenshot(driver, "approver-queue.png");
            driver.findElement(By.cssSelector("#queue a.button")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("approve")));
            driver.findElement(By.id("comment")).sendKeys("OK for this run");
            screenshot(driver, "request-review.png");
            driver.findElement(By.id("approve")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
            assertThat(driver.findElement(By.id("status")).getText()).isEqualTo("approved");
            assertThat(driver.findElement(By.id("history")).getText()).contains("lee").contains("OK for this run");
            driver.get(s.baseUrl() + "/admin/audit?action=access_approve");
            assertThat(driver.findElement(By.id("audit")).getText()).contains("access_approve").contains("lee");
            screenshot(driver, "admin-audit.png");

            as(s, driver, dana);
            driver.get(s.baseUrl() + "/");
            assertThat(driver.findElement(By.id("requests")).getText()).contains("approved");
            screenshot(driver, "home-pickup.png");
            driver.findElement(By.cssSelector("#requests button.pickup")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
            assertThat(driver.findElement(By.id("token")).getAttribute("value")).startsWith("eyJ");
            screenshot(driver, "request-token.png");
            driver.get(s.baseUrl() + "/");
            assertThat(driver.findElements(By.id("requests"))).as("a picked-up request leaves the home page").isEmpty();
            assertThat(driver.findElement(By.id("tokens")).getText()).contains("payroll");
        } finally {
            HeadlessChromium.closeWith(chromium, s);
        }
    }

    /** Makes the browser this person: a fresh login over the API, its session cookie in the browser. */
    private static void as(TestServer s, WebDriver driver, People.Person p) {
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        HttpCookie session = c.cookies().getCookieStore().getCookies().stream()
                .filter(k -> k.getName().equals("imsm_session")).findFirst().orElseThrow();
        driver.get(s.baseUrl() + "/static/favicon.svg");
        driver.manage().deleteAllCookies();
        driver.manage().addCookie(new Cookie("imsm_session", session.getValue(), "/"));
        s.clock.advance(Duration.ofSeconds(30));
    }

    private static void screenshot(WebDriver driver, String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }
}
