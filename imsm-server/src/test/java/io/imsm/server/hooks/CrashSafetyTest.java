package io.imsm.server.hooks;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.app.Main;
import io.imsm.server.support.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event outbox survives a crash: `imsm serve` as its own process is killed with SIGKILL after the
 * change committed and before the event was delivered; started again on the same data, it delivers
 * the event with the same webhook-id.
 */
class CrashSafetyTest {
    static final String TOKEN = "crash-test-bootstrap-token-0123456789abcdef";
    @TempDir Path dir;

    @Test
    void whenKilledBeforeDelivery_thenDeliveredAfterRestartWithTheSameWebhookId() throws Exception {
        WireMockServer target = HookTargets.start();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("imsm.yaml");
        Files.writeString(config, """
                hooks:
                  poll_millis: 100
                  timeout_seconds: 2
                  retry_base_seconds: 1
                  retry_max_seconds: 2
                passwords:
                  argon2_memory_kib: 1024
                  argon2_iterations: 1
                """);
        Path data = dir.resolve("data");
        Process first = start(port, config, data, "first.log");
        try {
            target.stubFor(post(urlEqualTo("/crash")).willReturn(aResponse().withStatus(503)));
            Http admin = new Http("http://127.0.0.1:" + port);
            String bearer = "Bearer " + TOKEN;
            Http.Res hook = admin.postJson("/api/v1/admin/hooks", Map.of("id", "survivor", "kind", "webhook",
                    "url", "http://127.0.0.1:" + target.port() + "/crash", "events", List.of("user.created")), "Authorization", bearer);
            assertThat(hook.status()).as(hook.toString()).isEqualTo(201);
            String secret = hook.json().path("secret").asText();
            Http.Res user = admin.postJson("/api/v1/admin/users", Map.of("username", "crash-erin", "password", "initial-Kq7v-pass-crash",
                    "roles", List.of("ops")), "Authorization", bearer);
            assertThat(user.status()).as(user.toString()).isEqualTo(201);
            // committed; the target refuses it, so it is not delivered: now the process dies without a word
            String id = HookTargets.awaitRequests(target, "/crash", 1, Duration.ofSeconds(30)).getFirst().getHeader("webhook-id");
            first.destroyForcibly(); // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).isEqualTo(137);

            target.resetAll();
            target.stubFor(post(urlEqualTo("/crash")).willReturn(ok()));
            Process second = start(port, config, data, "second.log");
            try {
                LoggedRequest delivered = HookTargets.awaitRequests(target, "/crash", 1, Duration.ofSeconds(60)).getFirst();
                assertThat(delivered.getHeader("webhook-id")).isEqualTo(id);
                assertThat(delivered.getHeader("webhook-signature")).isEqualTo(HookTargets.expectedSignature(secret, delivered));
                assertThat(NotificationHooksTest.read(delivered.getBodyAsString()).path("data").path("user").asText()).isEqualTo("crash-erin");
                Thread.sleep(1000);
                assertThat(target.getAllServeEvents()).hasSize(1); // delivered, so not sent again
            } finally {
                stop(second);
            }
        } finally {
            stop(first);
            target.stop();
        }
    }

    private Process start(int port, Path config, Path data, String log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--port", Integer.toString(port), "--data", data.toString(), "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("IMSM_"));
        pb.environment().put("IMSM_BOOTSTRAP_TOKEN", TOKEN);
        Process p = pb.start();
        Http probe = new Http("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                if (probe.get("/readyz").status() == 200) {
                    return p;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        stop(p);
        throw new AssertionError("IMSM did not start:\n" + Files.readString(dir.resolve(log)));
    }

    private static void stop(Process p) throws InterruptedException {
        if (p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
