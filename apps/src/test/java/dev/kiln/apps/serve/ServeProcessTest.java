package dev.kiln.apps.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.tensor.random.Generator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln serve} as a live child process, as an operator runs it: with {@code --port 0} its stdout
 * is the one line {@code listening on http://127.0.0.1:PORT}; a SIGTERM while a request is in flight
 * turns readiness to 503, lets the request finish with 200, and the process exits with 143
 * (128 + SIGTERM, set by the JVM; see {@link ServeCommand}).
 *
 * <p>The slow request is a real knob: a lone request in a batch of up to 64 waits the whole
 * {@code --max-delay-ms} for company.
 */
class ServeProcessTest {
    static final int SIDE = 12;
    static final int DELAY_MS = 4000;
    static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    static final ObjectMapper JSON = new ObjectMapper();
    static final String EOF = "(end of stdout)";

    @TempDir
    Path tmp;

    @Test
    void sigtermDrainsTheRequestInFlightThenExits() throws Exception {
        Path run = cnnRun(tmp.resolve("fashion"));
        Path stderr = tmp.resolve("stderr.txt");
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli",
                "serve", "fashion=" + run, "--port", "0", "--max-batch-size", "64", "--max-delay-ms", Integer.toString(DELAY_MS),
                "--access-log", "-"));
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        // One thread reads stdout to its end, so that every line the process ever prints is seen.
        BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> readLines(p, stdout));
        try (HttpClient http = HttpClient.newHttpClient()) {
            String first = stdout.poll(120, TimeUnit.SECONDS);
            Matcher m = LISTENING.matcher(first == null ? "" : first);
            assertTrue(m.matches(), "first stdout line: " + first + "\nstderr:\n" + Files.readString(stderr));
            String base = "http://127.0.0.1:" + Integer.parseInt(m.group(1));
            assertEquals(200, get(http, base + "/v2/health/ready").statusCode());

            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v2/models/fashion/infer"))
                    .header("Content-Type", "application/json").header("X-Request-Id", "slow-1")
                    .POST(HttpRequest.BodyPublishers.ofString(imageRequest())).build(), HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (inFlight(http, base) < 1) { // the request is with the server, waiting for company in the batcher
                assertTrue(System.nanoTime() < deadline && !slow.isDone(), "the infer request never showed as in flight");
                Thread.sleep(10);
            }

            p.destroy(); // SIGTERM
            boolean sawNotReady = false;
            while (!slow.isDone() && !sawNotReady) {
                try {
                    HttpResponse<String> ready = get(http, base + "/v2/health/ready");
                    sawNotReady = ready.statusCode() == 503 && !JSON.readTree(ready.body()).get("ready").asBoolean(true);
                } catch (ConnectException e) {
                    break; // stopped already: only possible after the slow request finished
                }
                Thread.sleep(10);
            }
            assertTrue(sawNotReady, "readiness must turn 503 while the slow request is still in flight");
            HttpResponse<String> r = slow.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode labels = null;
            for (JsonNode o : JSON.readTree(r.body()).get("outputs")) {
                labels = "label".equals(o.get("name").asText()) ? o : labels;
            }
            assertTrue(labels != null && labels.get("data").size() == 1, r.body());

            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kiln serve did not exit within 60 s of SIGTERM");
            assertEquals(143, p.exitValue(), "128 + SIGTERM\nstderr:\n" + Files.readString(stderr));
            reader.join(TimeUnit.SECONDS.toMillis(60));
            assertEquals(List.of(EOF), List.copyOf(stdout), "stdout must hold the listening line only");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(stderr);
        // The slow request, and maybe a readiness probe of the loop above that the signal caught mid-way.
        Matcher shutdown = Pattern.compile("kiln serve: shutting down; (\\d+) requests in flight").matcher(err);
        assertTrue(shutdown.find() && Integer.parseInt(shutdown.group(1)) >= 1, err);
        JsonNode line = null;
        for (String l : err.lines().filter(l -> l.startsWith("{")).toList()) {
            JsonNode j = JSON.readTree(l);
            line = "slow-1".equals(j.path("request_id").asText()) ? j : line;
        }
        assertTrue(line != null, "the access log on stderr has the slow request:\n" + err);
        assertEquals(200, line.get("status").asInt(), line.toString());
        assertEquals("fashion", line.get("model").asText(), line.toString());
        assertTrue(line.get("duration_ms").asDouble() >= DELAY_MS * 0.9, "it waited for --max-delay-ms: " + line);
    }

    private static Path cnnRun(Path dir) throws Exception {
        Files.createDirectories(dir);
        Safetensors.saveModule(dir.resolve("model.safetensors"), ConvNet.build(SIDE, SIDE, new Generator(7)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.3", "input_std", "0.25",
                        "input_height", Integer.toString(SIDE), "input_width", Integer.toString(SIDE)));
        return dir;
    }

    private static String imageRequest() {
        StringJoiner data = new StringJoiner(",", "[", "]");
        for (int i = 0; i < SIDE * SIDE; i++) {
            data.add(Float.toString((i % 17) / 17f));
        }
        return "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1,1," + SIDE + "," + SIDE + "],\"data\":" + data + "}]}";
    }

    private static int inFlight(HttpClient http, String base) throws Exception {
        Matcher m = Pattern.compile("(?m)^kiln_requests_in_flight ([0-9.eE+-]+)$").matcher(get(http, base + "/metrics").body());
        return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void readLines(Process p, BlockingQueue<String> into) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                into.add(l);
            }
        } catch (IOException e) {
            into.add("(stdout unreadable: " + e + ")");
        }
        into.add(EOF);
    }
}
