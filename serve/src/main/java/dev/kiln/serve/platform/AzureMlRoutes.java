package dev.kiln.serve.platform;

import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.registry.ModelRegistry;
import io.javalin.config.RoutesConfig;
import java.util.List;
import java.util.Locale;

/**
 * Azure ML's custom container contract
 * (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container): Azure probes
 * the inference_config's liveness route ({@link Platform#AZUREML_LIVENESS_ROUTE}, the KServe one)
 * and readiness route ({@code GET /ready}: 200 once a model is loaded, 503 before and while
 * draining, the docs' "respond 200 OK to a readiness request only after the model has been
 * loaded"), and sends scoring requests to the scoring route. In a custom container the scoring
 * body is the container's own to define (Azure forwards it as sent), so {@code POST /score} takes
 * the same {@code {"instances": [...], "parameters"?: {...}}} as Vertex AI and answers {@code {"predictions": [...]}}, one
 * per instance in order ({@link Instances}); bodies must be JSON (415 otherwise), as
 * {@code az ml online-endpoint invoke} sends them. The first model loaded answers.
 */
final class AzureMlRoutes implements PlatformRoutes {
    private final PlatformSettings settings;

    AzureMlRoutes(PlatformSettings settings) {
        this.settings = settings;
    }

    @Override
    public void addTo(RoutesConfig routes, ModelRegistry registry, JsonResponses out, long maxBodyBytes) {
        long limit = Math.min(maxBodyBytes, settings.maxPayloadBytes());
        routes.get(settings.healthRoute(), Predictions.health(registry, out));
        routes.post(settings.predictRoute(), ctx -> {
            String type = ctx.contentType();
            if (type != null && !type.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
                throw new ServeException(415, "Content-Type: expected application/json, got \"" + type + "\"");
            }
            Predictions.answer(ctx, registry, out, JsonBodies.bytes(ctx, limit));
        });
    }

    @Override
    public List<String> openRoutes() {
        return List.of(settings.healthRoute());
    }
}
