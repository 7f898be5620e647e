package dev.kiln.bench.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.Sequential;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.serve.ModelServer;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.ImageClassifierModel;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.tensor.random.Generator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The load generator against a live server on loopback with a tiny ConvNet (12x12 images): about
 * a second of load per client kind, then the client's counts against the server's own request
 * counter (read with a regex here, not with the bench's parser), 0 errors, and sane percentiles;
 * bad requests are counted as errors with the server's message; the raw-socket client's response
 * bytes equal {@code HttpClient}'s.
 */
class LoadGeneratorTest {
    static final int SIDE = 12;
    static final Pattern REQUESTS = Pattern.compile("(?m)^kiln_infer_requests_total\\{[^}]*status=\"(\\d+)\"[^}]*} ([0-9.E+]+)$");

    static ServedModel tinyModel() {
        Sequential net = ConvNet.build(SIDE, SIDE, new Generator(3));
        net.eval();
        return new ImageClassifierModel(net, SIDE, SIDE, 0.3, 0.25, ConvNet.CLASSES);
    }

    static ModelServer serve(BatchingOptions batching) {
        return ModelServer.builder().model(ServerProcess.MODEL_NAME, "1", tinyModel(), batching).host("127.0.0.1").port(0).start();
    }

    static URI infer(ModelServer server) {
        return URI.create("http://127.0.0.1:" + server.port() + "/v2/models/" + ServerProcess.MODEL_NAME + "/infer");
    }

    /** Infer requests the server counted, by status: its /metrics read over a plain HttpClient. */
    static double serverCount(ModelServer server, String status) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double total = 0;
            Matcher m = REQUESTS.matcher(text);
            while (m.find()) {
                if (m.group(1).equals(status)) {
                    total += Double.parseDouble(m.group(2));
                }
            }
            return total;
        }
    }

    @ParameterizedTest
    @EnumSource(value = ClientKind.class, names = {"SOCKET", "JDK"})
    void countsAddUpAgainstALiveServer(ClientKind kind) throws Exception {
        ServedModel model = tinyModel();
        byte[] body = BenchModel.requestBody(BenchModel.images(model, 2, 5));
        try (ModelServer server = serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new LoadGenerator(infer(server), kind).run(body, 2, 4, 200_000_000L, 1_000_000_000L);
            assertEquals(0, r.errors(), "errors, first: " + r.firstError());
            assertTrue(r.requests() > 0, "no request completed in the window");
            assertTrue(r.completed() >= r.requests(), r.completed() + " completed in all, " + r.requests() + " in the window");
            assertEquals(r.completed(), serverCount(server, "200"), "the server's count of answered requests");
            assertEquals(r.requests() / 1.0, r.requestsPerSecond(), 1e-9 * r.requests());
            assertEquals(2 * r.requestsPerSecond(), r.examplesPerSecond(), 1e-9 * r.examplesPerSecond());
            long[] latencies = r.latenciesNanos();
            for (int i = 1; i < latencies.length; i++) {
                assertTrue(latencies[i - 1] <= latencies[i], "latencies are sorted");
            }
            assertTrue(latencies[0] > 0, "latency " + latencies[0] + " ns");
            assertTrue(r.percentileMs(50) <= r.percentileMs(90) && r.percentileMs(90) <= r.percentileMs(99)
                    && r.percentileMs(99) <= latencies[latencies.length - 1] / 1e6, "percentiles in order");
            assertEquals(latencies[latencies.length - 1] / 1e6, r.percentileMs(100));
            System.out.printf("%s: %d requests in the window (%d in all), %.0f req/s, p50 %.2f ms, p99 %.2f ms%n", kind,
                    r.requests(), r.completed(), r.requestsPerSecond(), r.percentileMs(50), r.percentileMs(99));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ClientKind.class, names = {"SOCKET", "JDK"})
    void refusedRequestsAreCountedAsErrors(ClientKind kind) throws Exception {
        ServedModel model = tinyModel();
        String good = new String(BenchModel.requestBody(BenchModel.images(model, 1, 5)), StandardCharsets.UTF_8);
        byte[] wrongShape = good.replace("\"shape\":[1,1,12,12]", "\"shape\":[1,1,12,13]").getBytes(StandardCharsets.UTF_8);
        try (ModelServer server = serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new LoadGenerator(infer(server), kind).run(wrongShape, 1, 2, 0, 300_000_000L);
            assertTrue(r.errors() > 0, "no errors counted");
            assertEquals(r.completed(), r.errors(), "every request was refused");
            assertEquals(0, r.requests(), "a refused request has no latency to count");
            assertEquals(r.errors(), serverCount(server, "400"));
            assertNotNull(r.firstError());
            assertTrue(r.firstError().startsWith("HTTP 400: ") && r.firstError().contains("inputs[0]"), r.firstError());
        }
    }

    @ParameterizedTest
    @EnumSource(value = ClientKind.class, names = {"SOCKET", "JDK"})
    void binaryBodiesAreAnsweredWithoutErrors(ClientKind kind) throws Exception {
        InferBody body = BenchModel.binaryRequestBody(BenchModel.images(tinyModel(), 1, 6));
        try (ModelServer server = serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new LoadGenerator(infer(server), kind).run(body, 1, 4, 0, 500_000_000L);
            assertEquals(0, r.errors(), "errors, first: " + r.firstError());
            assertTrue(r.requests() > 0, "no request completed in the window");
            assertEquals(r.completed(), serverCount(server, "200"), "the server's count of answered requests");
        }
    }

    /**
     * The bench's binary body asks for what its JSON twin asks for: the logits decoded from the
     * binary answer match the JSON answer's (to float rounding: the JSON body's pixels are decimals
     * of x / 255, the binary body's their FP32 values), and the labels are the same.
     */
    @Test
    void binaryBodyGetsTheJsonBodysAnswer() throws Exception {
        InferTensor images = BenchModel.images(tinyModel(), 2, 7);
        try (ModelServer server = serve(new BatchingOptions(1, 0, 64));
                KeepAliveSocketClient socket = new KeepAliveSocketClient(infer(server))) {
            InferClient.Reply json = socket.post(BenchModel.requestBody(images));
            InferClient.Reply binary = socket.post(BenchModel.binaryRequestBody(images));
            assertEquals(200, json.status());
            assertEquals(200, binary.status(), () -> new String(binary.body(), StandardCharsets.UTF_8));
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode want = mapper.readTree(json.body());
            // The JSON part ends where its braces close; binary outputs follow in the order it lists them.
            int end = jsonEnd(binary.body());
            com.fasterxml.jackson.databind.JsonNode head = mapper.readTree(new String(binary.body(), 0, end, StandardCharsets.UTF_8));
            java.nio.ByteBuffer rest = java.nio.ByteBuffer.wrap(binary.body(), end, binary.body().length - end).slice()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int o = 0; o < 3; o++) {
                com.fasterxml.jackson.databind.JsonNode w = want.get("outputs").get(o);
                com.fasterxml.jackson.databind.JsonNode g = head.get("outputs").get(o);
                assertEquals(w.get("name"), g.get("name"));
                assertEquals(w.get("shape"), g.get("shape"));
                for (com.fasterxml.jackson.databind.JsonNode v : w.get("data")) {
                    if (w.get("datatype").asText().equals("INT64")) {
                        assertEquals(v.asLong(), rest.getLong(), w.get("name") + " (labels)");
                    } else {
                        assertEquals(v.floatValue(), rest.getFloat(), 1e-6f, w.get("name").asText());
                    }
                }
            }
            assertEquals(0, rest.remaining(), "bytes left after the outputs");
        }
    }

    private static int jsonEnd(byte[] body) {
        int depth = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '{') {
                depth++;
            } else if (body[i] == '}' && --depth == 0) {
                return i + 1;
            }
        }
        throw new AssertionError("no JSON object in the body");
    }

    @Test
    void socketClientReadsTheSameBytesAsHttpClient() throws Exception {
        ServedModel model = tinyModel();
        InferTensor images = BenchModel.images(model, 3, 9);
        byte[] body = BenchModel.requestBody(images);
        try (ModelServer server = serve(new BatchingOptions(1, 0, 64));
                HttpClient http = HttpClient.newHttpClient();
                KeepAliveSocketClient socket = new KeepAliveSocketClient(infer(server))) {
            HttpResponse<byte[]> want = http.send(HttpRequest.newBuilder(infer(server))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, want.statusCode());
            for (int i = 0; i < 3; i++) { // the same connection, kept alive
                InferClient.Reply got = socket.post(body);
                assertEquals(200, got.status());
                assertArrayEquals(want.body(), got.body(), "response " + i);
            }
        }
    }
}
