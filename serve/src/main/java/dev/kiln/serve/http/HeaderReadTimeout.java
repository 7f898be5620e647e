package dev.kiln.serve.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;

/**
 * Closes HTTP/1 connections whose request line and headers take longer than a timeout to arrive,
 * counted from the request's first byte: the slowloris defence. Jetty's idle timeout restarts on
 * every byte, so a client trickling one header byte a second would otherwise hold its connection
 * (and a slot under the connection limit) forever; Jetty 12 has no header-read timeout of its own.
 * Slow bodies are {@link MinimumBodyRate}'s job.
 *
 * <p>A sweep every quarter of the timeout (from 50 ms to 1 s) looks at each open connection's
 * parser: in the middle of a request head (past its first byte, before the end of its headers) for
 * longer than the timeout, on the same request (the connection's request count unchanged), means cut
 * off. Nothing is answered: no handler runs yet, and writing from the sweep's thread would race the
 * parser. A cut-off connection is simply closed, which frees its buffers and its limit slot.
 *
 * <p>Register it on a connector with {@code addEventListener} and {@code addBean} (it starts and
 * stops with the connector). Thread-safety: Jetty calls the listener from any thread; the parser
 * state the sweep reads is written by the connection's own thread, so a reading may be one sweep
 * late, which only delays a cut-off by a sweep.
 */
public final class HeaderReadTimeout extends AbstractLifeCycle implements Connection.Listener {
    /** What the sweep knows about one connection; only the sweep's thread touches it. */
    private static final class Watch {
        boolean inHead;
        long since;
        long messagesIn;
    }

    private final long timeoutNanos;
    private final long sweepMillis;
    private final Map<HttpConnection, Watch> open = new ConcurrentHashMap<>();
    private final AtomicLong cutOff = new AtomicLong();
    private volatile Thread sweeper;

    /** Cuts off request heads slower than {@code timeout} (at least 1 ms). */
    public HeaderReadTimeout(Duration timeout) {
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("HeaderReadTimeout: timeout must be >= 1 ms, got " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
        this.sweepMillis = Math.clamp(timeout.toMillis() / 4, 50, 1000);
    }

    /** Connections closed so far because their request head was too slow. */
    public long cutOff() {
        return cutOff.get();
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.put(http, new Watch());
        }
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    @Override
    protected void doStart() {
        Thread t = Thread.ofVirtual().name("kiln-header-read-timeout").unstarted(this::sweepUntilStopped);
        sweeper = t; // before it starts: the loop runs while it is the sweeper
        t.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        Thread t = sweeper;
        sweeper = null;
        if (t != null) {
            t.interrupt();
            t.join();
        }
        open.clear();
    }

    private void sweepUntilStopped() {
        try {
            while (sweeper == Thread.currentThread()) {
                Thread.sleep(sweepMillis);
                sweep(System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopped
        }
    }

    private void sweep(long now) {
        for (Map.Entry<HttpConnection, Watch> e : open.entrySet()) {
            HttpConnection connection = e.getKey();
            Watch w = e.getValue();
            HttpParser parser = connection.getParser();
            if (!parser.inHeaderState() || parser.isStart()) {
                w.inHead = false;
                continue;
            }
            long messages = connection.getMessagesIn();
            if (!w.inHead || w.messagesIn != messages) {
                w.inHead = true;
                w.since = now;
                w.messagesIn = messages;
            } else if (now - w.since > timeoutNanos) {
                open.remove(connection);
                cutOff.incrementAndGet();
                connection.getEndPoint().close(new TimeoutException("request head not received within "
                        + Duration.ofNanos(timeoutNanos).toMillis() + " ms"));
            }
        }
    }
}
