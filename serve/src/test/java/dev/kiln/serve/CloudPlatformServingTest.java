package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.platform.Platform;
import dev.kiln.serve.platform.PlatformRoutes;
import dev.kiln.serve.platform.PlatformSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SageMaker's, Vertex AI's and Azure ML's container contracts, live on loopback, the platform's environment
 * given as a map: predictions checked against the cnn run in-process ({@link ModelServerTest#referenceImageLogits}).
 */
class CloudPlatformServingTest {
    static final int PIXELS = ModelServerTest.PIXELS;
    static final String PREDICT = "/v1/endpoints/123/deployedModels/456:predict";
    static final String HEALTH = "/v1/endpoints/123/deployedModels/456";
    /** Azure ML sets no payload limit of its own in the container contract: the server's --max-body-bytes applies. */
    static final long AZURE_MAX_BODY = 64 * 1024;

    @TempDir
    static Path tmp;
    static ModelServer sagemaker;
    static ModelServer vertex;
    static ModelServer azure;
    static Http sm;
    static Http vx;
    static Http az;

    @BeforeAll
    static void start() throws Exception {
        Path cnn = TinyRuns.cnn(tmp.resolve("cnn"));
        Path classify = TinyRuns.classify(tmp.resolve("classify"));
        PlatformSettings s = Platform.SAGEMAKER.settings(Map.of());
        sagemaker = ModelServer.builder().port(0).authToken("secret")
                .model("fashion", "1", RunDirectoryModels.load(cnn), new BatchingOptions(8, 0, 64))
                .model("spam", RunDirectoryModels.load(classify))
                .platform(PlatformRoutes.of(s)).start();
        PlatformSettings v = Platform.VERTEX.settings(Map.of("AIP_HTTP_PORT", "8080", "AIP_HEALTH_ROUTE", HEALTH,
                "AIP_PREDICT_ROUTE", PREDICT, "AIP_STORAGE_URI", cnn.toString()));
        vertex = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(v.modelDir()))
                .platform(PlatformRoutes.of(v)).start();
        PlatformSettings a = Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", cnn.toString()));
        azure = ModelServer.builder().port(0).maxBodyBytes(AZURE_MAX_BODY).model("fashion", RunDirectoryModels.load(a.modelDir()))
                .platform(PlatformRoutes.of(a)).start();
        az = new Http(azure.port());
        sm = new Http(sagemaker.port());
        vx = new Http(vertex.port());
    }

    @AfterAll
    static void stop() {
        sm.close();
        vx.close();
        az.close();
        sagemaker.close();
        vertex.close();
        azure.close();
    }

    static String nested(float[] x, int image) {
        StringJoiner rows = new StringJoiner(",", "[", "]");
        for (int r = 0; r < TinyRuns.SIDE; r++) {
            StringJoiner row = new StringJoiner(",", "[", "]");
            for (int c = 0; c < TinyRuns.SIDE; c++) {
                row.add(Float.toString(x[image * PIXELS + r * TinyRuns.SIDE + c]));
            }
            rows.add(row.toString());
        }
        return rows.toString();
    }

    static String flat(float[] x, int image, String sep) {
        StringJoiner j = new StringJoiner(sep);
        for (int k = 0; k < PIXELS; k++) {
            j.add(Float.toString(x[image * PIXELS + k]));
        }
        return j.toString();
    }

    /** A POST to /invocations with exactly the headers given (Http.post would add a JSON Content-Type). */
    static Http.Reply invoke(String body, String... headers) throws Exception {
        return sm.postBytes("/invocations", body.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers).text();
    }

    static int argmax(float[] logits, int row) {
        int best = 0;
        for (int k = 1; k < 10; k++) {
            best = logits[row * 10 + k] > logits[row * 10 + best] ? k : best;
        }
        return best;
    }

    static void assertPrediction(JsonNode p, float[] expected, int row) {
        float[] logits = new float[10];
        for (int k = 0; k < 10; k++) {
            logits[k] = (float) p.get("logits").get(k).doubleValue();
        }
        float[] want = new float[10];
        System.arraycopy(expected, row * 10, want, 0, 10);
        assertArrayEquals(want, logits, 1e-6f);
        assertEquals(argmax(expected, row), p.get("label").asInt());
        double sum = 0;
        for (JsonNode q : p.get("probabilities")) {
            sum += q.doubleValue();
        }
        assertEquals(1.0, sum, 1e-5);
    }

    @Test
    void vertexPredictRouteAnswersOnePredictionPerInstanceInOrder() throws Exception {
        // "request body {"instances": [...], "parameters": {...}} ... response {"predictions": [...]}"
        // https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements#request_requirements
        float[] x = ModelServerTest.pixels(2, 31);
        float[] expected = ModelServerTest.referenceImageLogits(x, 2);
        Http.Reply r = vx.post(PREDICT, "{\"instances\":[" + nested(x, 0) + ",[" + flat(x, 1, ",")
                + "]],\"parameters\":{}}");
        assertEquals(200, r.status(), r.body());
        JsonNode predictions = r.json().get("predictions");
        assertEquals(2, predictions.size());
        assertPrediction(predictions.get(0), expected, 0);
        assertPrediction(predictions.get(1), expected, 1);
        // Object instances name the input.
        Http.Reply o = vx.post(PREDICT, "{\"instances\":[{\"images\":" + nested(x, 1) + "}]}");
        assertPrediction(o.json().get("predictions").get(0), expected, 1);
    }

    @Test
    void vertexHealthRouteIs200WhenLoadedAndBadBodiesName400Fields() throws Exception {
        // "respond with status code 200 OK ... if ready" (health checks, docs above)
        assertEquals(200, vx.get(HEALTH).status());
        String[][] cases = {
            {"{}", "instances: expected an array of instances, got nothing"},
            {"{\"instances\":[]}", "instances: expected at least one instance, got none"},
            {"{\"instances\":[[1,2,3]]}", "instances[0]: expected 144 numbers"},
            {"{\"instances\":[[\"a\"]]}", "instances[0][0]: expected a number or an array of numbers, got STRING \"a\""},
            {"{\"instances\":[{\"pixels\":[1]}]}", "instances[0].images: expected the input images"},
            {"{\"instances\":[[1]],\"parameters\":[1]}", "parameters: expected an object, got ARRAY"},
        };
        for (String[] c : cases) {
            Http.Reply r = vx.post(PREDICT, c[0]);
            assertEquals(400, r.status(), c[0]);
            assertTrue(r.error().startsWith(c[1]), "expected \"" + c[1] + "\", got: " + r.error());
        }
    }

    @Test
    void vertexRefusesBodiesOverItsPayloadLimit() throws Exception {
        // "the payload limit size (currently, 1.5MB)" https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/predict
        String big = "{\"instances\":[[" + "0,".repeat(800_000) + "0]]}";
        assertEquals(413, vx.post(PREDICT, big).status());
    }

    @Test
    void sageMakerPingIs200WithAnEmptyBodyAndNeedsNoToken() throws Exception {
        // "GET /ping ... respond with an HTTP 200 status code and an empty body"
        // https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html#your-algorithms-inference-algo-ping-requests
        Http.Reply r = sm.get("/ping");
        assertEquals(200, r.status());
        assertEquals("", r.body());
        assertEquals(401, sm.post("/invocations", "{\"instances\":[]}").status(), "invocations need the token");
    }

    @Test
    void sageMakerInvocationsTakeJsonAndCsvAndHonourAccept() throws Exception {
        // "POST /invocations ... Content-Type and Accept" (docs above, how your container should respond to inference requests)
        float[] x = ModelServerTest.pixels(2, 41);
        float[] expected = ModelServerTest.referenceImageLogits(x, 2);
        String auth = "Bearer secret";
        Http.Reply json = sm.post("/invocations", "{\"instances\":[" + nested(x, 0) + "]}", "Authorization", auth);
        assertEquals(200, json.status(), json.body());
        assertPrediction(json.json().get("predictions").get(0), expected, 0);

        String csv = flat(x, 0, ",") + "\n" + flat(x, 1, ", ") + "\n";
        Http.Reply both = invoke(csv, "Content-Type", "text/csv", "Authorization", auth, "Accept", "text/csv");
        assertEquals(200, both.status(), both.body());
        assertTrue(both.contentType().startsWith("text/csv"), both.contentType());
        assertEquals(argmax(expected, 0) + "\n" + argmax(expected, 1) + "\n", both.body());

        Http.Reply csvToJson = invoke(csv, "Content-Type", "text/csv; charset=utf-8", "Authorization", auth,
                "Accept", "application/json");
        assertPrediction(csvToJson.json().get("predictions").get(1), expected, 1);
    }

    @Test
    void sageMakerTargetModelHeaderPicksTheModel() throws Exception {
        // X-Amzn-SageMaker-Target-Model (multi-model endpoints): https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html
        Http.Reply r = invoke("free money now\nlunch tomorrow\n", "Content-Type", "text/csv",
                "Authorization", "Bearer secret", "X-Amzn-SageMaker-Target-Model", "spam");
        assertEquals(200, r.status(), r.body());
        assertEquals(2, r.json().get("predictions").size());
        JsonNode spam = r.json().get("predictions").get(0);
        assertEquals(2, spam.get("probabilities").size());
        Http.Reply none = sm.post("/invocations", "{\"instances\":[[1]]}", "Authorization", "Bearer secret",
                "X-Amzn-SageMaker-Target-Model", "nope");
        assertEquals(404, none.status());
        assertTrue(none.error().startsWith("X-Amzn-SageMaker-Target-Model: expected one of the loaded models [fashion, spam], got \"nope\""),
                none.error());
    }

    @Test
    void sageMakerRefusesUnknownContentTypesAndAccepts() throws Exception {
        String auth = "Bearer secret";
        Http.Reply type = invoke("x", "Content-Type", "application/x-npy", "Authorization", auth);
        assertEquals(415, type.status());
        assertEquals("Content-Type: expected application/json or text/csv, got \"application/x-npy\"", type.error());
        Http.Reply accept = sm.post("/invocations", "{\"instances\":[[1]]}", "Accept", "application/x-protobuf", "Authorization", auth);
        assertEquals(406, accept.status());
        assertEquals("Accept: expected application/json or text/csv, got \"application/x-protobuf\"", accept.error());
        Http.Reply cell = invoke("1,2,x\n", "Content-Type", "text/csv", "Authorization", auth);
        assertEquals(400, cell.status());
        assertEquals("line 1, column 3: expected a number, got \"x\"", cell.error());
    }

    @Test
    void sageMakerPingTurns503WhileDraining() throws Exception {
        // "If the container is not ready ... respond with a status other than 200" (ping requests, docs above);
        // its own server so draining it leaves the others serving.
        try (ModelServer s = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(tmp.resolve("cnn")))
                .platform(PlatformRoutes.of(Platform.SAGEMAKER.settings(Map.of()))).start(); Http h = new Http(s.port())) {
            assertEquals(200, h.get("/ping").status());
            s.drain(Duration.ZERO);
            assertEquals(503, h.get("/ping").status());
        }
    }

    @Test
    void vertexParametersReachAGenerativeModel() throws Exception {
        // "parameters" of a predict request are the container's to interpret (custom container requirements, above):
        // a gpt model reads them as a KServe request's parameters, max_tokens among them.
        PlatformSettings v = Platform.VERTEX.settings(Map.of("AIP_HTTP_PORT", "8080", "AIP_HEALTH_ROUTE", HEALTH,
                "AIP_PREDICT_ROUTE", "/predict-gpt"));
        try (ModelServer s = ModelServer.builder().port(0).model("story", RunDirectoryModels.load(TinyRuns.gpt(tmp.resolve("gpt"), 64)))
                .platform(PlatformRoutes.of(v)).start(); Http h = new Http(s.port())) {
            Http.Reply r = h.post("/predict-gpt", "{\"instances\": [\"hello\", \"ab\"], \"parameters\": {\"max_tokens\": 5}}");
            assertEquals(200, r.status(), r.body());
            JsonNode predictions = r.json().get("predictions");
            assertEquals(2, predictions.size(), r.body());
            Http.Reply kserve = h.post("/v2/models/story/infer", "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", "
                    + "\"shape\": [2], \"data\": [\"hello\", \"ab\"]}], \"parameters\": {\"max_tokens\": 5}}");
            for (int i = 0; i < 2; i++) {
                String text = kserve.json().get("outputs").get(0).get("data").get(i).asText();
                assertEquals(5, text.length(), kserve.body());
                assertTrue(predictions.get(i).toString().contains(Http.JSON.writeValueAsString(text)), r.body() + " vs " + text);
            }
            Http.Reply bad = h.post("/predict-gpt", "{\"instances\": [\"hello\"], \"parameters\": {\"max_tokens\": 0}}");
            assertEquals(400, bad.status(), bad.body());
            assertTrue(bad.error().startsWith("parameters.max_tokens"), bad.body());
        }
    }

    @Test
    void azureMlScoreAnswersAsKServeDoesAndReadinessNeedsNoToken() throws Exception {
        // The scoring route gets the request body as the client sent it: in a custom container its schema is the
        // container's own (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container), here
        // Vertex's {"instances"} -> {"predictions"}; the answer must match the KServe route's for the same images.
        float[] x = ModelServerTest.pixels(2, 53);
        float[] expected = ModelServerTest.referenceImageLogits(x, 2);
        Http.Reply r = az.post("/score", "{\"instances\":[" + nested(x, 0) + ",[" + flat(x, 1, ",") + "]]}");
        assertEquals(200, r.status(), r.body());
        JsonNode predictions = r.json().get("predictions");
        assertEquals(2, predictions.size());
        assertPrediction(predictions.get(0), expected, 0);
        assertPrediction(predictions.get(1), expected, 1);
        Http.Reply kserve = az.post("/v2/models/fashion/infer", "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", "
                + "\"shape\": [2, 1, " + TinyRuns.SIDE + ", " + TinyRuns.SIDE + "], \"data\": [" + flat(x, 0, ",") + "," + flat(x, 1, ",") + "]}]}");
        assertEquals(200, kserve.status(), kserve.body());
        JsonNode logits = null;
        for (JsonNode o : kserve.json().get("outputs")) {
            logits = o.get("name").asText().equals("logits") ? o.get("data") : logits;
        }
        assertEquals(20, logits.size(), kserve.body());
        for (int k = 0; k < 10; k++) {
            assertEquals(logits.get(10 + k).doubleValue(), predictions.get(1).get("logits").get(k).doubleValue(), 1e-6, "logit " + k);
        }
        // "respond 200 OK to a readiness request only after the model has been loaded" (docs above); liveness is KServe's.
        assertEquals(200, az.get("/ready").status());
        assertEquals(200, az.get("/v2/health/live").status());
    }

    @Test
    void azureMlScoreNamesBadFieldsAndRefusesOtherTypesAndLargeBodies() throws Exception {
        String[][] cases = {
            {"{}", "instances: expected an array of instances, got nothing"},
            {"{\"instances\":{}}", "instances: expected an array of instances, got OBJECT"},
            {"{\"instances\":[]}", "instances: expected at least one instance, got none"},
            {"{\"instances\":[[1,2,3]]}", "instances[0]: expected 144 numbers"},
            {"{\"instances\":[[1]],\"parameters\":[1]}", "parameters: expected an object, got ARRAY"},
        };
        for (String[] c : cases) {
            Http.Reply r = az.post("/score", c[0]);
            assertEquals(400, r.status(), c[0]);
            assertTrue(r.error().startsWith(c[1]), "expected \"" + c[1] + "\", got: " + r.error());
        }
        Http.Reply csv = az.postBytes("/score", "1,2,3\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "Content-Type", "text/csv").text();
        assertEquals(415, csv.status());
        assertEquals("Content-Type: expected application/json, got \"text/csv\"", csv.error());
        String big = "{\"instances\":[[" + "0,".repeat((int) AZURE_MAX_BODY) + "0]]}";
        assertEquals(413, az.post("/score", big).status());
    }

    @Test
    void azureMlReadinessTurns503WhileDrainingAndLivenessStays200() throws Exception {
        // Liveness 200 "before loading a model", readiness 200 "only after" (docs above): while draining the server is
        // alive (Azure must not restart it mid-request) but takes no new work. Its own server, so the others keep serving.
        PlatformSettings a = Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", tmp.resolve("cnn").toString()));
        try (ModelServer s = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(a.modelDir()))
                .platform(PlatformRoutes.of(a)).start(); Http h = new Http(s.port())) {
            assertEquals(200, h.get("/ready").status());
            s.drain(Duration.ZERO);
            assertEquals(503, h.get("/ready").status());
            assertEquals(200, h.get(Platform.AZUREML_LIVENESS_ROUTE).status());
        }
    }
}
