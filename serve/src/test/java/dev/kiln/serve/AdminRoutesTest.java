package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin routes live on a loopback port: list, hot load of run directories as versions,
 * version-addressed inference, unload, traffic weights, and every refusal by status and field.
 * Two versions are ConvNets with different seeded weights, so which version answered is read off
 * the logits themselves (computed here, in-process) as well as off {@code model_version}. Each test
 * works on its own model name, so the tests do not depend on their order.
 */
class AdminRoutesTest {
    static final String ADMIN = "admin-secret";
    static final long SEED_A = 7;
    static final long SEED_B = 8;
    static final BatchingOptions NO_DELAY = new BatchingOptions(8, 0, 64);

    @TempDir
    static Path tmp;
    static Path runA;
    static Path runB;
    static ModelServer server;
    static Http http;
    static float[] image;
    static float[] logitsA;
    static float[] logitsB;

    @BeforeAll
    static void start() throws Exception {
        runA = TinyRuns.cnn(tmp.resolve("cnn-a"), SEED_A);
        runB = TinyRuns.cnn(tmp.resolve("cnn-b"), SEED_B);
        server = ModelServer.builder().port(0).adminToken(ADMIN)
                .model("fashion", "1", RunDirectoryModels.load(runA), NO_DELAY).start();
        http = new Http(server.port());
        image = ModelServerTest.pixels(1, 99);
        logitsA = ModelServerTest.referenceImageLogits(SEED_A, image, 1);
        logitsB = ModelServerTest.referenceImageLogits(SEED_B, image, 1);
        assertFalse(Arrays.equals(logitsA, logitsB), "the two versions must be told apart by their answers");
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static Http.Reply admin(String method, String path, String body) throws Exception {
        return http.send(method, path, body, "Authorization", "Bearer " + ADMIN);
    }

    /** The entry of model {@code name} in {@code GET /admin/models}. */
    static JsonNode listed(String name) throws Exception {
        Http.Reply r = admin("GET", "/admin/models", null);
        assertEquals(200, r.status(), r.body());
        for (JsonNode m : r.json().get("models")) {
            if (m.get("name").asText().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no model " + name + " in " + r.body());
    }

    static String load(Path run) {
        return "{\"run_dir\": " + Http.JSON.valueToTree(run.toString()) + ", \"max_delay_ms\": 0}";
    }

    /** Infers {@link #image} at {@code path}; checks 200 and that the logits are those of the version it says answered. */
    static String inferVersion(String path, String... headers) throws Exception {
        Http.Reply r = http.post(path, ModelServerTest.imageRequest(image, 1), headers);
        assertEquals(200, r.status(), path + ": " + r.body());
        String version = r.json().get("model_version").asText();
        float[] expected = version.equals("1") ? logitsA : logitsB;
        assertArrayEquals(expected, ModelServerTest.floats(ModelServerTest.output(r.json(), "logits")), 1e-6f,
                path + " answered as version " + version);
        return version;
    }

    @Test
    void listShowsEveryModelWithItsVersionsAndTraffic() throws Exception {
        Http.Reply r = admin("GET", "/admin/models", null);
        assertEquals(200, r.status(), r.body());
        JsonNode fashion = listed("fashion");
        assertEquals("1", fashion.get("default_version").asText());
        assertEquals("{\"version\":\"1\",\"app\":\"cnn\",\"in_flight\":0,\"max_batch_size\":8,\"max_delay_ms\":0,\"queue_capacity\":64}",
                fashion.get("versions").get(0).toString());
        assertEquals(1, fashion.get("versions").size());
        assertTrue(fashion.get("traffic").isNull(), fashion.toString());
    }

    @Test
    void loadedVersionsAnswerByVersionAndUnloadRemovesThem() throws Exception {
        Http.Reply one = admin("POST", "/admin/models/shoes/versions/1", load(runA));
        assertEquals(201, one.status(), one.body());
        assertEquals("shoes", one.json().get("name").asText());
        assertEquals("1", one.json().get("version").asText());
        assertEquals("cnn", one.json().get("app").asText());
        Http.Reply two = admin("POST", "/admin/models/shoes/versions/2",
                "{\"run_dir\": " + Http.JSON.valueToTree(runB.toString()) + ", \"max_batch_size\": 4}");
        assertEquals(201, two.status(), two.body());
        // Options left out come from the newest version: max_delay_ms 0 from version 1, the defaults for the rest.
        assertEquals(4, two.json().get("max_batch_size").asInt());
        assertEquals(0, two.json().get("max_delay_ms").asInt());
        assertEquals(BatchingOptions.DEFAULT.queueCapacity(), two.json().get("queue_capacity").asInt());

        assertEquals("[\"1\",\"2\"]", http.get("/v2/models/shoes").json().get("versions").toString());
        assertEquals(200, http.get("/v2/models/shoes/versions/2/ready").status());
        assertEquals("1", inferVersion("/v2/models/shoes/versions/1/infer"));
        assertEquals("2", inferVersion("/v2/models/shoes/versions/2/infer"));
        assertEquals("1", inferVersion("/v2/models/shoes/infer"), "without a split the oldest version is the default");

        Http.Reply again = admin("POST", "/admin/models/shoes/versions/2", load(runA));
        assertEquals(409, again.status(), again.body());
        assertTrue(again.error().startsWith("version: model \"shoes\" already has version \"2\""), again.error());

        Http.Reply gone = admin("DELETE", "/admin/models/shoes/versions/1", null);
        assertEquals(200, gone.status(), gone.body());
        assertEquals("{\"name\":\"shoes\",\"version\":\"1\",\"unloaded\":true,\"drained\":true}", gone.body());
        Http.Reply v1 = http.post("/v2/models/shoes/versions/1/infer", ModelServerTest.imageRequest(image, 1));
        assertEquals(404, v1.status(), v1.body());
        assertTrue(v1.error().startsWith("version: model \"shoes\" has no version \"1\"; served: [2]"), v1.error());
        assertEquals("2", inferVersion("/v2/models/shoes/infer"), "the version left is the default");
        assertEquals(404, admin("DELETE", "/admin/models/shoes/versions/1", null).status());

        assertEquals(200, admin("DELETE", "/admin/models/shoes/versions/2?drain_ms=0", null).status());
        assertEquals(404, http.get("/v2/models/shoes").status());
        assertFalse(admin("GET", "/admin/models", null).body().contains("\"shoes\""));
    }

    @Test
    void trafficWeightsSendUnversionedRequestsAndNullClearsThem() throws Exception {
        assertEquals(201, admin("POST", "/admin/models/boots/versions/1", load(runA)).status());
        assertEquals(201, admin("POST", "/admin/models/boots/versions/2", load(runB)).status());
        Http.Reply put = admin("PUT", "/admin/models/boots/traffic", "{\"weights\": {\"1\": 0, \"2\": 3}}");
        assertEquals(200, put.status(), put.body());
        assertEquals("{\"1\":0.0,\"2\":3.0}", put.json().get("traffic").toString());
        for (int i = 0; i < 5; i++) {
            assertEquals("2", inferVersion("/v2/models/boots/infer"), "weight 0 gets no traffic");
            assertEquals("2", inferVersion("/v2/models/boots/infer", "X-User-Id", "user-" + i));
        }
        assertEquals("1", inferVersion("/v2/models/boots/versions/1/infer"), "a version with weight 0 still answers by name");
        Http.Reply overflow = admin("PUT", "/admin/models/boots/traffic", "{\"weights\": {\"1\": 1e308, \"2\": 1e308}}");
        assertEquals(400, overflow.status(), "finite weights whose sum is not: " + overflow.body());
        assertTrue(overflow.error().startsWith("weights: expected weights with a finite sum > 0"), overflow.error());
        assertEquals("{\"1\":0.0,\"2\":3.0}", listed("boots").get("traffic").toString(),
                "a refused split leaves the one before");

        Http.Reply cleared = admin("PUT", "/admin/models/boots/traffic", "{\"weights\": null}");
        assertEquals(200, cleared.status(), cleared.body());
        assertTrue(cleared.json().get("traffic").isNull(), cleared.body());
        assertEquals("1", inferVersion("/v2/models/boots/infer"), "no split: the default version");

        assertEquals(200, admin("PUT", "/admin/models/boots/traffic", "{\"weights\": {\"2\": 1}}").status());
        assertEquals(200, admin("DELETE", "/admin/models/boots/versions/2", null).status());
        JsonNode after = listed("boots");
        assertTrue(after.get("traffic").isNull(), "a split whose versions are all gone is dropped: " + after);
        assertEquals("1", inferVersion("/v2/models/boots/infer"));
    }

    @Test
    void badBodiesAre400NamingTheField() throws Exception {
        String a = Http.JSON.valueToTree(runA.toString()).toString();
        String[][] loads = {
            {"{\"run_dir\": ", "malformed JSON"},
            {"[1]", "body: expected a JSON object, got ARRAY"},
            {"{}", "run_dir: expected the path of a kiln train run directory, got nothing"},
            {"{\"run_dir\": 5}", "run_dir: expected the path of a kiln train run directory, got 5"},
            {"{\"run_dir\": \" \"}", "run_dir: expected the path"},
            {"{\"run_dir\": " + Http.JSON.valueToTree(tmp.resolve("missing").toString()) + "}", "run_dir: cannot load"},
            {"{\"run_dir\": " + a + ", \"colour\": 1}", "colour: unknown field; expected some of"},
            {"{\"run_dir\": " + a + ", \"max_batch_size\": \"8\"}", "max_batch_size: expected an integer, got \"8\""},
            {"{\"run_dir\": " + a + ", \"max_batch_size\": 0}", "max_batch_size must be >= 1, got 0"},
            {"{\"run_dir\": " + a + ", \"max_delay_ms\": -1}", "max_delay_ms must be >= 0, got -1"},
            {"{\"run_dir\": " + a + ", \"queue_capacity\": 1.5}", "queue_capacity: expected an integer, got 1.5"},
        };
        for (String[] c : loads) {
            Http.Reply r = admin("POST", "/admin/models/socks/versions/1", c[0]);
            assertEquals(400, r.status(), c[0] + ": " + r.body());
            assertTrue(r.error().startsWith(c[1]), "expected an error starting with \"" + c[1] + "\", got: " + r.error());
        }
        Path notARun = Files.createDirectories(tmp.resolve("not-a-run"));
        Http.Reply empty = admin("POST", "/admin/models/socks/versions/1", load(notARun));
        assertEquals(400, empty.status(), empty.body());
        assertTrue(empty.error().startsWith("run_dir: cannot load") && empty.error().contains("model.safetensors"), empty.error());
        Http.Reply label = admin("POST", "/admin/models/so%20cks/versions/1", load(runA));
        assertEquals(400, label.status(), label.body());
        assertTrue(label.error().startsWith("name: expected [A-Za-z0-9_.-]+, got \"so cks\""), label.error());
        assertEquals(404, http.get("/v2/models/socks").status(), "no refused load left a model behind");

        for (String q : new String[] {"-1", "abc", Long.toString(600_001)}) {
            Http.Reply r = admin("DELETE", "/admin/models/fashion/versions/1?drain_ms=" + q, null);
            assertEquals(400, r.status(), r.body());
            assertTrue(r.error().startsWith("drain_ms: expected milliseconds in [0, 600000], got \"" + q + "\""), r.error());
        }
        assertEquals(200, http.get("/v2/models/fashion/versions/1").status(), "a refused unload left the version loaded");

        String[][] weights = {
            {"{\"weights\": {\"1\": 1", "malformed JSON"},
            {"{}", "weights: expected an object of version -> weight, or null; got nothing"},
            {"{\"weights\": [1]}", "weights: expected an object of version -> weight, or null; got ARRAY"},
            {"{\"weights\": {\"1\": -1}}", "weights.1: expected a number >= 0, got -1"},
            {"{\"weights\": {\"1\": \"90\"}}", "weights.1: expected a number >= 0, got \"90\""},
            {"{\"weights\": {\"1\": 1e400}}", "weights.1: expected a number >= 0"},
            {"{\"weights\": {\"1\": 0}}", "weights: expected at least one weight > 0"},
            {"{\"weights\": {\"1\": 1, \"9\": 1}}", "weights.9: model \"fashion\" has no version \"9\"; loaded: [1]"},
        };
        for (String[] c : weights) {
            Http.Reply r = admin("PUT", "/admin/models/fashion/traffic", c[0]);
            assertEquals(400, r.status(), c[0] + ": " + r.body());
            assertTrue(r.error().startsWith(c[1]), "expected an error starting with \"" + c[1] + "\", got: " + r.error());
        }
        assertTrue(server.registry().split("fashion") == null, "refused splits change nothing");
    }

    @Test
    void unknownModelOrVersionIs404() throws Exception {
        Http.Reply model = admin("DELETE", "/admin/models/nope/versions/1", null);
        assertEquals(404, model.status(), model.body());
        assertTrue(model.error().startsWith("model: no model named \"nope\""), model.error());
        Http.Reply version = admin("DELETE", "/admin/models/fashion/versions/9", null);
        assertEquals(404, version.status(), version.body());
        assertTrue(version.error().startsWith("version: model \"fashion\" has no version \"9\""), version.error());
        Http.Reply traffic = admin("PUT", "/admin/models/nope/traffic", "{\"weights\": {\"1\": 1}}");
        assertEquals(404, traffic.status(), traffic.body());
        assertTrue(traffic.error().startsWith("model: no model named \"nope\""), traffic.error());
        assertEquals(404, http.post("/v2/models/fashion/versions/9/infer", ModelServerTest.imageRequest(image, 1)).status());
        assertEquals(404, admin("GET", "/admin/models/fashion", null).status(), "no such admin route");
    }

    @Test
    void adminRoutesNeedTheAdminTokenAndDoNotExistWithoutOne() throws Exception {
        Http.Reply none = http.get("/admin/models");
        assertEquals(401, none.status(), none.body());
        none.error();
        try (ModelServer plain = ModelServer.builder().port(0).model("fashion", "1", RunDirectoryModels.load(runA), NO_DELAY).start();
             Http client = new Http(plain.port())) {
            for (String[] c : new String[][] {{"GET", "/admin/models", null}, {"POST", "/admin/models/x/versions/1", load(runA)},
                {"DELETE", "/admin/models/fashion/versions/1", null}, {"PUT", "/admin/models/fashion/traffic", "{\"weights\": null}"}}) {
                Http.Reply r = client.send(c[0], c[1], c[2], "Authorization", "Bearer " + ADMIN);
                assertEquals(404, r.status(), c[0] + " " + c[1] + ": " + r.body());
                assertTrue(r.error().contains(c[1]) && r.error().contains("not found"), r.error());
            }
            assertEquals(404, client.get("/v2/models/x").status(), "nothing was loaded");
            assertEquals(200, client.get("/v2/models/fashion/versions/1/ready").status(), "nothing was unloaded");
        }
    }
}
