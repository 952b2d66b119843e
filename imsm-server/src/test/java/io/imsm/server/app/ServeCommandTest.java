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
    void whenServeHasOnlyPlainOptions_thenTheFastPathReadsWhatPicocliReads() {
        List<String[]> plain = List.of(new String[] {"serve"}, new String[] {"serve", "--port", "8080"},
                new String[] {"serve", "--data", "/var/lib/imsm", "--port", "0", "--config", "imsm.yaml"},
                new String[] {"serve", "--config", "a b.yaml", "--data", "d"});
        for (String[] args : plain) {
            Main.Serve fast = Main.Serve.plain(args);
            assertThat(fast).as(String.join(" ", args)).isNotNull();
            Main.Serve picked = (Main.Serve) new picocli.CommandLine(new Main()).parseArgs(args).subcommand().commandSpec().userObject();
            assertThat(fast.config).isEqualTo(picked.config);
            assertThat(fast.port).isEqualTo(picked.port);
            assertThat(fast.data).isEqualTo(picked.data);
        }
        List<String[]> forPicocli = List.of(new String[] {}, new String[] {"migrate"}, new String[] {"serve", "--help"},
                new String[] {"serve", "--port=80"}, new String[] {"serve", "--port", "x"}, new String[] {"serve", "--port", "1", "--port", "2"},
                new String[] {"serve", "--data"}, new String[] {"serve", "--verbose", "x"}, new String[] {"serve", "--data", "--port"},
                new String[] {"serve", "-h", "x"}, new String[] {"serve", "--config", "a", "--config", "b"});
        for (String[] args : forPicocli) {
            assertThat(Main.Serve.plain(args)).as(String.join(" ", args)).isNull();
        }
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

    @Test
    void whenPortIsBusyOnFirstStart_thenNoAdminIsCreated_andTheNextStartShowsIt() throws Exception {
        Path data = dir.resolve("busy");
        int port;
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = taken.getLocalPort();
            Process p = start("serve", "--port", Integer.toString(port), "--data", data.toString());
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).isNotZero();
            assertThat(out).doesNotContain("bootstrap admin created").doesNotContain("password:");
        }
        String second = runUntilListening(start("serve", "--port", Integer.toString(port), "--data", data.toString()), port);
        assertThat(second).contains("IMSM bootstrap admin created").containsPattern("password: \\S{20}");
    }

    @Test
    void whenStartedTwiceOnOneDataDirectory_thenTheSecondSaysWhoHoldsItOnce() throws Exception {
        int port = freePort();
        Path data = dir.resolve("twice");
        Process first = start("serve", "--port", Integer.toString(port), "--data", data.toString());
        try {
            readUntilListening(first, port);
            Process second = start("serve", "--port", Integer.toString(freePort()), "--data", data.toString());
            assertThat(second.waitFor(90, TimeUnit.SECONDS)).isTrue();
            String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(second.exitValue()).isEqualTo(2);
            String expected = "another IMSM is already using " + data.toAbsolutePath() + " (pid " + first.pid() + ")";
            assertThat(out).contains(expected);
            assertThat(out.split(java.util.regex.Pattern.quote("another IMSM"), -1)).as(out).hasSize(2);
            assertThat(out).doesNotContainIgnoringCase("h2").doesNotContain("Exception");
        } finally {
            stop(first);
        }
        // the lock went with the process: the directory is usable again
        runUntilListening(start("serve", "--port", Integer.toString(port), "--data", data.toString()), port);
    }

    @Test
    void whenAdminPasswordIsReset_thenThePrintedOneLogsInAndMustBeChanged() throws Exception {
        int port = freePort();
        Path data = dir.resolve("reset");
        String first = runUntilListening(start("serve", "--port", Integer.toString(port), "--data", data.toString()), port);
        String lost = first.replaceAll("(?s).*password: (\\S+).*", "$1");

        Process reset = start("admin", "reset-password", "admin", "--data", data.toString());
        assertThat(reset.waitFor(90, TimeUnit.SECONDS)).isTrue();
        String out = new String(reset.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(reset.exitValue()).as(out).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("New one-time password for admin: (\\S{20})").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        String fresh = m.group(1);
        assertThat(fresh).isNotEqualTo(lost);

        Process nobody = start("admin", "reset-password", "nobody", "--data", data.toString());
        assertThat(nobody.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(nobody.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("No account named 'nobody'");
        assertThat(nobody.exitValue()).isEqualTo(2);

        Process server = start("serve", "--port", Integer.toString(port), "--data", data.toString());
        try {
            readUntilListening(server, port);
            HttpClient http = HttpClient.newHttpClient();
            assertThat(login(http, port, lost).statusCode()).isEqualTo(401);
            HttpResponse<String> ok = login(http, port, fresh);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            String cookie = ok.headers().allValues("set-cookie").stream().map(c -> c.split(";", 2)[0])
                    .collect(java.util.stream.Collectors.joining("; "));
            HttpResponse<String> admin = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/admin/users"))
                    .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(admin.body()).contains("password_change_required");
        } finally {
            stop(server);
        }
        try (var audit = java.sql.DriverManager.getConnection("jdbc:h2:file:" + data.resolve("imsm") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE");
             var rs = audit.createStatement().executeQuery("SELECT actor FROM audit_log WHERE action = 'password_reset'")) {
            assertThat(rs.next()).as("the reset is audited").isTrue();
            assertThat(rs.getString(1)).isEqualTo("cli");
        }
    }

    private static HttpResponse<String> login(HttpClient http, int port, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + password + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Reads the console until the server says it listens; the process keeps running. */
    private static String readUntilListening(Process p, int port) throws Exception {
        StringBuilder out = new StringBuilder();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            out.append(line).append('\n');
            if (line.startsWith("IMSM is listening on")) {
                break;
            }
        }
        assertThat(out.toString()).contains("IMSM is listening on http://127.0.0.1:" + port);
        return out.toString();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
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
