package io.imsm.server.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A load balancer without sticky sessions, for tests: every request goes to the next backend in turn
 * (method, path, query, body and the headers a service reads), and the backend's status, body and
 * {@code Content-Type} come back. A backend can be replaced, as when a replica restarts elsewhere.
 */
public final class RoundRobinProxy implements AutoCloseable {
    private static final List<String> FORWARDED = List.of("Content-Type", "Accept", "Authorization");

    private final AtomicReferenceArray<String> backends;
    private final AtomicInteger next = new AtomicInteger();
    /** Requests forwarded to each backend slot. */
    public final AtomicInteger[] forwarded;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;

    /** @param backends base URLs, e.g. {@code http://127.0.0.1:4711} */
    public RoundRobinProxy(List<String> backends) {
        this.backends = new AtomicReferenceArray<>(backends.toArray(String[]::new));
        this.forwarded = new AtomicInteger[backends.size()];
        for (int i = 0; i < forwarded.length; i++) {
            forwarded[i] = new AtomicInteger();
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::forward);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Points slot {@code index} at another backend. */
    public void replace(int index, String backend) {
        backends.set(index, backend);
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            int slot = Math.floorMod(next.getAndIncrement(), backends.length());
            forwarded[slot].incrementAndGet();
            byte[] body = ex.getRequestBody().readNBytes(64 * 1024);
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(backends.get(slot) + ex.getRequestURI()))
                    .timeout(Duration.ofSeconds(5))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : FORWARDED) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) {
                    req.header(h, v);
                }
            }
            HttpResponse<byte[]> res;
            try {
                res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                ex.sendResponseHeaders(502, -1);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
                return;
            }
            res.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
            byte[] out = res.body();
            ex.sendResponseHeaders(res.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
