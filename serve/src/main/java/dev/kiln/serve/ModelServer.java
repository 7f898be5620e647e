package dev.kiln.serve;

import dev.kiln.serve.admin.AdminRoutes;
import dev.kiln.serve.admin.BearerAuth;
import dev.kiln.serve.batch.BatchObserver;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.batch.DynamicBatcher;
import dev.kiln.serve.http.AccessLog;
import dev.kiln.serve.http.HeaderReadTimeout;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonErrorHandler;
import dev.kiln.serve.http.MinimumBodyRate;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.http.RequestGate;
import dev.kiln.serve.kserve.KServeRoutes;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.openai.OpenAiRoutes;
import dev.kiln.serve.platform.PlatformRoutes;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.TrafficSplit;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;

/**
 * An HTTP model server on Javalin (Jetty 12, virtual threads): KServe v2 (the Open Inference
 * Protocol) over REST — health, model metadata and readiness, {@code infer} with JSON tensors —
 * {@code GET /metrics} in Prometheus text, and OpenAI's {@code /v1/models}, {@code /v1/completions}
 * and {@code /v1/chat/completions} for generative models ({@link OpenAiRoutes}). Models live in a {@link ModelRegistry}: several
 * versions of one model at once, each with its own {@link DynamicBatcher}, loaded and unloaded
 * while the server runs. Every error is {@code {"error": "..."}} with its status.
 *
 * <p>Auth (optional, {@link BearerAuth}): with {@link Builder#authToken} every route but the
 * health probes (and {@code /metrics} unless {@link Builder#protectMetrics}) needs {@code
 * Authorization: Bearer TOKEN} (401 without, 403 wrong); the admin routes ({@link AdminRoutes}:
 * hot load/unload, traffic splits) exist only with {@link Builder#adminToken} and need that token.
 * <p>An infer request that gets no answer within the request timeout gets 504 (and leaves its
 * model's queue if it was still waiting there). {@link #close} drains first ({@link #drain}): readiness
 * turns 503, new requests are refused with 503, requests in flight finish (up to the drain timeout),
 * then Jetty stops. With an access log, every HTTP request is one JSON line ({@link AccessLog}).
 *
 * <p>Hostile and broken clients: at most {@link Builder#maxConnections} connections are open at once
 * (past it Jetty stops accepting; new ones wait in the kernel's accept queue); a connection idle for
 * {@link Builder#idleTimeoutMs} is closed; a request head (request line and headers) that takes
 * longer than {@link Builder#headerTimeoutMs} from its first byte is cut off ({@link HeaderReadTimeout},
 * the slowloris defence), and a body still arriving as long again after its headers, at under
 * {@link Builder#minRequestBytesPerSecond}, gets 408 ({@link MinimumBodyRate}). JSON bodies are parsed
 * under limits ({@link JsonBodies#boundedMapper}: nesting depth, string and number lengths) and must be
 * UTF-8, and Jetty's own errors (bad request lines, oversized headers, ...) are JSON too
 * ({@link JsonErrorHandler}). Every 429 carries {@code Retry-After}.
 *
 * <p>Use: {@code try (ModelServer s = ModelServer.builder().model("fashion", m).port(0).start()) {...}}.
 * Thread-safety: every method may be called from any thread.
 */
public final class ModelServer implements AutoCloseable {
    /** Request bodies over this many bytes are refused with 413 unless the builder says otherwise. */
    public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;
    /** An infer request unanswered after this many milliseconds gets 504 unless the builder says otherwise. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
    /** How long {@link #close} waits for requests in flight unless the builder says otherwise (under Kubernetes' 30 s grace). */
    public static final long DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
    /**
     * Connections open at once unless the builder says otherwise: each costs a file descriptor and
     * buffers; requests are short and keep-alive clients reuse theirs, so a few thousand serve many
     * more clients than one replica has cores for.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 4096;
    /** A connection with no bytes in or out for this many milliseconds is closed unless the builder says otherwise (Jetty's own default). */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    /**
     * How long a request line and headers may take to arrive, from their first byte, unless the builder
     * says otherwise: a real client sends them in one packet, so seconds are generous.
     */
    public static final long DEFAULT_HEADER_TIMEOUT_MS = 5_000;
    /**
     * A request body still arriving a header timeout after its headers, at under this many bytes per
     * second on average, gets 408 unless the builder says otherwise.
     */
    public static final long DEFAULT_MIN_REQUEST_BYTES_PER_SECOND = 1024;
    /** Seconds a client refused with 429 is told to wait ({@code Retry-After}): a queue drains in well under that at batch speed. */
    public static final String RETRY_AFTER_SECONDS = "1";
    /** Connections the kernel holds for Jetty to accept; Java's default of 50 drops SYNs at the first burst. */
    private static final int ACCEPT_QUEUE = 1024;

    private final ServingMetrics metrics = new ServingMetrics();
    private final JsonResponses out = new JsonResponses(JsonBodies.boundedMapper());
    private final RequestGate gate = new RequestGate();
    private final ModelRegistry registry;
    private final AccessLog accessLog;
    private final Duration drainTimeout;
    private final Javalin app;
    private final HeaderReadTimeout headerTimeout;
    private NetworkConnectionLimit connectionLimit; // set while Javalin builds the connector, before start returns
    private boolean closed; // guarded by this

    private ModelServer(Builder b) {
        registry = new ModelRegistry((name, version, model, options) -> new DynamicBatcher(name + "-" + version, model,
                options, observer(name, version), b.requestTimeoutMs));
        drainTimeout = Duration.ofMillis(b.drainTimeoutMs);
        metrics.inFlight(gate::inFlight);
        try {
            accessLog = b.accessLogToStderr ? AccessLog.toStderr() : b.accessLogFile != null ? AccessLog.toFile(b.accessLogFile) : null;
        } catch (IOException e) {
            registry.close();
            throw new UncheckedIOException("access log: cannot open " + b.accessLogFile + ": " + e.getMessage(), e);
        }
        if (accessLog != null) {
            metrics.accessLogDropped(accessLog, AccessLog::dropped);
        }
        try {
            for (Builder.Entry e : b.entries) {
                registry.load(e.name, e.version, e.model, e.batching);
            }
            b.traffic.forEach((name, split) -> {
                try {
                    registry.split(name, split);
                } catch (ServeException e) {
                    throw new IllegalArgumentException("ModelServer: traffic of " + name + ": " + e.getMessage(), e);
                }
            });
            BearerAuth auth = new BearerAuth(b.authToken, b.adminToken, b.protectMetrics,
                    b.platform == null ? List.of() : b.platform.openRoutes());
            KServeRoutes kserve = new KServeRoutes(registry, out, metrics::request, b.maxBodyBytes);
            OpenAiRoutes openai = new OpenAiRoutes(registry, out, metrics, b.requestTimeoutMs, b.maxBodyBytes);
            headerTimeout = new HeaderReadTimeout(Duration.ofMillis(b.headerTimeoutMs));
            app = Javalin.create(config -> {
                config.startup.showJavalinBanner = false;
                config.concurrency.useVirtualThreads = true;
                config.http.maxRequestSize = b.maxBodyBytes;
                config.http.prefer405over404 = true;
                config.jetty.modifyServer(server -> {
                    // Javalin puts its servlet context inside the innermost wrapper: gate, then body rate, then routes.
                    server.setHandler(new MinimumBodyRate(b.minRequestBytesPerSecond, Duration.ofMillis(b.headerTimeoutMs)));
                    gate.install(server);
                    if (accessLog != null) {
                        server.setRequestLog(accessLog);
                    }
                    server.setErrorHandler(new JsonErrorHandler());
                });
                config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrorHandler()));
                config.jetty.addConnector((server, http) -> {
                    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                    connector.setHost(b.host);
                    connector.setPort(b.port);
                    connector.setIdleTimeout(b.idleTimeoutMs);
                    connector.setAcceptQueueSize(ACCEPT_QUEUE);
                    connector.addEventListener(headerTimeout);
                    connector.addBean(headerTimeout);
                    connectionLimit = new NetworkConnectionLimit(b.maxConnections, connector);
                    server.addBean(connectionLimit);
                    return connector;
                });
                config.router.javaLangErrorHandler((res, error) -> {
                    // An Error (say OutOfMemoryError) in a handler: the client still gets the JSON shape.
                    res.setStatus(500);
                    res.setContentType("application/json");
                    try {
                        res.getOutputStream().write(out.mapper().writeValueAsString(out.error("internal error: " + error))
                                .getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        // the client is gone; nothing to tell it
                    }
                });
                kserve.addTo(config.routes);
                openai.addTo(config.routes);
                if (b.platform != null) {
                    b.platform.addTo(config.routes, registry, out, b.maxBodyBytes);
                }
                config.routes.beforeMatched(auth);
                if (b.adminToken != null) {
                    new AdminRoutes(registry, out, b.maxBodyBytes).addTo(config.routes);
                }
                config.routes.get("/metrics", ctx -> ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8")
                        .result(metrics.scrape()));
                config.routes.exception(ServeException.class, (e, ctx) -> {
                    if (e.status() == 429) {
                        ctx.header("Retry-After", RETRY_AFTER_SECONDS);
                    }
                    out.send(ctx, e.status(), out.error(e.getMessage()));
                });
                config.routes.exception(HttpResponseException.class,
                        (e, ctx) -> out.send(ctx, e.getStatus(), out.error(e.getMessage())));
                config.routes.exception(Exception.class, (e, ctx) -> out.send(ctx, 500, out.error("internal error: " + e)));
                config.routes.error(404, ctx -> {
                    if (ctx.result() == null || ctx.result().isEmpty()) {
                        out.send(ctx, 404, out.error("no such endpoint: " + ctx.method() + " " + ctx.path()));
                    }
                });
                config.routes.error(405, ctx -> out.send(ctx, 405, out.error("method " + ctx.method() + " is not allowed on "
                        + ctx.path())));
            });
            app.start();
            metrics.connections(this::openConnections, headerTimeout, HeaderReadTimeout::cutOff);
        } catch (RuntimeException e) {
            registry.close();
            if (accessLog != null) {
                accessLog.close();
            }
            throw e;
        }
    }

    private BatchObserver observer(String name, String version) {
        return new BatchObserver() {
            @Override
            public void batch(int examples) {
                metrics.batch(name, version, examples);
            }

            @Override
            public void queued(long nanos) {
                metrics.queued(name, version, nanos);
            }

            @Override
            public void inferred(long nanos) {
                metrics.inferred(name, version, nanos);
            }
        };
    }

    /** A builder with no models, host 127.0.0.1 and port 8080. */
    public static Builder builder() {
        return new Builder();
    }

    /** The port the server listens on (the one picked when the builder asked for 0). */
    public int port() {
        return app.port();
    }

    /** The served models: load, unload and split traffic through it while the server runs. */
    public ModelRegistry registry() {
        return registry;
    }

    /** Forward passes run so far by {@code name}'s version {@code version} (null: the default one). */
    public long forwardPasses(String name, String version) {
        return registry.find(name, version).batcher().forwardPasses();
    }

    /** Network connections open now (at most the builder's {@link Builder#maxConnections}). */
    public int openConnections() {
        return connectionLimit.getNetworkConnectionCount();
    }

    /** Connections cut off so far because their request head arrived too slowly ({@link HeaderReadTimeout}). */
    public long slowHeadersCutOff() {
        return headerTimeout.cutOff();
    }

    /** HTTP requests being handled now ({@code /metrics} scrapes aside). */
    public int inFlight() {
        return gate.inFlight();
    }

    /**
     * Begins the graceful shutdown: readiness answers 503 and new requests are refused with 503 from
     * now on; waits up to {@code timeout} for the requests in flight to finish. The server keeps
     * listening (liveness and /metrics answer) until {@link #close}.
     *
     * @return true when every request in flight finished, false when the timeout passed first
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        return gate.drain(timeout);
    }

    /**
     * Drains (up to the builder's drain timeout), stops the HTTP server, then each model's batcher
     * (requests still queued get 503), then the access log. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            drain(drainTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop at once: the caller wants out
        }
        app.stop();
        registry.close();
        if (accessLog != null) {
            accessLog.close();
        }
        metrics.close();
    }

    /** Which models to serve, and where. */
    public static final class Builder {
        private record Entry(String name, String version, ServedModel model, BatchingOptions batching) {}

        private final List<Entry> entries = new ArrayList<>();
        private String host = "127.0.0.1";
        private int port = 8080;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private final Map<String, TrafficSplit> traffic = new LinkedHashMap<>();
        private String authToken;
        private String adminToken;
        private boolean protectMetrics;
        private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
        private long drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS;
        private Path accessLogFile;
        private boolean accessLogToStderr;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private long headerTimeoutMs = DEFAULT_HEADER_TIMEOUT_MS;
        private long minRequestBytesPerSecond = DEFAULT_MIN_REQUEST_BYTES_PER_SECOND;
        private PlatformRoutes platform;

        private Builder() {}

        /** Serves {@code model} as {@code name}, version "1", with {@link BatchingOptions#DEFAULT}. */
        public Builder model(String name, ServedModel model) {
            return model(name, "1", model, BatchingOptions.DEFAULT);
        }

        /** Serves {@code model} as version {@code version} of {@code name}; the first version added is the default. */
        public Builder model(String name, String version, ServedModel model, BatchingOptions batching) {
            if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("ModelServer: model name must match [A-Za-z0-9_.-]+, got " + name);
            }
            if (version == null || !version.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("ModelServer: version must match [A-Za-z0-9_.-]+, got " + version);
            }
            for (Entry e : entries) {
                if (e.name.equals(name) && e.version.equals(version)) {
                    throw new IllegalArgumentException("ModelServer: model " + name + " version " + version + " added twice");
                }
            }
            entries.add(new Entry(name, version, Objects.requireNonNull(model, "model"), batching));
            return this;
        }

        /** The address to bind (default 127.0.0.1). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port (default 8080; 0 picks a free one, see {@link ModelServer#port()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("ModelServer: port must be in [0, 65535], got " + port);
            }
            this.port = port;
            return this;
        }

        /** Request bodies over {@code bytes} get 413. */
        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("ModelServer: max body bytes must be >= 1, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * Splits the requests to {@code name} that name no version between its versions (the
         * versions must be added by {@link #start}); {@code null} removes the split.
         */
        public Builder traffic(String name, TrafficSplit split) {
            if (split == null) {
                traffic.remove(name);
            } else {
                traffic.put(Objects.requireNonNull(name, "name"), split);
            }
            return this;
        }

        /**
         * Every route but {@code /v2/health/*} (and {@code /metrics}, see {@link #protectMetrics})
         * needs {@code Authorization: Bearer token}; null (the default) leaves them open.
         *
         * @throws IllegalArgumentException when the token is empty or not RFC 6750 token characters
         */
        public Builder authToken(String token) {
            this.authToken = token == null ? null : BearerAuth.checkToken("ModelServer: auth token", token);
            return this;
        }

        /**
         * Turns on the admin routes ({@code /admin/*}: load, unload, traffic), which then need
         * {@code Authorization: Bearer token}; null (the default) leaves them off (404).
         *
         * @throws IllegalArgumentException when the token is empty or not RFC 6750 token characters
         */
        public Builder adminToken(String token) {
            this.adminToken = token == null ? null : BearerAuth.checkToken("ModelServer: admin token", token);
            return this;
        }

        /** Whether {@code /metrics} needs a token as the inference routes do (default false: open to scrapers). */
        public Builder protectMetrics(boolean protect) {
            this.protectMetrics = protect;
            return this;
        }

        /** Infer requests unanswered after {@code ms} milliseconds get 504 (0: no limit). */
        public Builder requestTimeoutMs(long ms) {
            if (ms < 0) {
                throw new IllegalArgumentException("ModelServer: request timeout must be >= 0 ms, got " + ms);
            }
            this.requestTimeoutMs = ms;
            return this;
        }

        /** How long {@link ModelServer#close} waits for requests in flight before it stops anyway. */
        public Builder drainTimeoutMs(long ms) {
            if (ms < 0) {
                throw new IllegalArgumentException("ModelServer: drain timeout must be >= 0 ms, got " + ms);
            }
            this.drainTimeoutMs = ms;
            return this;
        }

        /** Appends one JSON line per HTTP request to {@code file} ({@link AccessLog}); null: no access log. */
        public Builder accessLog(Path file) {
            this.accessLogFile = file;
            this.accessLogToStderr = false;
            return this;
        }

        /** Writes the access log ({@link AccessLog}) to standard error. */
        public Builder accessLogToStderr() {
            this.accessLogFile = null;
            this.accessLogToStderr = true;
            return this;
        }

        /** At most {@code connections} open at once (default {@link #DEFAULT_MAX_CONNECTIONS}); more wait to be accepted. */
        public Builder maxConnections(int connections) {
            if (connections < 1) {
                throw new IllegalArgumentException("ModelServer: max connections must be >= 1, got " + connections);
            }
            this.maxConnections = connections;
            return this;
        }

        /** Closes a connection after {@code ms} milliseconds with no bytes in or out (default {@link #DEFAULT_IDLE_TIMEOUT_MS}). */
        public Builder idleTimeoutMs(long ms) {
            if (ms < 1) {
                throw new IllegalArgumentException("ModelServer: idle timeout must be >= 1 ms, got " + ms);
            }
            this.idleTimeoutMs = ms;
            return this;
        }

        /**
         * Cuts off a connection whose request line and headers take longer than {@code ms}
         * milliseconds from their first byte (default {@link #DEFAULT_HEADER_TIMEOUT_MS}).
         */
        public Builder headerTimeoutMs(long ms) {
            if (ms < 1) {
                throw new IllegalArgumentException("ModelServer: header timeout must be >= 1 ms, got " + ms);
            }
            this.headerTimeoutMs = ms;
            return this;
        }

        /**
         * Answers 408 to a request whose body, still arriving a header timeout after its headers,
         * averages under {@code bytesPerSecond} (default {@link #DEFAULT_MIN_REQUEST_BYTES_PER_SECOND}; 0: no minimum).
         */
        public Builder minRequestBytesPerSecond(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("ModelServer: min request data rate must be >= 0 bytes/s, got " + bytesPerSecond);
            }
            this.minRequestBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * Adds a cloud platform's routes (SageMaker's /ping and /invocations, Vertex AI's health and
         * predict routes) beside the KServe v2 ones; null (the default): KServe v2 only.
         */
        public Builder platform(PlatformRoutes routes) {
            this.platform = routes;
            return this;
        }

        /**
         * Starts the server; it listens when this returns.
         *
         * @throws IllegalArgumentException when no model was added or a traffic split names an unknown model or version
         */
        public ModelServer start() {
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("ModelServer: no models to serve");
            }
            return new ModelServer(this);
        }
    }
}
