package dev.kiln.serve.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * The outermost Jetty handler: counts the HTTP requests in flight and, once {@link #drain} has
 * begun, refuses new ones with 503 so that the ones in flight can finish. While draining, readiness
 * ({@code /v2/health/ready}, {@code /v2/models/.../ready}) answers 503 {@code {"ready": false, ...}}
 * so load balancers stop sending; liveness and {@code /metrics} still answer. Refusals carry
 * {@code Connection: close} so that keep-alive clients reconnect (to another replica).
 *
 * <p>Scrapes of {@code /metrics} are neither counted nor refused: a scrape during the drain shows the
 * requests still in flight, and the gauge reads 0 on an idle server.
 *
 * <p>Thread-safety: Jetty calls {@link #handle} from any thread; {@link #drain} may be called from any
 * thread, more than once.
 */
public final class RequestGate extends Handler.Wrapper {
    private static final String METRICS = "/metrics";
    private static final String LIVE = "/v2/health/live";
    private static final ObjectMapper JSON = new ObjectMapper();

    private int inFlight; // guarded by this
    private volatile boolean draining;

    /** Puts this gate in front of whatever handler {@code server} has (Javalin nests its own inside the innermost wrapper). */
    public void install(Server server) {
        Handler current = server.getHandler();
        if (current != null) {
            setHandler(current);
        }
        server.setHandler(this);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (path.equals(METRICS) || (draining && path.equals(LIVE))) {
            return super.handle(request, response, callback);
        }
        if (!enter()) {
            boolean ready = path.equals("/v2/health/ready") || (path.startsWith("/v2/models/") && path.endsWith("/ready"));
            Map<String, Object> body = ready
                    ? Map.of("ready", false, "error", "draining: the server is shutting down")
                    : Map.of("error", "draining: the server is shutting down and takes no new requests");
            response.setStatus(503);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(body)), callback);
            return true;
        }
        Request.addCompletionListener(request, _ -> exit());
        return super.handle(request, response, callback);
    }

    /** HTTP requests being handled now, {@code /metrics} scrapes aside. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** Whether {@link #drain} has begun. */
    public boolean draining() {
        return draining;
    }

    /**
     * Refuses new requests from now on and waits up to {@code timeout} for those in flight.
     *
     * @return true when none is left in flight, false when the timeout passed first
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public synchronized boolean drain(Duration timeout) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return true;
    }

    private synchronized boolean enter() {
        if (draining) {
            return false;
        }
        inFlight++;
        return true;
    }

    private synchronized void exit() {
        inFlight--;
        if (inFlight == 0) {
            notifyAll();
        }
    }
}
