package io.imsm.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line in its own process: SIGHUP reloads the file (its modification time kept, so the file watch cannot be what reloaded). */
class ProxyMainTest {
    @TempDir
    Path dir;

    @Test
    void whenSentSighup_thenTheChangedFileIsInEffect() throws Exception {
        try (PlainUpstream upstream = new PlainUpstream(); HttpClient http = HttpClient.newHttpClient()) {
            Path config = dir.resolve("proxy.yaml");
            String base = """
                    upstream: {url: "%s"}
                    imsm: {issuer: "http://127.0.0.1:9"}
                    service: {id: s}
                    """.formatted(upstream.url());
            Files.writeString(config, base);
            FileTime written = Files.getLastModifiedTime(config);
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), ProxyMain.class.getName(), "--config", config.toString())
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                int port = -1;
                Pattern listening = Pattern.compile("listening on port (\\d+)");
                for (String line; port < 0 && (line = out.readLine()) != null; ) {
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        port = Integer.parseInt(m.group(1));
                    }
                }
                assertThat(port).as("the proxy started").isPositive();
                Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // keep the pipe drained
                URI open = URI.create("http://127.0.0.1:" + port + "/open");
                assertThat(http.send(HttpRequest.newBuilder(open).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

                Files.writeString(config, base + "routes: [{prefix: /open, public: true}]\n");
                Files.setLastModifiedTime(config, written);
                Thread.sleep(ImsmProxy.WATCH_INTERVAL.toMillis() + 500);
                assertThat(http.send(HttpRequest.newBuilder(open).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                        .as("not reloaded without the signal").isEqualTo(401);
                assertThat(new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor()).isZero();
                int status = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (status != 200 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    status = http.send(HttpRequest.newBuilder(open).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
                }
                assertThat(status).isEqualTo(200);
                assertThat(p.isAlive()).isTrue();
            } finally {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
