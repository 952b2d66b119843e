package io.imsm.examples.search;

import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.HeadlessChromium;
import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A person in a real browser: log in, pick the demo service, fill the form, get the token, use it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserTokenTest {
    static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
    MutableClock clock = MutableClock.startingNow();
    DemoMain.Demo demo;
    HeadlessChromium chromium;
    WebDriver driver;

    @BeforeAll
    void start() throws Exception {
        Path data = Files.createTempDirectory("imsm-demo-browser");
        Config cfg = ConfigLoader.load(Optional.empty(), Map.of(), new HashMap<>(Map.of("server.port", "0", "data_dir", data.toString(),
                "passwords.argon2_memory_kib", "1024", "passwords.argon2_iterations", "1")));
        demo = DemoMain.start(cfg, clock, Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        chromium = HeadlessChromium.start(1280, 1000);
        driver = chromium.driver;
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (chromium != null) {
                chromium.close();
            }
        } finally {
            if (demo != null) {
                demo.close();
            }
        }
    }

    @Test
    void whenPersonRequestsTokenInTheBrowser_thenTheDemoServiceAcceptsItForThatRequestOnly() throws Exception {
        DemoMain.DemoUser alice = demo.users().get(0);
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        driver.get(demo.ims().baseUrl() + "/login");
        driver.findElement(By.id("username")).sendKeys(alice.username());
        driver.findElement(By.id("password")).sendKeys(alice.password());
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("otp")))
                .sendKeys(Totp.code(alice.totpSecret(), clock.instant()));
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("services-menu")));
        driver.findElement(By.cssSelector("li[data-service='transaction-search'] a")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("token-form")));
        driver.findElement(By.id("justification")).sendKeys("Fraud case 7, customer call");
        new Select(driver.findElement(By.id("req_method"))).selectByVisibleText("GET");
        driver.findElement(By.id("req_path")).sendKeys("/search");
        driver.findElement(By.id("req_query")).sendKeys("account=12345");
        driver.findElement(By.id("submit")).click();
        String token = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("token"))).getAttribute("value").trim();
        assertThat(driver.findElement(By.id("limit")).getText()).isEqualTo("GET /search?account=12345");
        assertThat(driver.findElement(By.id("curl")).getText()).contains(demo.service().baseUrl() + "/search?account=12345");
        Files.write(SCREENSHOTS.resolve("token.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(demo.service().baseUrl() + "/search?account=12345"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(demo.service().baseUrl() + "/search?account=99"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(403);

        driver.get(demo.ims().baseUrl() + "/");
        assertThat(driver.findElements(By.cssSelector("#tokens tr[data-sid]"))).hasSize(1);
        Files.write(SCREENSHOTS.resolve("home-with-token.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }
}
