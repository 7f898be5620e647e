package dev.kiln.serve.platform;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.registry.ModelRegistry;
import io.javalin.config.RoutesConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Vertex AI's custom container contract
 * (https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements): {@code GET
 * AIP_HEALTH_ROUTE} answers 200 once a model is loaded (503 otherwise, and while draining), and
 * {@code POST AIP_PREDICT_ROUTE} takes {@code {"instances": [...], "parameters": {...}}} and answers
 * {@code {"predictions": [...]}}, one prediction per instance in order ({@link Instances}). The
 * first model loaded answers; {@code parameters}, when sent, must be an object and goes to the model
 * as a KServe request's parameters do (a gpt model reads {@code max_tokens}, {@code temperature},
 * ...). Bodies over 1.5 MB, Vertex's payload limit, get 413.
 */
final class VertexRoutes implements PlatformRoutes {
    private final PlatformSettings settings;

    VertexRoutes(PlatformSettings settings) {
        this.settings = settings;
    }

    @Override
    public void addTo(RoutesConfig routes, ModelRegistry registry, JsonResponses out, long maxBodyBytes) {
        long limit = Math.min(maxBodyBytes, settings.maxPayloadBytes());
        routes.get(settings.healthRoute(), ctx -> {
            if (registry.names().isEmpty()) {
                out.send(ctx, 503, out.error("no model is loaded"));
            } else {
                out.send(ctx, 200, out.object());
            }
        });
        routes.post(settings.predictRoute(), ctx -> {
            JsonNode body = JsonBodies.object(JsonBodies.bytes(ctx, limit), out.mapper());
            JsonNode instances = body.get("instances");
            if (instances == null || !instances.isArray()) {
                throw ServeException.badRequest("instances: expected an array of instances, got "
                        + (instances == null ? "nothing" : instances.getNodeType()));
            }
            Map<String, Object> parameters = Predictions.parameters(body, out.mapper());
            List<JsonNode> list = new ArrayList<>();
            instances.forEach(list::add);
            String model = Predictions.model(registry, null, "model");
            List<OutputTensor> outputs = Predictions.run(ctx, registry, model, list, "instances", parameters);
            out.send(ctx, 200, out.object().set("predictions", Instances.predictions(outputs, list.size(), out.mapper())));
        });
    }

    @Override
    public List<String> openRoutes() {
        return List.of(settings.healthRoute());
    }
}
