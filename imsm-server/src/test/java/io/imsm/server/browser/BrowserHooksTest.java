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
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.HttpCookie;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The hooks page in a real browser: a hook saved from pasted JSON shows its secret once; a dead event (an SMS one naming its recipient) is sent again. */
class BrowserHooksTest {
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");

    @Test
    void whenAdminSavesAHookAndReplaysADeadEvent_thenThePageShowsBoth() throws Exception {
        TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("hooks.poll_millis", "100", "hooks.max_attempts", "1"));
        HeadlessChromium chromium = HeadlessChromium.start(1200, 900);
        try {
            int closed;
            try (ServerSocket socket = new ServerSocket(0)) {
                closed = socket.getLocalPort();
            }
            People.Person admin = People.ready(s, "hook-admin", List.of("admin"));
            Http c = s.client();
            assertThat(People.login(s, c, admin).status()).isEqualTo(200);
            HttpCookie session = c.cookies().getCookieStore().getCookies().stream()
                    .filter(k -> k.getName().equals("imsm_session")).findFirst().orElseThrow();
            chromium.driver.get(s.baseUrl() + "/static/favicon.svg");
            chromium.driver.manage().addCookie(new Cookie("imsm_session", session.getValue(), "/"));
            WebDriverWait wait = new WebDriverWait(chromium.driver, Duration.ofSeconds(20));

            chromium.driver.get(s.baseUrl() + "/admin/hooks");
            chromium.driver.findElement(By.id("definition")).sendKeys("{\"id\":\"nowhere\",\"kind\":\"webhook\",\"url\":\"http://127.0.0.1:"
                    + closed + "/hook\",\"events\":[\"user.created\"]}");
            chromium.driver.findElement(By.cssSelector("form[action='/admin/hooks'] button")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("secret")));
            assertThat(chromium.driver.findElement(By.id("secret")).getText()).startsWith("whsec_");
            assertThat(chromium.driver.findElement(By.id("hooks")).getText()).contains("nowhere").contains("user.created");

            // an SMS hook's text to each recipient is a delivery of its own: the dead letter names the number
            Map<String, Object> sms = new java.util.LinkedHashMap<>(Map.of("id", "texts", "kind", "sms", "url", "http://127.0.0.1:" + closed
                    + "/sms", "events", List.of("user.created"), "account_sid", "AC1", "from", "+15550000001", "to", List.of("+15550009999")));
            sms.put("auth_token", "sms-token-1");
            assertThat(s.client().postJson("/api/v1/admin/hooks", sms, "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN).status())
                    .isEqualTo(201);
            // the target is down and one attempt is all: the event is dead at once
            People.createUser(s, "hook-frank", "initial-Kq7v-pass-frank", List.of("ops"));
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            do {
                Thread.sleep(200);
                chromium.driver.get(s.baseUrl() + "/admin/hooks");
            } while (!chromium.driver.findElement(By.id("dead-letters")).getText().contains("+15550009999") && System.nanoTime() < end);
            assertThat(chromium.driver.findElement(By.id("dead-letters")).getText()).contains("user.created").contains("nowhere")
                    .contains("texts").contains("to +15550009999");
            assertThat(chromium.driver.getPageSource()).doesNotContain("whsec_");
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve("admin-hooks.png"), ((TakesScreenshot) chromium.driver).getScreenshotAs(OutputType.BYTES));
            Files.write(SCREENSHOTS.resolve("admin-hooks-dead-letters.png"),
                    chromium.driver.findElement(By.id("dead-letters")).getScreenshotAs(OutputType.BYTES));

            chromium.driver.findElement(By.cssSelector("#dead-letters button")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "queued for delivery again"));
        } finally {
            HeadlessChromium.closeWith(chromium, s);
        }
    }
}
