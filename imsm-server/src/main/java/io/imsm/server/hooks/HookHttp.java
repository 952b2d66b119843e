package io.imsm.server.hooks;

import io.imsm.server.access.ServiceUrls;
import io.imsm.server.kx.CappedBody;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls to hook targets, which are as untrusted as catalog services: the URL rules of
 * {@link ServiceUrls} checked again before each call (DNS may have changed), one deadline per call
 * covering the address check, connecting, sending and reading the whole answer, at most
 * {@link #MAX_ANSWER_BYTES} of an answer read, no redirects followed.
 */
public final class HookHttp implements AutoCloseable {
    /** More than any decision answer or API reply IMSM reads needs. */
    public static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final Executor RESOLVER = r -> Thread.ofVirtual().name("imsm-hook-resolve").start(r);

    /** A call that did not get an answer (refused address, unreachable, too slow, too large). */
    public static final class CallFailed extends Exception {
        public CallFailed(String message, Throwable cause) { super(message, cause); }
    }

    public record Answer(int status, byte[] body) {
        public boolean ok() { return status >= 200 && status < 300; }
    }

    private final ServiceUrls urls;
    private final HttpClient http;

    public HookHttp(ServiceUrls urls, Duration connectTimeout) {
        this.urls = Objects.requireNonNull(urls);
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Sends the request and reads a 2xx answer's body (up to the cap); other answers' bodies are dropped. */
    public Answer call(URI uri, HttpRequest.Builder request, Duration deadlineIn) throws CallFailed {
        long deadline = System.nanoTime() + deadlineIn.toNanos();
        await(CompletableFuture.runAsync(() -> {
            try {
                urls.checkTarget(uri);
            } catch (ServiceUrls.RefusedTarget e) {
                throw new CompletionException(e);
            }
        }, RESOLVER), deadline, deadlineIn);
        long left = Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadline - System.nanoTime());
        HttpResponse<byte[]> res = await(http.sendAsync(request.uri(uri).timeout(Duration.ofNanos(left)).build(),
                info -> info.statusCode() / 100 == 2 ? CappedBody.upTo(MAX_ANSWER_BYTES) : CappedBody.discardUpTo(MAX_ANSWER_BYTES)),
                deadline, deadlineIn);
        return new Answer(res.statusCode(), res.body() == null ? new byte[0] : res.body());
    }

    private static <T> T await(CompletableFuture<T> future, long deadline, Duration limit) throws CallFailed {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true); // closes the connection
            throw new CallFailed("no complete answer within " + limit.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new CallFailed("call interrupted", e);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), limit);
        }
    }

    private static CallFailed failure(Throwable cause, Duration limit) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ServiceUrls.RefusedTarget r) {
                return new CallFailed("address IMSM may not call: " + r.getMessage(), r);
            }
            if (t instanceof CappedBody.TooLarge) {
                return new CallFailed("answer larger than " + MAX_ANSWER_BYTES + " bytes", t);
            }
            if (t instanceof HttpTimeoutException) {
                return new CallFailed("no complete answer within " + limit.toMillis() + " ms", t);
            }
        }
        if (cause instanceof IOException) {
            return new CallFailed("unreachable (" + cause.getClass().getSimpleName() + ")", cause);
        }
        return new CallFailed("call failed (" + cause + ")", cause);
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
