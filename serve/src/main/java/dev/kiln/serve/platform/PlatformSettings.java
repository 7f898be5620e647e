package dev.kiln.serve.platform;

import java.nio.file.Path;

/**
 * What one platform's environment says about serving: null fields are the server's own defaults.
 *
 * @param platform the platform
 * @param port the port the platform sends requests to, or null (KServe: {@code --port})
 * @param healthRoute the route of the platform's health check ({@code GET}), or null
 * @param predictRoute the route of its prediction requests ({@code POST}), or null
 * @param modelDir the run directory the platform put the model in, or null when it names none
 * @param maxPayloadBytes the largest request body the platform forwards (larger ones get 413 here too)
 */
public record PlatformSettings(Platform platform, Integer port, String healthRoute, String predictRoute, Path modelDir,
        long maxPayloadBytes) {
    /** No limit of the platform's own. */
    public static final long NO_LIMIT = Long.MAX_VALUE;
    /**
     * SageMaker real-time endpoints take request payloads of at most 6 MB (InvokeEndpoint's Body;
     * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
     */
    public static final long SAGEMAKER_MAX_PAYLOAD_BYTES = 6L << 20;
    /**
     * Vertex AI online prediction takes payloads of at most 1.5 MB
     * (https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/predict: "the payload limit size (currently, 1.5MB)").
     */
    public static final long VERTEX_MAX_PAYLOAD_BYTES = 1_500_000L;
}
