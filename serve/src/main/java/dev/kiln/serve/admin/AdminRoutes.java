package dev.kiln.serve.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.ModelVersion;
import dev.kiln.serve.registry.TrafficSplit;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin REST routes: what is served, hot load and unload of versions, traffic splits.
 * <ul>
 *   <li>{@code GET /admin/models}: every model with its default version, its versions (app,
 *       requests in flight, batching options) and its traffic split (null when none).
 *   <li>{@code POST /admin/models/NAME/versions/V} with {@code {"run_dir": "...", "max_batch_size"?,
 *       "max_delay_ms"?, "queue_capacity"?}}: loads the run directory as version V (201). Batching
 *       options left out come from the model's newest version, or {@link BatchingOptions#DEFAULT}
 *       for a new model. 409 when V is loaded or being loaded; 400 naming the field for a bad body
 *       or a run directory that cannot be loaded. The weights are read on the request's own
 *       (virtual) thread, outside the registry's lock: other requests go on meanwhile.
 *   <li>{@code DELETE /admin/models/NAME/versions/V[?drain_ms=MS]}: stops new requests reaching V,
 *       waits up to MS (default {@link #DEFAULT_DRAIN_MS}) for those in flight, then unloads it
 *       (200, {@code "drained": false} when the wait ran out and some got 503); 404 when unknown.
 *   <li>{@code PUT /admin/models/NAME/traffic} with {@code {"weights": {"1": 90, "2": 10}}}: the
 *       split of requests that name no version (200); {@code null} or {@code {}} clears it.
 * </ul>
 * These routes can load any file the server process can read, so the server registers them only
 * with an admin token ({@link BearerAuth}); without one they do not exist (404).
 *
 * <p>Thread-safety: the handlers may run concurrently; the registry serialises the changes.
 */
public final class AdminRoutes {
    /** How long an unload waits for requests in flight unless the request says {@code drain_ms}. */
    public static final long DEFAULT_DRAIN_MS = 30_000;
    /** The longest {@code drain_ms} a request may ask for. */
    public static final long MAX_DRAIN_MS = 600_000;

    private static final Set<String> LOAD_FIELDS = Set.of("run_dir", "max_batch_size", "max_delay_ms", "queue_capacity");

    private final ModelRegistry registry;
    private final JsonResponses out;
    private final long maxBodyBytes;
    private final Set<String> loading = ConcurrentHashMap.newKeySet(); // "name/version" being read from disk

    /** Routes over {@code registry}, answering through {@code out}; bodies over {@code maxBodyBytes} get 413. */
    public AdminRoutes(ModelRegistry registry, JsonResponses out, long maxBodyBytes) {
        this.registry = registry;
        this.out = out;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Adds the routes under {@code /admin}. */
    public void addTo(RoutesConfig routes) {
        routes.get("/admin/models", this::list);
        routes.post("/admin/models/{name}/versions/{version}", this::load);
        routes.delete("/admin/models/{name}/versions/{version}", this::unload);
        routes.put("/admin/models/{name}/traffic", this::traffic);
    }

    private void list(Context ctx) {
        ObjectNode body = out.object();
        var models = body.putArray("models");
        for (String name : registry.names()) {
            try {
                models.add(describe(name));
            } catch (ServeException e) {
                // unloaded between names() and here: it is no longer served, so it is not listed
            }
        }
        out.send(ctx, 200, body);
    }

    private void load(Context ctx) throws InterruptedException {
        String name = label(ctx, "name");
        String version = label(ctx, "version");
        JsonNode body = objectBody(ctx);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!LOAD_FIELDS.contains(field)) {
                throw ServeException.badRequest(field + ": unknown field; expected some of " + List.copyOf(LOAD_FIELDS));
            }
        }
        JsonNode runDir = body.get("run_dir");
        if (runDir == null || !runDir.isTextual() || runDir.asText().isBlank()) {
            throw ServeException.badRequest("run_dir: expected the path of a kiln train run directory, got "
                    + (runDir == null ? "nothing" : runDir.toString()));
        }
        String key = name + "/" + version;
        if (!loading.add(key)) {
            throw new ServeException(409, "version: model \"" + name + "\" version \"" + version + "\" is being loaded");
        }
        try {
            if (loaded(name, version)) {
                throw exists(name, version);
            }
            BatchingOptions batching = batching(name, body);
            ServedModel model = read(runDir.asText());
            try {
                registry.load(name, version, model, batching);
            } catch (IllegalArgumentException e) {
                throw exists(name, version); // the labels were checked above: the version is what is wrong
            }
        } finally {
            loading.remove(key);
        }
        ObjectNode r = describe(registry.find(name, version));
        r.put("name", name);
        out.send(ctx, 201, r);
    }

    private void unload(Context ctx) throws InterruptedException {
        String name = ctx.pathParam("name");
        String version = ctx.pathParam("version");
        long drainMs = DEFAULT_DRAIN_MS;
        String asked = ctx.queryParam("drain_ms");
        if (asked != null) {
            try {
                drainMs = Long.parseLong(asked);
            } catch (NumberFormatException e) {
                drainMs = -1;
            }
            if (drainMs < 0 || drainMs > MAX_DRAIN_MS) {
                throw ServeException.badRequest("drain_ms: expected milliseconds in [0, " + MAX_DRAIN_MS + "], got \"" + asked + "\"");
            }
        }
        boolean drained = registry.unload(name, version, drainMs);
        out.send(ctx, 200, out.object().put("name", name).put("version", version).put("unloaded", true).put("drained", drained));
    }

    private void traffic(Context ctx) {
        String name = ctx.pathParam("name");
        JsonNode body = objectBody(ctx);
        if (!body.has("weights")) {
            throw ServeException.badRequest("weights: expected an object of version -> weight, or null; got nothing");
        }
        JsonNode weights = body.get("weights");
        TrafficSplit split = null;
        if (weights.isObject() && !weights.isEmpty()) {
            List<String> loaded = registry.versions(name).stream().map(ModelVersion::version).toList(); // 404 first
            Map<String, Double> w = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : weights.properties()) {
                JsonNode v = e.getValue();
                if (!v.isNumber() || !(v.asDouble() >= 0) || Double.isInfinite(v.asDouble())) {
                    throw ServeException.badRequest("weights." + e.getKey() + ": expected a number >= 0, got " + v);
                }
                // Checked here too (the registry checks again under its lock) so that the error names the body's field.
                if (!loaded.contains(e.getKey())) {
                    throw ServeException.badRequest("weights." + e.getKey() + ": model \"" + name + "\" has no version \""
                            + e.getKey() + "\"; loaded: " + loaded);
                }
                w.put(e.getKey(), v.asDouble());
            }
            if (w.values().stream().noneMatch(x -> x > 0)) {
                throw ServeException.badRequest("weights: expected at least one weight > 0, got " + weights);
            }
            try {
                split = new TrafficSplit(w);
            } catch (IllegalArgumentException e) { // finite weights whose sum is not, e.g. 1e308 twice
                throw ServeException.badRequest(e.getMessage().replaceFirst("^traffic", "weights"));
            }
        } else if (!weights.isNull() && !weights.isObject()) {
            throw ServeException.badRequest("weights: expected an object of version -> weight, or null; got " + weights.getNodeType());
        }
        registry.split(name, split);
        out.send(ctx, 200, describe(name));
    }

    /** One model's entry in {@code GET /admin/models}. */
    private ObjectNode describe(String name) {
        ObjectNode m = out.object().put("name", name).put("default_version", registry.find(name, null).version());
        var versions = m.putArray("versions");
        registry.versions(name).forEach(v -> versions.add(describe(v)));
        TrafficSplit split = registry.split(name);
        if (split == null) {
            m.putNull("traffic");
        } else {
            ObjectNode t = m.putObject("traffic");
            split.weights().forEach(t::put);
        }
        return m;
    }

    private ObjectNode describe(ModelVersion v) {
        BatchingOptions b = v.batcher().options();
        return out.object().put("version", v.version()).put("app", v.model().app()).put("in_flight", v.inFlight())
                .put("max_batch_size", b.maxBatchSize()).put("max_delay_ms", b.maxDelayMs()).put("queue_capacity", b.queueCapacity());
    }

    private boolean loaded(String name, String version) {
        return registry.contains(name) && registry.versions(name).stream().anyMatch(v -> v.version().equals(version));
    }

    /** The body's batching options, each left out taken from the model's newest version (or the defaults). */
    private BatchingOptions batching(String name, JsonNode body) {
        BatchingOptions base = BatchingOptions.DEFAULT;
        if (registry.contains(name)) {
            List<ModelVersion> vs = registry.versions(name);
            base = vs.get(vs.size() - 1).batcher().options();
        }
        try {
            return new BatchingOptions(intField(body, "max_batch_size", base.maxBatchSize()),
                    intField(body, "max_delay_ms", base.maxDelayMs()), intField(body, "queue_capacity", base.queueCapacity()));
        } catch (IllegalArgumentException e) {
            throw ServeException.badRequest(e.getMessage().replace("BatchingOptions: ", ""));
        }
    }

    private static int intField(JsonNode body, String field, int fallback) {
        JsonNode v = body.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isInt()) {
            throw ServeException.badRequest(field + ": expected an integer, got " + v);
        }
        return v.asInt();
    }

    /** The model of run directory {@code dir}; whatever makes it unloadable is the field's fault (400). */
    private static ServedModel read(String dir) {
        try {
            return RunDirectoryModels.load(Path.of(dir));
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            throw ServeException.badRequest("run_dir: cannot load \"" + dir + "\": " + e.getMessage());
        }
    }

    private JsonNode objectBody(Context ctx) {
        return JsonBodies.object(JsonBodies.bytes(ctx, maxBodyBytes), out.mapper());
    }

    private static String label(Context ctx, String param) {
        String s = ctx.pathParam(param);
        if (!s.matches("[A-Za-z0-9_.-]+")) {
            throw ServeException.badRequest(param + ": expected [A-Za-z0-9_.-]+, got \"" + s + "\"");
        }
        return s;
    }

    private static ServeException exists(String name, String version) {
        return new ServeException(409, "version: model \"" + name + "\" already has version \"" + version + "\"");
    }
}
