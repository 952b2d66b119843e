package io.imsm.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One GET to IMSM with one deadline that covers the body too, so a dripping answer cannot hold a
 * poller, and at most {@code maxBytes} read. Used by the pollers of the SDK and imsm-proxy
 * ({@link RevocationFeed}, {@link CrlFeed}, {@link RemoteJwks}), usually through one shared client ({@link Pollers}).
 */
public final class BoundedGet {
    /** How long a poller's client waits for a connection to IMSM (each GET's own deadline may be shorter). */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private BoundedGet() {}

    /**
     * @return the body of a 200 answer
     * @throws IllegalStateException no 200 answer within {@code timeout}, or a body larger than {@code maxBytes}
     */
    public static byte[] get(HttpClient http, URI uri, String accept, Duration timeout, int maxBytes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept).GET().build();
        CompletableFuture<HttpResponse<InputStream>> sent = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
            response = sent.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            sent.cancel(true);
            throw new IllegalStateException("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot fetch: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        InputStream in = response.body();
        CompletableFuture<byte[]> body = CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readNBytes(maxBytes + 1);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the answer: " + e, e);
            }
        }, r -> Thread.ofVirtual().name("imsm-bounded-read").start(r));
        byte[] bytes;
        try {
            bytes = body.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            closeQuietly(in);
            throw new IllegalStateException("the answer did not complete within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            closeQuietly(in);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("answered " + response.statusCode());
        }
        if (bytes.length > maxBytes) {
            throw new IllegalStateException("the answer is larger than " + maxBytes + " bytes");
        }
        return bytes;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the answer is abandoned either way
        }
    }
}
