package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.Sequential;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KServe v2 endpoints, live on a loopback port: good requests against the models run in-process, bad ones by status and field. */
class ModelServerTest {
    static final int BODY_LIMIT = 64 * 1024;
    static final int PIXELS = TinyRuns.SIDE * TinyRuns.SIDE;

    @TempDir
    static Path tmp;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder().port(0).maxBodyBytes(BODY_LIMIT)
                .model("fashion", "1", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn"))), new BatchingOptions(8, 0, 64))
                .model("spam", RunDirectoryModels.load(TinyRuns.classify(tmp.resolve("classify"))))
                .start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static float[] pixels(int images, long seed) {
        Random r = new Random(seed);
        float[] x = new float[images * PIXELS];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(256) / 255f;
        }
        return x;
    }

    static String imageRequest(float[] x, int images) {
        StringJoiner data = new StringJoiner(",", "[", "]");
        for (float v : x) {
            data.add(Float.toString(v));
        }
        return String.format(Locale.ROOT, "{\"id\":\"r1\",\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[%d,1,%d,%d],"
                + "\"data\":%s}]}", images, TinyRuns.SIDE, TinyRuns.SIDE, data);
    }

    /** The ConvNet's logits for raw pixels, computed here: normalised, then a direct forward pass of the same seeded weights. */
    static float[] referenceImageLogits(float[] x, int images) {
        return referenceImageLogits(TinyRuns.CNN_SEED, x, images);
    }

    /** The logits of {@link TinyRuns#cnnModel(long)} for raw pixels, computed in-process as above. */
    static float[] referenceImageLogits(long seed, float[] x, int images) {
        float[] z = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            z[i] = (float) ((x[i] - TinyRuns.MEAN) / TinyRuns.STD);
        }
        Sequential model = TinyRuns.cnnModel(seed);
        model.eval();
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            return model.forward(Var.constant(Tensor.fromArray(z, images, 1, TinyRuns.SIDE, TinyRuns.SIDE))).value().toFloatArray();
        }
    }

    static float[] floats(JsonNode output) {
        JsonNode data = output.get("data");
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).asDouble();
        }
        return out;
    }

    static JsonNode output(JsonNode reply, String name) {
        for (JsonNode o : reply.get("outputs")) {
            if (o.get("name").asText().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no output " + name + " in " + reply);
    }

    @Test
    void healthEndpoints() throws Exception {
        Http.Reply live = http.get("/v2/health/live");
        assertEquals(200, live.status());
        assertTrue(live.json().get("live").asBoolean());
        assertTrue(live.contentType().startsWith("application/json"), live.contentType());
        assertTrue(http.get("/v2/health/ready").json().get("ready").asBoolean());
        assertTrue(http.get("/v2/models/fashion/ready").json().get("ready").asBoolean());
        assertTrue(http.get("/v2/models/spam/versions/1/ready").json().get("ready").asBoolean());
    }

    @Test
    void modelMetadataNamesInputsAndOutputs() throws Exception {
        for (String path : List.of("/v2/models/fashion", "/v2/models/fashion/versions/1")) {
            JsonNode m = http.get(path).json();
            assertEquals("fashion", m.get("name").asText());
            assertEquals("[\"1\"]", m.get("versions").toString());
            assertEquals("{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[-1,1,12,12]}", m.get("inputs").get(0).toString());
            assertEquals("{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[-1,10]}", m.get("outputs").get(0).toString());
            assertEquals("{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[-1]}", m.get("outputs").get(2).toString());
            assertEquals("cnn", m.get("parameters").get("app").asText());
        }
        JsonNode spam = http.get("/v2/models/spam").json();
        assertEquals("{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[-1]}", spam.get("inputs").get(0).toString());
        assertEquals("[\"ham\",\"spam\"]", spam.get("parameters").get("classes").toString());
    }

    @Test
    void unknownModelVersionOrEndpointIs404() throws Exception {
        Http.Reply model = http.get("/v2/models/nope");
        assertEquals(404, model.status());
        assertTrue(model.error().contains("model") && model.error().contains("nope"), model.error());
        Http.Reply version = http.get("/v2/models/fashion/versions/7");
        assertEquals(404, version.status());
        assertTrue(version.error().startsWith("version:") && version.error().contains("\"7\""), version.error());
        assertEquals(404, http.post("/v2/models/nope/infer", imageRequest(pixels(1, 1), 1)).status());
        assertEquals(404, http.post("/v2/models/fashion/versions/2/infer", imageRequest(pixels(1, 1), 1)).status());
        assertEquals(404, http.get("/v2/models/nope/ready").status());
        Http.Reply route = http.get("/v3/nothing");
        assertEquals(404, route.status());
        route.error();
    }

    @Test
    void imageInferMatchesTheModelRunDirectly() throws Exception {
        float[] x = pixels(3, 42);
        Http.Reply reply = http.post("/v2/models/fashion/infer", imageRequest(x, 3));
        assertEquals(200, reply.status(), reply.body());
        JsonNode r = reply.json();
        assertEquals("fashion", r.get("model_name").asText());
        assertEquals("1", r.get("model_version").asText());
        assertEquals("r1", r.get("id").asText());
        float[] expected = referenceImageLogits(x, 3);
        JsonNode logits = output(r, "logits");
        assertEquals("[3,10]", logits.get("shape").toString());
        assertArrayEquals(expected, floats(logits), 1e-6f);
        float[] p = floats(output(r, "probabilities"));
        JsonNode labels = output(r, "label").get("data");
        for (int row = 0; row < 3; row++) {
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 10; k++) {
                sum += p[row * 10 + k];
                best = expected[row * 10 + k] > expected[row * 10 + best] ? k : best;
            }
            assertEquals(1.0, sum, 1e-5, "probabilities of row " + row);
            assertEquals(best, labels.get(row).asInt(), "label of row " + row);
        }
    }

    @Test
    void outputsSelectWhatComesBack() throws Exception {
        String body = imageRequest(pixels(1, 3), 1).replace("}]}", "}],\"outputs\":[{\"name\":\"label\"}]}");
        JsonNode r = http.post("/v2/models/fashion/infer", body).json();
        assertEquals(1, r.get("outputs").size());
        assertEquals("label", r.get("outputs").get(0).get("name").asText());
    }

    @Test
    void textInferTokenizesWithTheRunsVocabulary() throws Exception {
        List<String> texts = List.of("FREE money, click here now!", "lunch meeting tomorrow", "");
        String body = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[3],\"data\":"
                + Http.JSON.writeValueAsString(texts) + "}]}";
        Http.Reply reply = http.post("/v2/models/spam/infer", body);
        assertEquals(200, reply.status(), reply.body());
        // The reference: ids from the word list by hand (id = 2 + position, unknown 1, padding 0), padded to max_len.
        int t = TinyRuns.TEXT.maxLen();
        long[] ids = new long[3 * t];
        for (int r = 0; r < 3; r++) {
            List<String> tokens = WordVocabulary.tokenize(texts.get(r));
            if (tokens.isEmpty()) {
                ids[r * t] = 1;
            }
            for (int i = 0; i < tokens.size(); i++) {
                int at = TinyRuns.WORDS.indexOf(tokens.get(i));
                ids[r * t + i] = at < 0 ? 1 : at + 2;
            }
        }
        assertEquals(1, ids[2]); // "," is not in the list: unknown
        assertEquals(7, ids[3]); // "click" is word 5
        float[] expected;
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            expected = TinyRuns.textModel().forward(Tensor.fromArray(ids, 3, t)).value().toFloatArray();
        }
        assertArrayEquals(expected, floats(output(reply.json(), "logits")), 1e-6f);
    }

    @Test
    void badRequestsAre400NamingTheField() throws Exception {
        String good = imageRequest(pixels(1, 5), 1);
        String[][] cases = {
            {"{\"inputs\": [", "malformed JSON"},
            {"[1, 2]", "body: expected a JSON object"},
            {"{}", "inputs: expected a non-empty array"},
            {good.replace("\"FP32\"", "\"INT64\""), "inputs[0].datatype: expected FP32, got INT64"},
            {good.replace("\"FP32\"", "\"FLOAT\""), "inputs[0].datatype: expected one of"},
            {good.replace("\"images\"", "\"pixels\""), "inputs[0].name: expected \"images\", got \"pixels\""},
            {good.replace("[1,1,12,12]", "[1,12,12]"), "inputs[0].shape: expected [N, 1, 12, 12]"},
            {good.replace("[1,1,12,12]", "[2,1,12,12]"), "inputs[0].data: shape [2, 1, 12, 12] needs 288 elements, got 144"},
            {good.replace("[1,1,12,12]", "[1,1,12,-12]"), "inputs[0].shape[3]: expected a size >= 0"},
            {good.replace("[1,1,12,12]", "[100000,100000,100000,1]"), "inputs[0].shape:"},
            {good.replace("\"data\":[", "\"data\":[\"x\","), "inputs[0].data"},
            {good.replace("\"id\":\"r1\"", "\"id\":5"), "id: expected a string"},
            {good.replace("}]}", "}],\"outputs\":[{\"name\":\"embedding\"}]}"), "outputs[0].name: expected one of [logits, probabilities, label]"},
        };
        for (String[] c : cases) {
            Http.Reply r = http.post("/v2/models/fashion/infer", c[0]);
            assertEquals(400, r.status(), c[1] + ": " + r.body());
            assertTrue(r.error().startsWith(c[1]), "expected an error starting with \"" + c[1] + "\", got: " + r.error());
        }
        Http.Reply notText = http.post("/v2/models/spam/infer",
                "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[3]}]}");
        assertEquals(400, notText.status());
        assertTrue(notText.error().startsWith("inputs[0].data[0]: BYTES elements must be strings"), notText.error());
        assertEquals(200, http.post("/v2/models/fashion/infer", good).status(), "the server still serves after bad requests");
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        StringBuilder big = new StringBuilder("{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0");
        while (big.length() < BODY_LIMIT + 10) {
            big.append(",0.5");
        }
        Http.Reply r = http.post("/v2/models/fashion/infer", big.append("]}]}").toString());
        assertEquals(413, r.status(), r.body());
        assertTrue(r.error().contains("body"), r.error());
    }

    @Test
    void metricsMove() throws Exception {
        double before = metric(http.get("/metrics").body(), "kiln_infer_requests_total{model=\"spam\",status=\"200\",version=\"1\"}");
        double batchesBefore = metric(http.get("/metrics").body(), "kiln_batch_size_count{model=\"spam\",version=\"1\"}");
        String body = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"free lunch\"]}]}";
        for (int i = 0; i < 3; i++) {
            assertEquals(200, http.post("/v2/models/spam/infer", body).status());
        }
        assertEquals(400, http.post("/v2/models/spam/infer", "{").status());
        Http.Reply m = http.get("/metrics");
        assertEquals(200, m.status());
        assertTrue(m.contentType().startsWith("text/plain"), m.contentType());
        String text = m.body();
        assertEquals(before + 3, metric(text, "kiln_infer_requests_total{model=\"spam\",status=\"200\",version=\"1\"}"));
        assertTrue(metric(text, "kiln_infer_requests_total{model=\"spam\",status=\"400\",version=\"1\"}") >= 1);
        assertTrue(metric(text, "kiln_batch_size_count{model=\"spam\",version=\"1\"}") >= batchesBefore + 1);
        assertTrue(metric(text, "kiln_infer_latency_seconds_count{model=\"spam\",version=\"1\"}") >= 4);
        assertTrue(text.contains("kiln_infer_latency_seconds_bucket{model=\"spam\""), "a latency histogram");
        assertTrue(text.contains("kiln_batch_size_bucket{model=\"spam\""), "a batch-size histogram");
    }

    /** The value of the sample line {@code series} in a Prometheus scrape (0 when absent). */
    static double metric(String scrape, String series) {
        for (String line : scrape.lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    static List<String> lines(String s) {
        return new ArrayList<>(s.lines().toList());
    }
}
