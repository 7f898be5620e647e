package dev.kiln.serve.platform;

import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.registry.ModelRegistry;
import io.javalin.config.RoutesConfig;
import java.util.List;

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
        routes.get(settings.healthRoute(), Predictions.health(registry, out));
        routes.post(settings.predictRoute(), ctx -> Predictions.answer(ctx, registry, out, JsonBodies.bytes(ctx, limit)));
    }

    @Override
    public List<String> openRoutes() {
        return List.of(settings.healthRoute());
    }
}
