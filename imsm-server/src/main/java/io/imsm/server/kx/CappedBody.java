package io.imsm.server.kx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to a limit. Beyond it the subscription is cancelled, which
 * closes the connection, so a service streaming an endless answer costs at most {@code max} bytes of
 * memory. With {@code failWhenLarger} the body then fails with {@link TooLarge}; otherwise it is
 * discarded and the body is {@code null} (for replies whose content IMSM does not need).
 */
public final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    /** The answer was longer than the limit. */
    public static final class TooLarge extends IOException {
        TooLarge(int max) { super("the answer is larger than " + max + " bytes"); }
    }

    private final int max;
    private final boolean failWhenLarger;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private long seen;

    private CappedBody(int max, boolean failWhenLarger) {
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative");
        }
        this.max = max;
        this.failWhenLarger = failWhenLarger;
    }

    /** The body, or a {@link TooLarge} failure when it is longer than {@code max} bytes. */
    public static HttpResponse.BodySubscriber<byte[]> upTo(int max) { return new CappedBody(max, true); }

    /** Reads and drops at most {@code max} bytes, then stops; the body is always {@code null}. */
    public static HttpResponse.BodySubscriber<byte[]> discardUpTo(int max) { return new CappedBody(max, false); }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        this.subscription = Objects.requireNonNull(s);
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            if (seen + b.remaining() > max) {
                subscription.cancel();
                if (failWhenLarger) {
                    result.completeExceptionally(new TooLarge(max));
                } else {
                    result.complete(null);
                }
                return;
            }
            seen += b.remaining();
            if (failWhenLarger) {
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buffer.writeBytes(chunk);
            } else {
                b.position(b.limit()); // counted, not kept
            }
        }
        subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        result.complete(failWhenLarger ? buffer.toByteArray() : null);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }
}
