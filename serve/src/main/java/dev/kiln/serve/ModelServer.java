package dev.kiln.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.batch.DynamicBatcher;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import dev.kiln.serve.protocol.InferRequest;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * An HTTP model server speaking KServe v2 (the Open Inference Protocol) over REST, on Javalin
 * (Jetty 12, virtual threads): health, model metadata and readiness, and {@code infer} with JSON
 * tensors; {@code GET /metrics} in Prometheus text. Each model version has its own
 * {@link DynamicBatcher}. Every error is {@code {"error": "..."}} with its status.
 *
 * <p>Use: {@code try (ModelServer s = ModelServer.builder().model("fashion", m).port(0).start()) {...}}.
 */
public final class ModelServer implements AutoCloseable {
    /** Request bodies over this many bytes are refused with 413 unless the builder says otherwise. */
    public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;

    private record Served(String name, String version, ServedModel model, DynamicBatcher batcher) {}

    private final ObjectMapper json = new ObjectMapper();
    private final ServingMetrics metrics = new ServingMetrics();
    private final Map<String, Map<String, Served>> models = new LinkedHashMap<>(); // name -> version -> model
    private final long maxBodyBytes;
    private final Javalin app;

    private ModelServer(Builder b) {
        this.maxBodyBytes = b.maxBodyBytes;
        for (Builder.Entry e : b.entries) {
            Served s = new Served(e.name, e.version, e.model, new DynamicBatcher(e.name + "-" + e.version, e.model,
                    e.batching, n -> metrics.batch(e.name, e.version, n)));
            models.computeIfAbsent(e.name, _ -> new LinkedHashMap<>()).put(e.version, s);
        }
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = maxBodyBytes;
            config.routes.get("/v2/health/live", ctx -> send(ctx, 200, obj().put("live", true)));
            config.routes.get("/v2/health/ready", ctx -> send(ctx, 200, obj().put("ready", true)));
            config.routes.get("/v2", ctx -> send(ctx, 200, obj().put("name", "kiln").put("version", "0.1.0")
                    .set("extensions", json.createArrayNode())));
            config.routes.get("/v2/models/{name}", ctx -> metadata(ctx, find(ctx.pathParam("name"), null)));
            config.routes.get("/v2/models/{name}/versions/{version}",
                    ctx -> metadata(ctx, find(ctx.pathParam("name"), ctx.pathParam("version"))));
            config.routes.get("/v2/models/{name}/ready", ctx -> ready(ctx, find(ctx.pathParam("name"), null)));
            config.routes.get("/v2/models/{name}/versions/{version}/ready",
                    ctx -> ready(ctx, find(ctx.pathParam("name"), ctx.pathParam("version"))));
            config.routes.post("/v2/models/{name}/infer", ctx -> infer(ctx, ctx.pathParam("name"), null));
            config.routes.post("/v2/models/{name}/versions/{version}/infer",
                    ctx -> infer(ctx, ctx.pathParam("name"), ctx.pathParam("version")));
            config.routes.get("/metrics", ctx -> ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            config.routes.exception(ServeException.class, (e, ctx) -> send(ctx, e.status(), error(e.getMessage())));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> send(ctx, e.getStatus(), error(e.getMessage())));
            config.routes.exception(Exception.class, (e, ctx) -> send(ctx, 500, error("internal error: " + e)));
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    send(ctx, 404, error("no such endpoint: " + ctx.method() + " " + ctx.path()));
                }
            });
        });
        try {
            app.start(b.host, b.port);
        } catch (RuntimeException e) {
            models.values().forEach(vs -> vs.values().forEach(s -> s.batcher().close()));
            throw e;
        }
    }

    /** A builder with no models, host 127.0.0.1 and port 8080. */
    public static Builder builder() {
        return new Builder();
    }

    /** The port the server listens on (the one picked when the builder asked for 0). */
    public int port() {
        return app.port();
    }

    /** Forward passes run so far by {@code name}'s version {@code version}. */
    public long forwardPasses(String name, String version) {
        return find(name, version).batcher().forwardPasses();
    }

    private Served find(String name, String version) {
        Map<String, Served> versions = models.get(name);
        if (versions == null) {
            throw ServeException.notFound("model: no model named \"" + name + "\"; served: " + models.keySet());
        }
        if (version == null) {
            return versions.values().iterator().next();
        }
        Served s = versions.get(version);
        if (s == null) {
            throw ServeException.notFound("version: model \"" + name + "\" has no version \"" + version + "\"; served: "
                    + versions.keySet());
        }
        return s;
    }

    private void metadata(Context ctx, Served s) {
        ObjectNode m = obj().put("name", s.name()).put("platform", "kiln");
        ArrayNode versions = m.putArray("versions");
        models.get(s.name()).keySet().forEach(versions::add);
        ArrayNode inputs = m.putArray("inputs");
        s.model().inputs().forEach(t -> inputs.add(spec(t)));
        ArrayNode outputs = m.putArray("outputs");
        outputSpecs(s.model()).forEach(t -> outputs.add(spec(t)));
        ObjectNode p = m.putObject("parameters");
        p.put("app", s.model().app()).put("max_batch_size", s.batcher().options().maxBatchSize())
                .put("max_delay_ms", s.batcher().options().maxDelayMs());
        ArrayNode classes = p.putArray("classes");
        s.model().classNames().forEach(classes::add);
        send(ctx, 200, m);
    }

    private void ready(Context ctx, Served s) {
        send(ctx, 200, obj().put("name", s.name()).put("version", s.version()).put("ready", true));
    }

    private static List<TensorSpec> outputSpecs(ServedModel m) {
        return List.of(new TensorSpec("logits", "FP32", new long[] {-1, m.classes()}),
                new TensorSpec("probabilities", "FP32", new long[] {-1, m.classes()}),
                new TensorSpec("label", "INT64", new long[] {-1}));
    }

    private void infer(Context ctx, String name, String version) {
        long start = System.nanoTime();
        String metricName = models.containsKey(name) ? name : "unknown";
        String metricVersion = version == null ? "default" : version;
        int status = 500;
        try {
            Served s = find(name, version);
            metricVersion = s.version();
            if (ctx.contentLength() > maxBodyBytes) {
                throw new ServeException(413, "body: " + ctx.contentLength() + " bytes is over the limit of " + maxBodyBytes);
            }
            InferRequest request = InferRequest.parse(ctx.bodyAsBytes(), json);
            List<String> wanted = request.outputs().isEmpty() ? List.of("logits", "probabilities", "label") : request.outputs();
            for (int i = 0; i < wanted.size(); i++) {
                if (!List.of("logits", "probabilities", "label").contains(wanted.get(i))) {
                    throw ServeException.badRequest("outputs[" + i + "].name: expected logits, probabilities or label, got \""
                            + wanted.get(i) + "\"");
                }
            }
            Examples examples = s.model().prepare(request.inputs());
            float[] logits = await(s.batcher().submit(examples));
            send(ctx, 200, response(s, request, wanted, examples.rows(), logits));
            status = 200;
        } catch (ServeException e) {
            status = e.status();
            throw e;
        } catch (HttpResponseException e) {
            status = e.getStatus();
            throw e;
        } finally {
            metrics.request(metricName, metricVersion, status, System.nanoTime() - start);
        }
    }

    private static float[] await(java.util.concurrent.CompletableFuture<float[]> f) {
        try {
            return f.get(); // a virtual thread: blocking here parks it, not a carrier
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "interrupted while waiting for the model");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ServeException s) {
                throw s;
            }
            throw new IllegalStateException("forward pass failed: " + e.getCause(), e.getCause());
        }
    }

    private ObjectNode response(Served s, InferRequest request, List<String> wanted, int rows, float[] logits) {
        int classes = s.model().classes();
        ObjectNode r = obj().put("model_name", s.name()).put("model_version", s.version());
        if (request.id() != null) {
            r.put("id", request.id());
        }
        ArrayNode outputs = r.putArray("outputs");
        for (String name : wanted) {
            ObjectNode o = outputs.addObject().put("name", name);
            ArrayNode shape = o.putArray("shape");
            shape.add(rows);
            ArrayNode data;
            switch (name) {
                case "logits", "probabilities" -> {
                    o.put("datatype", "FP32");
                    shape.add(classes);
                    data = o.putArray("data");
                    for (int row = 0; row < rows; row++) {
                        float[] values = name.equals("logits") ? java.util.Arrays.copyOfRange(logits, row * classes, (row + 1) * classes)
                                : softmax(logits, row * classes, classes);
                        for (float v : values) {
                            data.add(v);
                        }
                    }
                }
                default -> {
                    o.put("datatype", "INT64");
                    data = o.putArray("data");
                    for (int row = 0; row < rows; row++) {
                        data.add(argmax(logits, row * classes, classes));
                    }
                }
            }
        }
        return r;
    }

    /** Softmax of one row, in double (as kiln eval computes it), rounded to float. */
    static float[] softmax(float[] z, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, z[offset + k]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            p[k] = Math.exp(z[offset + k] - max);
            sum += p[k];
        }
        float[] out = new float[n];
        for (int k = 0; k < n; k++) {
            out[k] = (float) (p[k] / sum);
        }
        return out;
    }

    private static long argmax(float[] z, int offset, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (z[offset + k] > z[offset + best]) {
                best = k;
            }
        }
        return best;
    }

    private ObjectNode spec(TensorSpec t) {
        ObjectNode o = obj().put("name", t.name()).put("datatype", t.datatype());
        ArrayNode shape = o.putArray("shape");
        for (long d : t.shape()) {
            shape.add(d);
        }
        return o;
    }

    private ObjectNode obj() {
        return json.createObjectNode();
    }

    private ObjectNode error(String message) {
        return obj().put("error", message);
    }

    private void send(Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON response", e);
        }
    }

    /** Stops the HTTP server, then each model's batcher (queued requests get 503). */
    @Override
    public void close() {
        app.stop();
        models.values().forEach(vs -> vs.values().forEach(s -> s.batcher().close()));
    }

    /** Which models to serve, and where. */
    public static final class Builder {
        private record Entry(String name, String version, ServedModel model, BatchingOptions batching) {}

        private final List<Entry> entries = new ArrayList<>();
        private String host = "127.0.0.1";
        private int port = 8080;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;

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
            entries.add(new Entry(name, version, java.util.Objects.requireNonNull(model, "model"), batching));
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

        /** Starts the server; it listens when this returns. */
        public ModelServer start() {
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("ModelServer: no models to serve");
            }
            return new ModelServer(this);
        }
    }
}
