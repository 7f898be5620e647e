package dev.kiln.apps.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.apps.CliRun;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln serve}'s refusals before it listens (one line naming the problem, exit code 2), and a
 * live {@code kiln serve} process over a gpt run that {@code kiln train gpt} just wrote.
 */
class ServeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aRunDirectoryWithoutAModelIsAUsageError() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun r = CliRun.of("serve", empty.toString(), "--port", "0");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("has no model.safetensors"), r.err());
    }

    @Test
    void badBatchingOptionsAreUsageErrors() throws Exception {
        CliRun r = CliRun.of("serve", tmp.toString(), "--max-batch-size", "0");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("max_batch_size must be >= 1, got 0"), r.err());
        CliRun p = CliRun.of("serve", tmp.toString(), "--port", "70000");
        assertEquals(2, p.exitCode(), p.err());
        assertTrue(p.errorLine().contains("--port must be in [0, 65535], got 70000"), p.err());
    }

    @Test
    void servesAGptRunOverTheOpenAiEndpoints() throws Exception {
        Path brown = Files.createDirectories(tmp.resolve("data").resolve("brown"));
        for (int d = 1; d <= 10; d++) {
            Files.writeString(brown.resolve(String.format("ca%02d", d)),
                    "\n\n\tThe/at cat/nn sat/vbd on/in the/at mat/nn ./.\n".repeat(20));
        }
        Path run = tmp.resolve("gpt");
        CliRun train = CliRun.of("train", "gpt", "--data-dir", tmp.resolve("data").toString(), "--out", run.toString(),
                "--threads", "2", "--steps", "3", "--layers", "1", "--width", "16", "--heads", "2", "--context", "40",
                "--batch-size", "4", "--eval-windows", "4");
        assertEquals(0, train.exitCode(), train.out() + train.err());

        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli", "serve", "story=" + run, "--port", "0",
                "--max-running-sequences", "3", "--max-waiting-requests", "5"));
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("serve.err").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newHttpClient()) {
            String line = out.readLine();
            assertTrue(line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
                    line + "\n" + Files.readString(tmp.resolve("serve.err")));
            String base = line.substring("listening on ".length());
            ObjectMapper json = new ObjectMapper();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("story", json.readTree(models.body()).get("data").get(0).get("id").asText(), models.body());
            HttpResponse<String> meta = client.send(HttpRequest.newBuilder(URI.create(base + "/v2/models/story")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode limits = json.readTree(meta.body()).get("parameters");
            assertEquals(3, limits.get("max_running_sequences").asInt(), meta.body());
            assertEquals(5, limits.get("max_waiting_requests").asInt(), meta.body());
            HttpResponse<String> done = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"story\", \"prompt\": \"The cat\", \"max_tokens\": 5}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, done.statusCode(), done.body());
            JsonNode usage = json.readTree(done.body()).get("usage");
            assertEquals(7, usage.get("prompt_tokens").asInt(), "one token per character: " + done.body());
            assertEquals(5, usage.get("completion_tokens").asInt(), done.body());
            HttpResponse<String> streamed = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"story\", \"stream\": true, \"max_tokens\": 4, "
                            + "\"messages\": [{\"role\": \"user\", \"content\": \"The dog\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, streamed.statusCode(), streamed.body());
            assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), streamed.body());
        } finally {
            p.destroy(); // SIGTERM: the shutdown hook closes the server
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kiln serve did not stop");
        }
    }

    @Test
    void badTimeoutsAreUsageErrors() throws Exception {
        CliRun r = CliRun.of("serve", tmp.toString(), "--request-timeout-ms", "-5");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("--request-timeout-ms must be >= 0, got -5"), r.err());
        CliRun d = CliRun.of("serve", tmp.toString(), "--drain-timeout-ms", "-1");
        assertEquals(2, d.exitCode(), d.err());
        assertTrue(d.errorLine().contains("--drain-timeout-ms must be >= 0, got -1"), d.err());
        CliRun t = CliRun.of("serve", tmp.toString(), "--threads", "0");
        assertEquals(2, t.exitCode(), t.err());
        assertTrue(t.errorLine().contains("--threads must be >= 1, got 0"), t.err());
        for (String[] bad : new String[][] {{"--max-connections", "0"}, {"--idle-timeout-ms", "0"}, {"--header-timeout-ms", "-3"}}) {
            CliRun c = CliRun.of("serve", tmp.toString(), bad[0], bad[1]);
            assertEquals(2, c.exitCode(), c.err());
            assertTrue(c.errorLine().contains(bad[0] + " must be >= 1, got " + bad[1]), c.err());
        }
    }

    @Test
    void badGenerationLimitsAreUsageErrors() throws Exception {
        CliRun r = CliRun.of("serve", tmp.toString(), "--max-running-sequences", "0");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("--max-running-sequences must be >= 1, got 0"), r.err());
        CliRun w = CliRun.of("serve", tmp.toString(), "--max-waiting-requests", "-3");
        assertEquals(2, w.exitCode(), w.err());
        assertTrue(w.errorLine().contains("--max-waiting-requests must be >= 1, got -3"), w.err());
    }
}
