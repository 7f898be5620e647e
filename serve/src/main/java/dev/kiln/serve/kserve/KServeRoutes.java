package dev.kiln.serve.kserve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.AccessLog;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.TensorSpec;
import dev.kiln.serve.protocol.BinaryTensorData;
import dev.kiln.serve.protocol.InferRequest;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.ModelVersion;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The KServe v2 (Open Inference Protocol) REST routes: server and model health, model metadata,
 * and {@code infer} with JSON tensors or the binary tensor data extension ({@link BinaryTensorData}). An infer request that names no version goes where the
 * model's traffic split sends it, sticky by the {@link #STICKY_HEADER} header when sent; the
 * response's {@code model_version} says which version answered.
 */
public final class KServeRoutes {
    /** The request header whose value keeps a client on one version of a traffic split. */
    public static final String STICKY_HEADER = "X-User-Id";

    /** Hears every infer request's outcome, for metrics: model, version, HTTP status and nanoseconds. */
    @FunctionalInterface
    public interface RequestListener {
        /** One finished request. */
        void request(String model, String version, int status, long nanos);
    }

    private final ModelRegistry registry;
    private final JsonResponses out;
    private final RequestListener listener;
    private final long maxBodyBytes;

    /** Routes over {@code registry}; bodies over {@code maxBodyBytes} get 413. */
    public KServeRoutes(ModelRegistry registry, JsonResponses out, RequestListener listener, long maxBodyBytes) {
        this.registry = registry;
        this.out = out;
        this.listener = listener;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Adds the routes under {@code /v2}. */
    public void addTo(RoutesConfig routes) {
        routes.get("/v2/health/live", ctx -> out.send(ctx, 200, out.object().put("live", true)));
        routes.get("/v2/health/ready", ctx -> out.send(ctx, 200, out.object().put("ready", true)));
        routes.get("/v2", ctx -> out.send(ctx, 200, out.object().put("name", "kiln").put("version", "0.1.0")
                .set("extensions", out.mapper().createArrayNode().add("binary_tensor_data"))));
        routes.get("/v2/models/{name}", ctx -> metadata(ctx, registry.find(ctx.pathParam("name"), null)));
        routes.get("/v2/models/{name}/versions/{version}",
                ctx -> metadata(ctx, registry.find(ctx.pathParam("name"), ctx.pathParam("version"))));
        routes.get("/v2/models/{name}/ready", ctx -> ready(ctx, registry.find(ctx.pathParam("name"), null)));
        routes.get("/v2/models/{name}/versions/{version}/ready",
                ctx -> ready(ctx, registry.find(ctx.pathParam("name"), ctx.pathParam("version"))));
        routes.post("/v2/models/{name}/infer", ctx -> infer(ctx, ctx.pathParam("name"), null));
        routes.post("/v2/models/{name}/versions/{version}/infer",
                ctx -> infer(ctx, ctx.pathParam("name"), ctx.pathParam("version")));
    }

    private void metadata(Context ctx, ModelVersion v) {
        ObjectNode m = out.object().put("name", v.name()).put("platform", "kiln");
        ArrayNode versions = m.putArray("versions");
        registry.versions(v.name()).forEach(x -> versions.add(x.version()));
        ArrayNode inputs = m.putArray("inputs");
        v.model().inputs().forEach(t -> inputs.add(spec(t)));
        ArrayNode outputs = m.putArray("outputs");
        v.model().outputs().forEach(t -> outputs.add(spec(t)));
        ObjectNode p = m.putObject("parameters");
        p.put("app", v.model().app()).put("max_batch_size", v.batcher().options().maxBatchSize())
                .put("max_delay_ms", v.batcher().options().maxDelayMs());
        for (Map.Entry<String, Object> e : v.model().parameters().entrySet()) {
            p.set(e.getKey(), out.mapper().valueToTree(e.getValue()));
        }
        out.send(ctx, 200, m);
    }

    private void ready(Context ctx, ModelVersion v) {
        out.send(ctx, 200, out.object().put("name", v.name()).put("version", v.version()).put("ready", true));
    }

    private void infer(Context ctx, String name, String version) throws IOException {
        long start = System.nanoTime();
        String metricName = registry.contains(name) ? name : "unknown";
        String metricVersion = version == null ? "default" : version;
        int status = 500;
        try (ModelVersion.Lease lease = registry.acquire(name, version, ctx.header(STICKY_HEADER))) {
            ModelVersion v = lease.version();
            metricVersion = v.version();
            AccessLog.tag(ctx, v.name(), v.version());
            InferRequest request = request(ctx);
            List<String> known = v.model().outputs().stream().map(TensorSpec::name).toList();
            for (int i = 0; i < request.outputs().size(); i++) {
                if (!known.contains(request.outputs().get(i))) {
                    throw ServeException.badRequest("outputs[" + i + "].name: expected one of " + known + ", got \""
                            + request.outputs().get(i) + "\"");
                }
            }
            Examples examples = v.model().prepare(request.inputs(), request.parameters());
            List<OutputTensor> outputs = v.batcher().infer(examples);
            send(ctx, v, request, outputs);
            status = 200;
        } catch (ServeException e) {
            status = e.status();
            throw e;
        } catch (io.javalin.http.HttpResponseException e) {
            status = e.getStatus();
            throw e;
        } finally {
            listener.request(metricName, metricVersion, status, System.nanoTime() - start);
        }
    }

    /** The request in the body: JSON, or JSON and binary tensor data when the {@value BinaryTensorData#HEADER_LENGTH} header is sent. */
    private InferRequest request(Context ctx) {
        String jsonLength = ctx.header(BinaryTensorData.HEADER_LENGTH);
        if (jsonLength == null) {
            return InferRequest.parse(JsonBodies.bytes(ctx, maxBodyBytes), out.mapper());
        }
        byte[] body = JsonBodies.rawBytes(ctx, maxBodyBytes);
        int length = InferRequest.jsonLength(jsonLength, body.length);
        JsonBodies.checkUtf8(body, length);
        return InferRequest.parseBinary(body, length, out.mapper());
    }

    /**
     * Answers with the outputs the request asked for: JSON, or — when any of them is to come back as
     * binary data — the JSON part followed by those outputs' bytes, in the order the JSON lists them.
     */
    private void send(Context ctx, ModelVersion v, InferRequest request, List<OutputTensor> outputs) throws IOException {
        ObjectNode r = out.object().put("model_name", v.name()).put("model_version", v.version());
        if (request.id() != null) {
            r.put("id", request.id());
        }
        ArrayNode list = r.putArray("outputs");
        List<byte[]> binary = new ArrayList<>();
        for (OutputTensor t : outputs) {
            if (!request.outputs().isEmpty() && !request.outputs().contains(t.name())) {
                continue;
            }
            ObjectNode o = list.addObject().put("name", t.name()).put("datatype", t.datatype());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            if (request.binaryOutput(t.name())) {
                byte[] bytes = BinaryTensorData.encode(t);
                o.putObject("parameters").put("binary_data_size", bytes.length);
                binary.add(bytes);
                continue;
            }
            ArrayNode data = o.putArray("data");
            if (t.f32() != null) {
                for (float x : t.f32()) {
                    data.add(x);
                }
            } else if (t.i64() != null) {
                for (long x : t.i64()) {
                    data.add(x);
                }
            } else {
                t.text().forEach(data::add);
            }
        }
        if (binary.isEmpty()) {
            out.send(ctx, 200, r);
            return;
        }
        byte[] json = out.mapper().writeValueAsBytes(r);
        ByteArrayOutputStream body = new ByteArrayOutputStream(json.length + binary.stream().mapToInt(b -> b.length).sum());
        body.write(json);
        for (byte[] b : binary) {
            body.write(b);
        }
        ctx.status(200).contentType(BinaryTensorData.CONTENT_TYPE).header(BinaryTensorData.HEADER_LENGTH,
                Integer.toString(json.length)).result(body.toByteArray());
    }

    private ObjectNode spec(TensorSpec t) {
        ObjectNode o = out.object().put("name", t.name()).put("datatype", t.datatype());
        ArrayNode shape = o.putArray("shape");
        for (long d : t.shape()) {
            shape.add(d);
        }
        return o;
    }

}
