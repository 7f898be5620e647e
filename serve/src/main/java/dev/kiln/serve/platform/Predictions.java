package dev.kiln.serve.platform;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.AccessLog;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.ModelVersion;
import io.javalin.http.Context;
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
