package dev.kiln.apps.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.apps.CliRun;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.random.Generator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln serve --platform}, and detection from the platform's variables (a map, or the child process's environment). */
class ServePlatformTest {
    static final int SIDE = 12;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static CliRun withEnvironment(Map<String, String> env, String... args) throws Exception {
        ServeCommand.environment = () -> env;
        try {
            return CliRun.of(args);
        } finally {
            ServeCommand.environment = System::getenv;
        }
    }

    @Test
    void platformUsageErrorsNameTheFlagOrTheVariable() throws Exception {
        CliRun bad = withEnvironment(Map.of(), "serve", tmp.toString(), "--platform", "azure");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.errorLine().contains("--platform: expected one of kserve, sagemaker, vertex, azureml, got \"azure\""), bad.err());
        // AIP_STORAGE_URI is "the Cloud Storage URI" of the model's artifacts
        // (https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements#aip-variables): kiln reads local files only.
        CliRun gs = withEnvironment(Map.of("AIP_HTTP_PORT", "8080", "AIP_STORAGE_URI", "gs://bucket/run"), "serve");
        assertEquals(2, gs.exitCode(), gs.err());
        assertTrue(gs.errorLine().contains("--platform vertex: AIP_STORAGE_URI: expected a local directory, got \"gs://bucket/run\""),
                gs.err());
        CliRun none = withEnvironment(Map.of("AIP_HTTP_PORT", "8080"), "serve");
        assertEquals(2, none.exitCode(), none.err());
        assertTrue(none.errorLine().contains("expected at least one run directory (or AIP_STORAGE_URI set to a local directory)"),
                none.err());
        CliRun azure = withEnvironment(Map.of("AZUREML_MODEL_DIR", tmp.resolve("missing").toString()), "serve");
        assertEquals(2, azure.exitCode(), azure.err());
        assertTrue(azure.errorLine().contains("--platform azureml: AZUREML_MODEL_DIR: expected a readable directory, got \""
                + tmp.resolve("missing") + "\""), azure.err());
        CliRun port = withEnvironment(Map.of("AIP_HTTP_PORT", "80800"), "serve", tmp.toString());
        assertTrue(port.errorLine().contains("AIP_HTTP_PORT: expected a port in [1, 65535], got \"80800\""), port.err());
    }

    @Test
    void vertexIsDetectedAndServesOnAipHttpPortFromAipStorageUri() throws Exception {
        // AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE, AIP_STORAGE_URI (docs above), set as Vertex AI sets them.
        Path run = cnnRun(tmp.resolve("fashion"));
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        String health = "/v1/endpoints/1/deployedModels/2";
        String predict = health + ":predict";
        ProcessBuilder pb = new ProcessBuilder(command("serve", "--host", "127.0.0.1"));
        pb.environment().putAll(Map.of("AIP_HTTP_PORT", Integer.toString(free), "AIP_HEALTH_ROUTE", health,
                "AIP_PREDICT_ROUTE", predict, "AIP_STORAGE_URI", run.toString()));
        String base = "http://127.0.0.1:" + free;
        try (Served s = new Served(pb, tmp.resolve("vertex.err"))) {
            assertEquals("listening on " + base + " (platform vertex, detected from AIP_* variables; " + health + ", " + predict + ")",
                    s.line, s.stderr());
            assertEquals(200, s.get(base + health).statusCode());
            HttpResponse<String> r = s.post(base + predict, "application/json", "{\"instances\": [[" + pixels(",") + "]]}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode p = JSON.readTree(r.body()).get("predictions");
            assertEquals(1, p.size(), r.body());
            assertEquals(10, p.get(0).get("probabilities").size(), r.body());
        }
    }

    @Test
    void azureMlIsDetectedAndServesTheFolderUnderAzuremlModelDir() throws Exception {
        // Azure ML mounts the registered model at AZUREML_MODEL_DIR, the registered folder one level down
        // (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container), and runs the image's CMD: `serve`.
        Path version = Files.createDirectories(tmp.resolve("azureml-models/fashion/1"));
        cnnRun(version.resolve("fashion"));
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(command("serve", "--host", "127.0.0.1", "--port", Integer.toString(free)));
        pb.environment().put("AZUREML_MODEL_DIR", version.toString());
        String base = "http://127.0.0.1:" + free;
        try (Served s = new Served(pb, tmp.resolve("azureml.err"))) {
            assertEquals("listening on " + base + " (platform azureml, detected from AZUREML_MODEL_DIR; /ready, /score)", s.line, s.stderr());
            assertEquals(200, s.get(base + "/ready").statusCode());
            assertEquals(200, s.get(base + "/v2/health/live").statusCode());
            HttpResponse<String> r = s.post(base + "/score", "application/json", "{\"instances\": [[" + pixels(",") + "]]}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(10, JSON.readTree(r.body()).get("predictions").get(0).get("probabilities").size(), r.body());
        }
    }

    @Test
    void sageMakerByFlagServesPingAndCsvInvocations() throws Exception {
        // GET /ping and POST /invocations (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html)
        Path run = cnnRun(tmp.resolve("fashion"));
        ProcessBuilder pb = new ProcessBuilder(command("serve", run.toString(), "--platform", "sagemaker", "--port", "0", "--host",
                "127.0.0.1"));
        try (Served s = new Served(pb, tmp.resolve("sagemaker.err"))) {
            assertTrue(s.line.matches("listening on http://127\\.0\\.0\\.1:\\d+ \\(platform sagemaker, --platform; /ping, /invocations\\)"),
                    s.line + s.stderr());
            String base = s.line.substring("listening on ".length(), s.line.indexOf(" ("));
            HttpResponse<String> ping = s.get(base + "/ping");
            assertEquals(200, ping.statusCode());
            assertEquals("", ping.body());
            HttpResponse<String> r = s.post(base + "/invocations", "text/csv", pixels(",") + "\n" + pixels(",") + "\n");
            assertEquals(200, r.statusCode(), r.body());
            String[] labels = JSON.readTree(r.body()).get("predictions").findValuesAsText("label").toArray(String[]::new);
            assertEquals(2, labels.length, r.body());
            assertEquals(labels[0], labels[1], "the same pixels get the same label");
            assertTrue(s.get(base + "/v2/health/ready").statusCode() == 200, "the KServe routes stay");
        }
    }

    /** One image's pixels, separated by {@code sep}. */
    private static String pixels(String sep) {
        StringJoiner j = new StringJoiner(sep);
        for (int i = 0; i < SIDE * SIDE; i++) {
            j.add(Float.toString((i % 17) / 17f));
        }
        return j.toString();
    }

    private static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Path cnnRun(Path dir) throws Exception {
        Files.createDirectories(dir);
        Safetensors.saveModule(dir.resolve("model.safetensors"), ConvNet.build(SIDE, SIDE, new Generator(7)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.3", "input_std", "0.25",
                        "input_height", Integer.toString(SIDE), "input_width", Integer.toString(SIDE)));
        return dir;
    }

    /** A kiln serve child process, its first stdout line read; SIGTERM on close. */
    private static final class Served implements AutoCloseable {
        final Process process;
        final Path err;
        final String line;
        final HttpClient http = HttpClient.newHttpClient();

        Served(ProcessBuilder pb, Path err) throws Exception {
            this.err = err;
            this.process = pb.redirectError(err.toFile()).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            this.line = first == null ? "(no stdout line)" : first;
        }

        String stderr() throws Exception {
            return "\nstderr:\n" + Files.readString(err);
        }

        HttpResponse<String> get(String url) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String url, String type, String body) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            http.close();
            process.destroy();
            boolean stopped;
            try {
                stopped = process.waitFor(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = false;
            }
            if (!stopped) {
                process.destroyForcibly();
                throw new AssertionError("kiln serve did not stop");
            }
        }
    }
}
