package dev.kiln.apps.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.serve.ModelServer;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.platform.Platform;
import dev.kiln.serve.platform.PlatformRoutes;
import dev.kiln.serve.platform.PlatformSettings;
import dev.kiln.tensor.random.Generator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/sagemaker, deploy/vertex, deploy/kserve and deploy/azureml, parsed, then served: the environment each platform would
 * set from the template goes to a live server, whose health and predict routes must answer on the
 * port the template and the Dockerfile name.
 */
class CloudTemplatesTest {
    static final int SIDE = 12;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path repo;
    static Path run;

    @BeforeAll
    static void setUp() throws Exception {
        repo = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(repo.resolve("deploy"))) {
            repo = repo.getParent();
            assertNotNull(repo, "no deploy/ folder above " + Path.of("").toAbsolutePath());
        }
        run = Files.createDirectories(tmp.resolve("model"));
        Safetensors.saveModule(run.resolve("model.safetensors"), ConvNet.build(SIDE, SIDE, new Generator(7)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.3", "input_std", "0.25",
                        "input_height", Integer.toString(SIDE), "input_width", Integer.toString(SIDE)));
    }

    static int exposedPort() throws Exception {
        return Files.readAllLines(repo.resolve("Dockerfile")).stream().filter(l -> l.startsWith("EXPOSE "))
                .map(l -> Integer.parseInt(l.substring(7).strip())).findFirst().orElseThrow();
    }

    static String pixels() {
        StringJoiner j = new StringJoiner(",");
        for (int i = 0; i < SIDE * SIDE; i++) {
            j.add(Float.toString((i % 13) / 13f));
        }
        return j.toString();
    }

    /** Health then predict on a live server with {@code settings}' routes. */
    static void serves(PlatformSettings settings, String type, String body) throws Exception {
        try (ModelServer server = ModelServer.builder().port(0).model("model", RunDirectoryModels.load(run))
                .platform(PlatformRoutes.of(settings)).start(); HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + settings.healthRoute())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), settings.healthRoute() + ": " + health.body());
            HttpResponse<String> predict = http.send(HttpRequest.newBuilder(URI.create(base + settings.predictRoute()))
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, predict.statusCode(), settings.predictRoute() + ": " + predict.body());
            assertEquals(1, JSON.readTree(predict.body()).get("predictions").size(), predict.body());
        }
    }

    @Test
    void sageMakerModelAndEndpointConfigPointAtWhatTheServerServes() throws Exception {
        // CreateModel's PrimaryContainer.Environment becomes the container's environment, and SageMaker sends
        // GET /ping and POST /invocations to port 8080
        // (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html).
        JsonNode model = JSON.readTree(repo.resolve("deploy/sagemaker/create-model.json").toFile());
        JsonNode config = JSON.readTree(repo.resolve("deploy/sagemaker/endpoint-config.json").toFile());
        assertEquals(model.get("ModelName").asText(), config.get("ProductionVariants").get(0).get("ModelName").asText());
        JsonNode container = model.get("PrimaryContainer");
        assertTrue(container.get("ModelDataUrl").asText().matches("s3://.+\\.tar\\.gz"), container.toString());
        Map<String, String> env = new LinkedHashMap<>();
        container.get("Environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        assertEquals(Platform.SAGEMAKER, Platform.detect(env), "docker run IMAGE serve must pick the SageMaker contract: " + env);
        PlatformSettings settings = Platform.SAGEMAKER.settings(env);
        assertEquals(8080, settings.port());
        assertEquals(exposedPort(), settings.port(), "the Dockerfile's EXPOSE");
        assertEquals(Path.of("/opt/ml/model"), settings.modelDir());
        // "SageMaker AI expects all containers to run with root users" (same page): the image CreateModel names is
        // deploy/sagemaker/Dockerfile's, root, the platform preset, kiln's ENTRYPOINT kept for `docker run IMAGE serve`.
        assertTrue(container.get("Image").asText().contains("kiln-sagemaker"), container.toString());
        List<String> dockerfile = Files.readAllLines(repo.resolve("deploy/sagemaker/Dockerfile")).stream()
                .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        assertTrue(dockerfile.contains("USER root"), dockerfile.toString());
        assertTrue(dockerfile.contains("ENV KILN_PLATFORM=sagemaker"), dockerfile.toString());
        assertTrue(dockerfile.stream().noneMatch(l -> l.startsWith("ENTRYPOINT")), "kiln's ENTRYPOINT stays: " + dockerfile);
        assertEquals(Platform.SAGEMAKER, Platform.detect(Map.of("KILN_PLATFORM", "sagemaker")));
        serves(settings, "text/csv", pixels() + "\n");
    }

    @Test
    void vertexUploadCommandPointsAtWhatTheServerServes() throws Exception {
        // --container-ports/-health-route/-predict-route become AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE
        // (https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements#aip-variables).
        List<String> lines = Files.readAllLines(repo.resolve("deploy/vertex/upload-model.sh"));
        StringBuilder joined = new StringBuilder();
        for (String l : lines) {
            joined.append(l.endsWith("\\") ? l.substring(0, l.length() - 1) : l + "\n");
        }
        String upload = joined.toString().lines().filter(l -> l.strip().startsWith("gcloud ai models upload")).findFirst()
                .orElseThrow(() -> new AssertionError("no gcloud ai models upload in deploy/vertex/upload-model.sh"));
        Map<String, String> flags = new LinkedHashMap<>();
        for (String word : upload.strip().split("\\s+")) {
            if (word.startsWith("--") && word.contains("=")) {
                flags.put(word.substring(2, word.indexOf('=')), word.substring(word.indexOf('=') + 1).replace("\"", ""));
            }
        }
        assertTrue(!flags.containsKey("artifact-uri"), "kiln does not read gs:// artifacts: " + flags);
        Map<String, String> env = Map.of("AIP_HTTP_PORT", flags.get("container-ports"), "AIP_HEALTH_ROUTE",
                flags.get("container-health-route"), "AIP_PREDICT_ROUTE", flags.get("container-predict-route"));
        assertEquals(Platform.VERTEX, Platform.detect(env));
        PlatformSettings settings = Platform.VERTEX.settings(env);
        assertEquals(exposedPort(), settings.port(), "the Dockerfile's EXPOSE");
        List<String> args = List.of(flags.get("container-args").split(","));
        assertEquals("serve", args.getFirst(), flags.toString());
        String cmd = Files.readAllLines(repo.resolve("Dockerfile")).stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
        assertTrue(cmd.contains("\"" + args.get(1) + "\""), "the run directory the image holds (" + cmd + "): " + args);
        serves(settings, "application/json", "{\"instances\": [[" + pixels() + "]]}");
    }

    @Test
    void kserveInferenceServiceRunsKilnServeAsItsCustomPredictor() throws Exception {
        // A custom predictor is a container named kserve-container; with STORAGE_URI set, KServe's storage
        // initializer puts the model at /mnt/models first (https://kserve.github.io/website/docs/model-serving/storage/storage-containers,
        // .../storage/providers/pvc); the predictor is sent the v2 protocol on the container port.
        JsonNode isvc = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(repo.resolve("deploy/kserve/inferenceservice.yaml").toFile());
        assertEquals("serving.kserve.io/v1beta1", isvc.path("apiVersion").asText());
        assertEquals("InferenceService", isvc.path("kind").asText());
        JsonNode containers = isvc.path("spec").path("predictor").path("containers");
        assertEquals(1, containers.size(), "one predictor container");
        JsonNode c = containers.get(0);
        assertEquals("kserve-container", c.path("name").asText());
        List<String> args = new java.util.ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        assertEquals("serve", args.getFirst(), "the image's ENTRYPOINT is kiln: " + args);
        boolean storage = false;
        for (JsonNode e : c.path("env")) {
            storage |= e.path("name").asText().equals("STORAGE_URI");
        }
        assertTrue(storage, "STORAGE_URI brings the run directory to /mnt/models");
        assertTrue(args.stream().anyMatch(a -> a.endsWith("=/mnt/models") || a.equals("/mnt/models")), args.toString());
        int port = c.path("ports").get(0).path("containerPort").asInt();
        assertEquals(exposedPort(), port, "the Dockerfile's EXPOSE");
        assertEquals(Integer.toString(port), args.get(args.indexOf("--port") + 1), args.toString());
        assertEquals("0.0.0.0", args.get(args.indexOf("--host") + 1), "reachable from the pod network: " + args);
        try (ModelServer server = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(run)).start();
                HttpClient http = HttpClient.newHttpClient()) {
            for (String probe : List.of("readinessProbe", "livenessProbe")) {
                JsonNode get = c.path(probe).path("httpGet");
                assertEquals(port, get.path("port").asInt(), probe + " port");
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + get.path("path").asText())).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), probe + " " + get.path("path").asText() + ": " + r.body());
            }
            HttpResponse<String> infer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v2/models/fashion/infer")).POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": [{\"name\": \"images\", "
                    + "\"datatype\": \"FP32\", \"shape\": [1, 1, " + SIDE + ", " + SIDE + "], \"data\": [" + pixels() + "]}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, infer.statusCode(), infer.body());
        }
    }

    @Test
    void azureMlDeploymentRoutesPointAtWhatTheServerServes() throws Exception {
        // environment.inference_config's liveness_route, readiness_route and scoring_route (port and path) are what Azure
        // probes and sends scoring requests to; the model registered from path: ./NAME is mounted at AZUREML_MODEL_DIR
        // (.../azureml-models/MODEL/VERSION), its folder one level down
        // (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container, "Locating the mounted model").
        JsonNode d = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(repo.resolve("deploy/azureml/deployment.yml").toFile());
        JsonNode model = d.path("model");
        String folder = Path.of(model.path("path").asText()).getFileName().toString();
        Path mounted = Files.createDirectories(tmp.resolve("azureml-models").resolve(model.path("name").asText())
                .resolve(model.path("version").asText()).resolve(folder));
        Files.copy(run.resolve("model.safetensors"), mounted.resolve("model.safetensors"));
        Map<String, String> env = new LinkedHashMap<>();
        d.path("environment_variables").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        env.put("AZUREML_MODEL_DIR", mounted.getParent().toString()); // as Azure sets it
        assertEquals(Platform.AZUREML, Platform.detect(env), "kiln serve with no flag must pick the Azure ML contract");
        PlatformSettings settings = Platform.AZUREML.settings(env);
        assertEquals(mounted, settings.modelDir(), "the registered folder under AZUREML_MODEL_DIR");
        JsonNode routes = d.path("environment").path("inference_config");
        for (String r : List.of("liveness_route", "readiness_route", "scoring_route")) {
            assertEquals(settings.port(), routes.path(r).path("port").asInt(), r + " port");
        }
        assertEquals(exposedPort(), settings.port(), "the Dockerfile's EXPOSE");
        assertEquals(settings.healthRoute(), routes.path("readiness_route").path("path").asText());
        assertEquals(settings.predictRoute(), routes.path("scoring_route").path("path").asText());
        assertEquals(Platform.AZUREML_LIVENESS_ROUTE, routes.path("liveness_route").path("path").asText());
        // The image must run `kiln serve` with no RUN_DIR, or it would serve the image's model, not the mounted one.
        assertTrue(Files.readAllLines(repo.resolve("deploy/azureml/Dockerfile")).contains("CMD [\"serve\"]"),
                "deploy/azureml/Dockerfile: CMD [\"serve\"]");
        try (ModelServer server = ModelServer.builder().port(0).model("model", RunDirectoryModels.load(settings.modelDir()))
                .platform(PlatformRoutes.of(settings)).start(); HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + routes.path("liveness_route").path("path").asText())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, live.statusCode(), live.body());
        }
        serves(settings, "application/json", "{\"instances\": [[" + pixels() + "]]}");
    }
}
