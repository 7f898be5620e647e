package dev.kiln.serve.platform;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.AccessLog;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.ModelVersion;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs instances through a served model's batcher, as KServe infer requests do. */
final class Predictions {
    private Predictions() {}

    /** The model answering a platform request: {@code name}, or the first one loaded when null. */
    static String model(ModelRegistry registry, String name, String field) {
        List<String> names = registry.names();
        if (names.isEmpty()) {
            throw new ServeException(503, "no model is loaded");
        }
        if (name == null) {
            return names.getFirst();
        }
        if (!names.contains(name)) {
            throw ServeException.notFound(field + ": expected one of the loaded models " + names + ", got \"" + name + "\"");
        }
        return name;
    }

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    /**
     * The body's {@code parameters} as plain Java values for the model ({@code ServedModel.prepare}), empty when
     * absent or null; 400 when it is not an object.
     */
    static Map<String, Object> parameters(JsonNode body, ObjectMapper mapper) {
        JsonNode parameters = body.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return Map.of();
        }
        if (!parameters.isObject()) {
            throw ServeException.badRequest("parameters: expected an object, got " + parameters.getNodeType());
        }
        return mapper.convertValue(parameters, MAP);
    }

    /** The body's {@code instances}, each one example; 400 when it is missing or not an array. */
    static List<JsonNode> instances(JsonNode body) {
        JsonNode list = body.get("instances");
        if (list == null || !list.isArray()) {
            throw ServeException.badRequest("instances: expected an array of instances, got "
                    + (list == null ? "nothing" : list.getNodeType()));
        }
        List<JsonNode> instances = new ArrayList<>(list.size());
        list.forEach(instances::add);
        return instances;
    }

    /** A health route: 200 {@code {}} once a model is loaded, 503 before (the server's gate answers 503 while draining). */
    static Handler health(ModelRegistry registry, JsonResponses out) {
        return ctx -> {
            if (registry.names().isEmpty()) {
                out.send(ctx, 503, out.error("no model is loaded"));
            } else {
                out.send(ctx, 200, out.object());
            }
        };
    }

    /**
     * Answers a JSON {@code {"instances": [...], "parameters"?: {...}}} body with
     * {@code {"predictions": [...]}} from the first model loaded (Vertex AI's and Azure ML's scoring).
     */
    static void answer(Context ctx, ModelRegistry registry, JsonResponses out, byte[] bytes) {
        JsonNode body = JsonBodies.object(bytes, out.mapper());
        List<JsonNode> instances = instances(body);
        Map<String, Object> parameters = parameters(body, out.mapper());
        List<OutputTensor> outputs = run(ctx, registry, model(registry, null, "model"), instances, "instances", parameters);
        out.send(ctx, 200, out.object().set("predictions", Instances.predictions(outputs, instances.size(), out.mapper())));
    }

    /** The outputs of {@code name}'s default version for {@code instances}, with the request's {@code parameters} (maybe empty). */
    static List<OutputTensor> run(Context ctx, ModelRegistry registry, String name, List<JsonNode> instances, String field,
                                  Map<String, Object> parameters) {
        try (ModelVersion.Lease lease = registry.acquire(name, null, null)) {
            ModelVersion v = lease.version();
            AccessLog.tag(ctx, v.name(), v.version());
            return v.batcher().infer(v.model().prepare(Instances.tensors(v.model(), instances, field), parameters));
        }
    }
}
