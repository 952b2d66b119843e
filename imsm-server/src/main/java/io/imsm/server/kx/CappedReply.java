package io.imsm.server.kx;

import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The reply of a service to a Jetty client request, its body read into memory up to a limit (the
 * Jetty counterpart of {@link CappedBody}). A larger body, announced by {@code Content-Length} or
 * streamed, aborts the response, which closes the connection, so a service streaming an endless
 * answer costs at most {@code max} bytes of memory. With {@code keepBody} the reply then fails with
 * {@link CappedBody.TooLarge}; otherwise the body is dropped as it is counted and the reply completes
 * with its status and a {@code null} body. A body is kept only for a {@code 200}.
 */
final class CappedReply implements Response.Listener {
    /** The status and, when kept, the body of a reply. */
    record Reply(int status, byte[] body) {}

    private final int max;
    private final boolean keepBody;
    private final CompletableFuture<Reply> future = new CompletableFuture<>();
    private byte[] buffer = new byte[0];
    private int length;
    private boolean keep;

    CappedReply(int max, boolean keepBody) {
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative");
        }
        this.max = max;
        this.keepBody = keepBody;
    }

    CompletableFuture<Reply> future() { return future; }

    @Override
    public void onHeaders(Response response) {
        keep = keepBody && response.getStatus() == 200;
        long announced = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (announced > max) {
            tooLarge(response);
        } else if (keep && announced > 0) {
            buffer = new byte[(int) announced];
        }
    }

    @Override
    public void onContent(Response response, ByteBuffer content) {
        if (future.isDone()) {
            return;
        }
        int n = content.remaining();
        if ((long) length + n > max) {
            tooLarge(response);
            return;
        }
        if (keep) {
            if (length + n > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.min(max, Math.max(length + n, 2 * buffer.length)));
            }
            content.get(buffer, length, n);
        } else {
            content.position(content.limit()); // counted, not kept
        }
        length += n;
    }

    private void tooLarge(Response response) {
        if (keep) {
            future.completeExceptionally(new CappedBody.TooLarge(max));
        } else {
            future.complete(new Reply(response.getStatus(), null));
        }
        response.abort(new CappedBody.TooLarge(max));
    }

    @Override
    public void onComplete(Result result) {
        if (result.isFailed()) {
            future.completeExceptionally(result.getFailure());
        } else {
            future.complete(new Reply(result.getResponse().getStatus(),
                    keep ? (length == buffer.length ? buffer : Arrays.copyOf(buffer, length)) : null));
        }
    }
}
