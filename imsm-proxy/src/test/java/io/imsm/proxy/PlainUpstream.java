package io.imsm.proxy;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The service behind the proxy in tests: the JDK's HTTP server and no IMSM code at all. It echoes
 * what it received as JSON (method, path with query, all headers, the body's length and SHA-256);
 * {@code /stream} answers in two chunks with a pause that the test ends; {@code /bytes?n=N} answers N bytes.
 */
final class PlainUpstream implements AutoCloseable {
    final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** Counted down by the test once the first chunk of /stream has arrived at the client. */
    volatile CountDownLatch firstChunkSeen = new CountDownLatch(1);
    /** Counted down by /slow when it has the request; the answer waits for {@link #release}. */
    volatile CountDownLatch slowStarted = new CountDownLatch(1);
    volatile CountDownLatch release = new CountDownLatch(1);

    PlainUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::echo);
        server.createContext("/stream", this::stream);
        server.createContext("/bytes", this::bytes);
        server.createContext("/slow", ex -> {
            slowStarted.countDown();
            await(release);
            echo(ex);
        });
        server.start();
    }

    String url() { return "http://127.0.0.1:" + server.getAddress().getPort(); }

    private void echo(HttpExchange ex) throws IOException {
        try (ex) {
            MessageDigest sha = sha256();
            long length = 0;
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    sha.update(buf, 0, n);
                    length += n;
                }
            }
            Map<String, Object> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(" | ", v)));
            Map<String, Object> echo = new LinkedHashMap<>();
            echo.put("method", ex.getRequestMethod());
            echo.put("uri", ex.getRequestURI().toString());
            echo.put("headers", headers);
            echo.put("length", length);
            echo.put("sha256", HexFormat.of().formatHex(sha.digest()));
            byte[] body = JSONObjectUtils.toJSONString(echo).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("X-Upstream", "plain");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private void stream(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("first\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            // the second chunk only once the client has the first: a proxy that buffers would hang here
            await(firstChunkSeen);
            out.write("second\n".getBytes(StandardCharsets.UTF_8));
            out.close();
        }
    }

    private void bytes(HttpExchange ex) throws IOException {
        try (ex) {
            long n = Long.parseLong(ex.getRequestURI().getQuery().substring(2));
            ex.sendResponseHeaders(200, n);
            OutputStream out = ex.getResponseBody();
            byte[] block = new byte[64 * 1024];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) i;
            }
            for (long left = n; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(left, block.length));
            }
            out.close();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test did not release the upstream within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
