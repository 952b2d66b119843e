package io.imsm.server.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** `imsm serve` as its own process: embedded default, printed bootstrap admin, health, clean refusal of bad config. */
class ServeCommandTest {
    @TempDir Path dir;

    private Process start(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("IMSM_"));
        return pb.start();
    }

    @Test
    void whenServeOnEmbeddedDefault_thenAdminPrintedOnceAndHealthy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = dir.resolve("data");
        String output = runUntilListening(start("serve", "--port", Integer.toString(port), "--data", data.toString()), port);
        assertThat(output).contains("IMSM bootstrap admin created").contains("username: admin").containsPattern("password: \\S{20}");
        assertThat(Files.exists(data.resolve("kek"))).isTrue();
        assertThat(Files.exists(data.resolve("imsm.mv.db"))).isTrue();
        // second start on the same data: no new admin, no password printed
        String second = runUntilListening(start("serve", "--port", Integer.toString(port), "--data", data.toString()), port);
        assertThat(second).doesNotContain("bootstrap admin created").doesNotContain("password:");
    }

    @Test
    void whenConfigHasUnknownKey_thenExitsWithMessage() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "server:\n  prot: 1\n");
        Process p = start("serve", "--config", cfg.toString(), "--data", dir.resolve("d2").toString());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("unknown configuration key 'server.prot'");
    }

    private static String runUntilListening(Process p, int port) throws Exception {
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            String line;
            while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
                out.append(line).append('\n');
                if (line.startsWith("IMSM is listening on")) {
                    break;
                }
            }
            assertThat(out.toString()).contains("IMSM is listening on http://127.0.0.1:" + port);
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> ready = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.body()).contains("\"ready\"");
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        return out.toString();
    }
}
