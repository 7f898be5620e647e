package dev.kiln.serve.platform;

import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.registry.ModelRegistry;
import io.javalin.config.RoutesConfig;
import java.util.List;

/**
 * A platform's routes, added beside the KServe v2 routes by {@code ModelServer.Builder#platform}.
 * Health, metrics, auth, draining and errors stay the server's: a route here throws
 * {@link dev.kiln.serve.ServeException} and the server answers it in JSON.
 */
public interface PlatformRoutes {
    /** Adds the routes; models come from {@code registry}, bodies over {@code maxBodyBytes} get 413. */
    void addTo(RoutesConfig routes, ModelRegistry registry, JsonResponses out, long maxBodyBytes);

    /** Routes the platform's own health checker calls: they need no bearer token (it sends none). */
    List<String> openRoutes();

    /** The routes of {@code settings}' platform, or null for {@link Platform#KSERVE} (none beyond KServe's). */
    static PlatformRoutes of(PlatformSettings settings) {
        return switch (settings.platform()) {
            case KSERVE -> null;
            case SAGEMAKER -> new SageMakerRoutes(settings);
            case VERTEX -> new VertexRoutes(settings);
            case AZUREML -> new AzureMlRoutes(settings);
        };
    }
}
