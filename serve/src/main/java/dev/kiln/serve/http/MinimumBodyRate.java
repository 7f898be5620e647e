package dev.kiln.serve.http;

import java.time.Duration;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses request bodies that trickle in: once a request has been reading its body for longer than
 * a grace period, a body averaging fewer than the minimum bytes per second since its headers ends
 * in a 408 failure instead of its next piece. A client that sends nothing at all is the idle
 * timeout's job; one that trickles a byte now and then would restart that timeout forever.
 *
 * <p>Why not Jetty's own: {@code HttpConfiguration#setMinRequestDataRate} (deprecated in 12.1)
 * judges the rate from the first byte with no grace, so a one-byte body read a few milliseconds
 * after it arrived is already "too slow" (a 408 for {@code "["} under load); its replacement
 * {@code MinimumDataRateHandler} (12.1.12) divides the bytes read by every request together by one
 * request's time, so on a server that has read anything no trickling body is ever refused.
 *
 * <p>The rate is checked when a piece of the body arrives, on the thread reading it. Thread-safety:
 * stateless; each request's count lives in its own wrapper, which only its reader touches.
 */
public final class MinimumBodyRate extends Handler.Wrapper {
    private final long bytesPerSecond;
    private final long graceNanos;

    /** Bodies slower than {@code bytesPerSecond} (0: no minimum) once {@code grace} has passed since their headers get 408. */
    public MinimumBodyRate(long bytesPerSecond, Duration grace) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("MinimumBodyRate: bytes per second must be >= 0, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.graceNanos = grace.toNanos();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        return super.handle(bytesPerSecond == 0 ? request : new Counted(request), response, callback);
    }

    private final class Counted extends Request.Wrapper {
        private final long start = System.nanoTime();
        private long bytes;
        private boolean refused;

        Counted(Request request) {
            super(request);
        }

        @Override
        public Content.Chunk read() {
            if (refused) {
                return Content.Chunk.from(tooSlow(), true);
            }
            Content.Chunk chunk = super.read();
            if (chunk == null || Content.Chunk.isFailure(chunk)) {
                return chunk;
            }
            bytes += chunk.remaining();
            if (chunk.isLast()) {
                return chunk; // all of it is here: however slow it came, it is no longer holding anything
            }
            long elapsed = System.nanoTime() - start;
            if (elapsed > graceNanos && bytes * 1_000_000_000L < bytesPerSecond * elapsed) {
                chunk.release();
                refused = true;
                return Content.Chunk.from(tooSlow(), true);
            }
            return chunk;
        }

        private HttpException.RuntimeException tooSlow() {
            return new HttpException.RuntimeException(408, String.format(java.util.Locale.ROOT,
                    "arrived at %.0f bytes/s, under the minimum of %d bytes/s", bytes * 1e9 / (System.nanoTime() - start),
                    bytesPerSecond));
        }
    }
}
