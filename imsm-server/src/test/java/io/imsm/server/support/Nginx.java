package io.imsm.server.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx as a child process ({@code nginx -p DIR -c nginx.conf -g 'daemon off;'}) with a
 * site configuration from {@code deploy/nginx}: the test rewrites only the addresses (and may add
 * locations), so the example is what runs.
 */
public final class Nginx implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/sbin/nginx");
    public final int port;
    public final Path dir;
    private final Process process;

    private Nginx(int port, Path dir, Process process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /** The example site with IMSM, the backend and the listen port replaced; {@code extraLocations} go where the example says. */
    public static Nginx startExample(int imsmPort, int backendPort, String extraLocations) throws IOException, InterruptedException {
        Path example = repoRoot().resolve("deploy/nginx/imsm-auth.conf");
        String site = Files.readString(example)
                .replace("server 127.0.0.1:8080;", "server 127.0.0.1:" + imsmPort + ";")
                .replace("server 127.0.0.1:8000;", "server 127.0.0.1:" + backendPort + ";");
        int port = freePort();
        site = site.replace("listen 8081;", "listen 127.0.0.1:" + port + ";");
        if (!site.contains("# Further protected locations go here")) {
            throw new IllegalStateException("the example lost its marker for further locations");
        }
        site = site.replace("    # Further protected locations go here, each with its own $imsm_auth_query.\n",
                "    # Further protected locations go here, each with its own $imsm_auth_query.\n" + extraLocations);
        Path dir = Files.createTempDirectory("imsm-nginx");
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("site.conf"), site);
        Files.writeString(dir.resolve("nginx.conf"), """
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    include %1$s/site.conf;
                }
                """.formatted(dir));
        Process p = new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(),
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
        Nginx n = new Nginx(port, dir, p);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("nginx ended: " + Files.readString(dir.resolve("logs/stdout.log")) + log(dir));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return n;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        n.close();
        throw new IllegalStateException("nginx did not listen within 10 s" + log(dir));
    }

    public String errorLog() {
        return log(dir);
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("logs/error.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The repository root (tests run in imsm-server). */
    public static Path repoRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p : List.of(here, here.getParent())) {
            if (p != null && Files.isDirectory(p.resolve("deploy"))) {
                return p;
            }
        }
        throw new IllegalStateException("no deploy/ folder above " + here);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
