package dev.kiln.serve.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;

/**
 * The structured access log: one JSON line per HTTP request, written when the request completes —
 * {@code ts} (ISO-8601, when the request began), {@code method}, {@code path}, {@code status},
 * {@code model} and {@code version} when known, {@code duration_ms}, {@code request_bytes},
 * {@code response_bytes}, {@code remote} and {@code request_id} (the {@value #REQUEST_ID_HEADER}
 * header, when sent).
 *
 * <p>Request threads never wait on the disk: a line goes into a bounded queue that one writer
 * thread empties; when the queue is full the line is dropped and counted ({@link #dropped}).
 * The model comes from the route ({@link #tag}, for the version a traffic split picked) or else
 * from the path.
 *
 * <p>Thread-safety: {@link #log} and {@link #tag} may be called from any thread; {@link #close}
 * writes what is queued, then closes the file (stderr is flushed, not closed).
 */
public final class AccessLog implements RequestLog, AutoCloseable {
    /** The request header whose value the log records as {@code request_id}. */
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final String MODEL = "kiln.access.model";
    private static final String VERSION = "kiln.access.version";
    private static final Pattern MODEL_PATH = Pattern.compile("/v2/models/([^/]+)(?:/versions/([^/]+))?(?:/.*)?");
    private static final int CAPACITY = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final java.io.Writer sink; // not RequestLog.Writer, Jetty's own sink type
    private final boolean closeSink;
    private final Thread writer;
    private volatile boolean closed;

    private AccessLog(java.io.Writer sink, boolean closeSink) {
        this.sink = sink;
        this.closeSink = closeSink;
        this.writer = Thread.ofPlatform().daemon().name("kiln-access-log").start(this::write);
    }

    /**
     * A log appended to {@code file} (created if missing).
     *
     * @throws IOException when the file cannot be opened for writing
     */
    public static AccessLog toFile(Path file) throws IOException {
        return new AccessLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE), true);
    }

    /** A log on standard error. */
    public static AccessLog toStderr() {
        return new AccessLog(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), false);
    }

    /** Records which model and version answered {@code ctx}'s request (a route that resolved a version calls this). */
    public static void tag(Context ctx, String model, String version) {
        ctx.attribute(MODEL, model);
        ctx.attribute(VERSION, version);
    }

    /** Lines dropped so far because the queue was full, or lost to a write error. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void log(Request request, Response response) {
        if (closed) {
            dropped.incrementAndGet();
            return;
        }
        if (!lines.offer(line(request, response))) {
            dropped.incrementAndGet();
        }
    }

    private static String line(Request request, Response response) {
        String path = request.getHttpURI().getPath();
        ObjectNode o = JSON.createObjectNode();
        o.put("ts", Instant.ofEpochMilli(Request.getTimeStamp(request)).toString());
        o.put("method", request.getMethod());
        o.put("path", path);
        o.put("status", response.getStatus());
        Object model = request.getAttribute(MODEL);
        Object version = request.getAttribute(VERSION);
        Matcher m = path == null ? null : MODEL_PATH.matcher(path);
        if (m != null && m.matches()) {
            model = model != null ? model : m.group(1);
            version = version != null ? version : m.group(2);
        }
        if (model != null) {
            o.put("model", model.toString());
        }
        if (version != null) {
            o.put("version", version.toString());
        }
        o.put("duration_ms", Math.round((System.nanoTime() - request.getBeginNanoTime()) / 1e3) / 1e3);
        o.put("request_bytes", Request.getContentBytesRead(request));
        o.put("response_bytes", Response.getContentBytesWritten(response));
        o.put("remote", Request.getRemoteAddr(request));
        String id = request.getHeaders().get(REQUEST_ID_HEADER);
        if (id != null) {
            o.put("request_id", id);
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an access-log line", e);
        }
    }

    private void write() {
        while (!closed || !lines.isEmpty()) {
            String line;
            try {
                line = lines.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // close() interrupts to hurry the loop; what is queued still gets written
            }
            if (line == null) {
                continue;
            }
            try {
                sink.write(line);
                sink.write('\n');
                if (lines.isEmpty()) {
                    sink.flush(); // one flush per burst, not per line
                }
            } catch (IOException e) {
                dropped.incrementAndGet();
            }
        }
    }

    /** Writes the lines still queued and closes the file; later requests are dropped. Idempotent. */
    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (closeSink) {
                sink.close();
            } else {
                sink.flush();
            }
        } catch (IOException e) {
            dropped.incrementAndGet();
        }
    }
}
