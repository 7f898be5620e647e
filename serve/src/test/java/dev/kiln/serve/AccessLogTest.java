package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON access log: N requests of every kind give N lines, each with the request's own fields. */
class AccessLogTest {
    @TempDir
    Path tmp;

    private record Sent(String method, String path, String body, Http.Reply reply, String requestId) {}

    @Test
    void everyRequestIsOneJsonLineWithItsFields() throws Exception {
        Path log = tmp.resolve("access.jsonl");
        Instant start = Instant.now().minusSeconds(1);
        List<Sent> sent = new ArrayList<>();
        try (ModelServer server = ModelServer.builder().port(0).accessLog(log)
                        .model("fashion", "1", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn"))), new BatchingOptions(4, 0, 64))
                        .start();
                Http http = new Http(server.port())) {
            String image = ModelServerTest.imageRequest(ModelServerTest.pixels(1, 3), 1);
            String twoImages = ModelServerTest.imageRequest(ModelServerTest.pixels(2, 4), 2);
            sent.add(new Sent("POST", "/v2/models/fashion/infer", image,
                    http.post("/v2/models/fashion/infer", image, "X-Request-Id", "req-42"), "req-42"));
            sent.add(new Sent("POST", "/v2/models/fashion/versions/1/infer", twoImages,
                    http.post("/v2/models/fashion/versions/1/infer", twoImages), null));
            sent.add(new Sent("POST", "/v2/models/fashion/infer", "{\"inputs\": []}",
                    http.post("/v2/models/fashion/infer", "{\"inputs\": []}"), null));
            sent.add(new Sent("GET", "/v2/models/nosuch", "", http.get("/v2/models/nosuch"), null));
            sent.add(new Sent("GET", "/v2/health/ready", "", http.get("/v2/health/ready"), null));
            sent.add(new Sent("GET", "/metrics", "", http.get("/metrics"), null));
            assertEquals(List.of(200, 200, 400, 404, 200, 200), sent.stream().map(s -> s.reply().status()).toList());

            // Lines are written after the reply (on completion, by the writer thread): wait for them.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines(log).size() < sent.size() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        List<String> lines = lines(log);
        assertEquals(sent.size(), lines.size(), "one line per request, no more after close:\n" + String.join("\n", lines));
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            JsonNode l = Http.JSON.readTree(lines.get(i));
            String at = "line " + i + " " + lines.get(i);
            Instant ts = Instant.parse(l.get("ts").asText());
            assertFalse(ts.isBefore(start) || ts.isAfter(Instant.now()), at);
            assertEquals(s.method(), l.get("method").asText(), at);
            assertEquals(s.path(), l.get("path").asText(), at);
            assertEquals(s.reply().status(), l.get("status").asInt(), at);
            assertTrue(l.get("duration_ms").asDouble() >= 0 && l.get("duration_ms").asDouble() < 60_000, at);
            assertEquals(s.body().getBytes(StandardCharsets.UTF_8).length, l.get("request_bytes").asLong(), at);
            assertEquals(s.reply().body().getBytes(StandardCharsets.UTF_8).length, l.get("response_bytes").asLong(), at);
            assertEquals("127.0.0.1", l.get("remote").asText(), at);
            assertEquals(s.requestId(), l.hasNonNull("request_id") ? l.get("request_id").asText() : null, at);
        }
        // The model and version: from the route when it resolved one (the default version: "1"), else from the path.
        String[][] modelVersion = {{"fashion", "1"}, {"fashion", "1"}, {"fashion", "1"}, {"nosuch", null}, {null, null}, {null, null}};
        for (int i = 0; i < sent.size(); i++) {
            JsonNode l = Http.JSON.readTree(lines.get(i));
            assertEquals(modelVersion[i][0], l.hasNonNull("model") ? l.get("model").asText() : null, "model, line " + i);
            assertEquals(modelVersion[i][1], l.hasNonNull("version") ? l.get("version").asText() : null, "version, line " + i);
        }
    }

    @Test
    void refusalsDuringTheDrainAreLoggedToo() throws Exception {
        Path log = tmp.resolve("drain.jsonl");
        try (ModelServer server = ModelServer.builder().port(0).accessLog(log)
                        .model("gated", "1", new GatedModel(), BatchingOptions.DEFAULT).start();
                Http http = new Http(server.port())) {
            assertTrue(server.drain(Duration.ofSeconds(5)));
            assertEquals(503, http.post("/v2/models/gated/infer", GatedModel.body(1)).status());
        }
        List<String> lines = lines(log);
        assertEquals(1, lines.size(), String.join("\n", lines));
        JsonNode l = Http.JSON.readTree(lines.getFirst());
        assertEquals(503, l.get("status").asInt(), lines.getFirst());
        assertEquals("gated", l.get("model").asText(), lines.getFirst());
    }

    private static List<String> lines(Path log) throws java.io.IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        List<String> all = Files.readAllLines(log);
        // A line still being written has no newline yet; readAllLines would show it cut short.
        String text = Files.readString(log);
        return text.endsWith("\n") || all.isEmpty() ? all : all.subList(0, all.size() - 1);
    }
}
