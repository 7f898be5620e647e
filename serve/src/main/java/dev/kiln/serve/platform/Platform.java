package dev.kiln.serve.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The serving contract a cloud platform expects of a custom container: which routes answer health
 * checks and predictions, on which port, and where the model files are. {@link #KSERVE} (the
 * default) is the server's own KServe v2 routes; the others add their platform's routes on top of
 * them ({@link PlatformRoutes}).
 */
public enum Platform {
    /** KServe v2 only (an InferenceService custom predictor, or plain Kubernetes). */
    KSERVE,
    /**
     * AWS SageMaker bring-your-own-container hosting: {@code GET /ping}, {@code POST /invocations}
     * on port 8080, models in {@code /opt/ml/model}
     * (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html).
     */
    SAGEMAKER,
    /**
     * Google Vertex AI custom containers: port, health and predict routes and the model's location
     * from {@code AIP_*} variables
     * (https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements).
     */
    VERTEX,
    /**
     * Azure Machine Learning online endpoints with a custom container: the deployment YAML's
     * {@code environment.inference_config} names the liveness, readiness and scoring routes (port
     * and path) that Azure probes and sends scoring requests to, and the registered model is mounted
     * where {@code AZUREML_MODEL_DIR} says
     * (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container). Azure sets
     * no variable for the port or the routes, so they are fixed here ({@link #AZUREML_PORT},
     * {@link #AZUREML_LIVENESS_ROUTE}, readiness {@code /ready}, scoring {@code /score}) and
     * deploy/azureml/deployment.yml names the same ones.
     */
    AZUREML;

    /** SageMaker's model directory: it unpacks the model's ModelDataUrl archive here before the container starts. */
    public static final Path SAGEMAKER_MODEL_DIR = Path.of("/opt/ml/model");
    /** Kiln's own variable naming the platform, for containers whose platform sets none of its own (SageMaker). */
    public static final String PLATFORM_VARIABLE = "KILN_PLATFORM";
    /** The port both SageMaker and Vertex AI send requests to unless told otherwise. */
    public static final int DEFAULT_PORT = 8080;
    /**
     * Azure ML's port: Azure sends probes and scoring requests to whatever port inference_config
     * names, so this is the image's one port (the Dockerfile's EXPOSE, as on SageMaker and Vertex
     * AI) rather than 5001, the default of Azure's own Python inference server; {@code --port}
     * overrides it (the YAML's inference_config must then say the same).
     */
    public static final int AZUREML_PORT = DEFAULT_PORT;
    /**
     * Azure ML's liveness probe: the server's own KServe liveness route, which stays 200 while the
     * server drains, so that Azure does not restart a container finishing its requests in flight.
     */
    public static final String AZUREML_LIVENESS_ROUTE = "/v2/health/live";
    /** The variable Azure ML sets to the directory where the deployment's registered model is mounted. */
    public static final String AZUREML_MODEL_DIR = "AZUREML_MODEL_DIR";

    /**
     * The platform whose environment this is: Vertex AI sets {@code AIP_HTTP_PORT},
     * {@code AIP_HEALTH_ROUTE} and {@code AIP_PREDICT_ROUTE} in every custom container (docs above);
     * SageMaker documents {@code SAGEMAKER_BIND_TO_PORT} and {@code SAGEMAKER_SAFE_PORT_RANGE}
     * (inference pipelines, https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipeline-real-time.html)
     * but sets nothing in a single container, so there {@code --platform sagemaker} (or any
     * {@code SAGEMAKER_*} variable set in the model's Environment) is what says so, or {@value #PLATFORM_VARIABLE},
     * which the deploy/sagemaker template sets so that SageMaker's {@code docker run IMAGE serve} needs no flag.
     * Azure ML sets {@value #AZUREML_MODEL_DIR} in every online deployment (docs above).
     * {@value #PLATFORM_VARIABLE} wins over the others; nothing of these: {@link #KSERVE}.
     *
     * @throws IllegalArgumentException when {@value #PLATFORM_VARIABLE} names no platform
     */
    public static Platform detect(Map<String, String> env) {
        String named = env.get(PLATFORM_VARIABLE);
        if (named != null && !named.isBlank()) {
            try {
                return parse(named.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PLATFORM_VARIABLE + ": expected one of kserve, sagemaker, vertex, azureml, got \"" + named + "\"", e);
            }
        }
        if (env.containsKey("AIP_HTTP_PORT") || env.containsKey("AIP_PREDICT_ROUTE") || env.containsKey("AIP_HEALTH_ROUTE")) {
            return VERTEX;
        }
        if (env.keySet().stream().anyMatch(k -> k.startsWith("SAGEMAKER_"))) {
            return SAGEMAKER;
        }
        if (env.containsKey(AZUREML_MODEL_DIR)) {
            return AZUREML;
        }
        return KSERVE;
    }

    /**
     * The platform named {@code name}, in any case.
     *
     * @throws IllegalArgumentException naming the values expected
     */
    public static Platform parse(String name) {
        for (Platform p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--platform: expected one of kserve, sagemaker, vertex, azureml, got \"" + name + "\"");
    }

    /** The lower-case name, as {@code --platform} takes it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * This platform's settings under {@code env}.
     *
     * @throws IllegalArgumentException naming the variable when one has a value the platform does not document
     */
    public PlatformSettings settings(Map<String, String> env) {
        return switch (this) {
            case KSERVE -> new PlatformSettings(this, null, null, null, null, PlatformSettings.NO_LIMIT);
            case SAGEMAKER -> new PlatformSettings(this, port(env, "SAGEMAKER_BIND_TO_PORT"), "/ping", "/invocations",
                    SAGEMAKER_MODEL_DIR, PlatformSettings.SAGEMAKER_MAX_PAYLOAD_BYTES);
            case VERTEX -> new PlatformSettings(this, port(env, "AIP_HTTP_PORT"), route(env, "AIP_HEALTH_ROUTE", "/health"),
                    route(env, "AIP_PREDICT_ROUTE", "/predict"), storage(env), PlatformSettings.VERTEX_MAX_PAYLOAD_BYTES);
            case AZUREML -> new PlatformSettings(this, AZUREML_PORT, "/ready", "/score", azureModel(env), PlatformSettings.NO_LIMIT);
        };
    }

    private static int port(Map<String, String> env, String variable) {
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            return DEFAULT_PORT;
        }
        try {
            int port = Integer.parseInt(value.strip());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException(variable + ": expected a port in [1, 65535], got \"" + value + "\"");
    }

    private static String route(Map<String, String> env, String variable, String fallback) {
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        if (!value.startsWith("/") || value.contains("{") || value.contains("*")) {
            throw new IllegalArgumentException(variable + ": expected a path starting with / (no { or *), got \"" + value + "\"");
        }
        return value;
    }

    /**
     * The model directory AIP_STORAGE_URI names: Vertex AI sets it to the Cloud Storage URI where it
     * copied the model's artifacts (docs above). Kiln reads local files only, so a {@code gs://} URI
     * is refused with what to do instead; null when unset (the run directory must then be given).
     */
    private static Path storage(Map<String, String> env) {
        String value = env.get("AIP_STORAGE_URI");
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.startsWith("gs://")) {
            throw new IllegalArgumentException("AIP_STORAGE_URI: expected a local directory, got \"" + value + "\": kiln serve "
                    + "does not download from Cloud Storage; put the run directory in the image or mount the bucket "
                    + "(Cloud Storage FUSE, under /gcs/BUCKET) and pass that path as RUN_DIR");
        }
        if (value.startsWith("file://")) {
            return Path.of(java.net.URI.create(value));
        }
        if (value.contains("://")) {
            throw new IllegalArgumentException("AIP_STORAGE_URI: expected a local directory, got \"" + value + "\"");
        }
        return Path.of(value);
    }

    /**
     * The run directory under AZUREML_MODEL_DIR: Azure mounts the registered model's files at
     * {@code .../azureml-models/NAME/VERSION} and sets the variable there, so a model registered
     * from a folder ({@code path: ./run}) lies one level down, in a subfolder named after that folder
     * (docs above, "Locating the mounted model"). The directory itself when it holds
     * {@code model.safetensors}, else its one subfolder that does; null when unset.
     *
     * @throws IllegalArgumentException when neither holds a model, or several subfolders do
     */
    private static Path azureModel(Map<String, String> env) {
        String value = env.get(AZUREML_MODEL_DIR);
        if (value == null || value.isBlank()) {
            return null;
        }
        Path dir = Path.of(value.strip());
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        List<Path> runs;
        try (Stream<Path> children = Files.list(dir)) {
            runs = children.filter(c -> Files.isRegularFile(c.resolve("model.safetensors"))).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(AZUREML_MODEL_DIR + ": expected a readable directory, got \"" + value + "\" (" + e + ")", e);
        }
        if (runs.size() != 1) {
            throw new IllegalArgumentException(AZUREML_MODEL_DIR + ": expected model.safetensors in \"" + value
                    + "\" or in exactly one of its subfolders, got " + (runs.isEmpty() ? "none" : runs.size() + ": " + runs));
        }
        return runs.get(0);
    }
}
