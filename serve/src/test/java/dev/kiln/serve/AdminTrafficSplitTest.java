package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A weighted traffic split set through {@code PUT /admin/models/NAME/traffic}, measured live from
 * the versions that answer ({@code model_version}, and the logits of that version's seeded weights):
 * the share over ~1000 users, stickiness by {@code X-User-Id}, and requests without the header.
 */
class AdminTrafficSplitTest {
    static final String ADMIN = "admin-secret";
    static final long SEED_1 = 7;
    static final long SEED_2 = 8;

    @TempDir
    static Path tmp;
    static ModelServer server;
    static Http http;
    static String body;
    static float[] logits1;
    static float[] logits2;

    @BeforeAll
    static void start() throws Exception {
        BatchingOptions noDelay = new BatchingOptions(16, 0, 1024);
        server = ModelServer.builder().port(0).adminToken(ADMIN)
                .model("fashion", "1", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("a"), SEED_1)), noDelay)
                .model("fashion", "2", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("b"), SEED_2)), noDelay).start();
        http = new Http(server.port());
        float[] image = ModelServerTest.pixels(1, 5);
        body = ModelServerTest.imageRequest(image, 1);
        logits1 = ModelServerTest.referenceImageLogits(SEED_1, image, 1);
        logits2 = ModelServerTest.referenceImageLogits(SEED_2, image, 1);
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static void split(String weights) throws Exception {
        Http.Reply r = http.send("PUT", "/admin/models/fashion/traffic", "{\"weights\": " + weights + "}", "Authorization", "Bearer " + ADMIN);
        assertEquals(200, r.status(), r.body());
    }

    /** The version that answers one unversioned infer (null user: no header), after checking the answer is that version's. */
    static String answer(String user) throws Exception {
        Http.Reply r = user == null ? http.post("/v2/models/fashion/infer", body)
                : http.post("/v2/models/fashion/infer", body, "X-User-Id", user);
        assertEquals(200, r.status(), r.body());
        JsonNode json = r.json();
        String version = json.get("model_version").asText();
        float[] expected = switch (version) {
            case "1" -> logits1;
            case "2" -> logits2;
            default -> throw new AssertionError("unknown version answered: " + r.body());
        };
        float[] got = ModelServerTest.floats(ModelServerTest.output(json, "logits"));
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 1e-6f, "logit " + i + " of version " + version);
        }
        return version;
    }

    /** The versions answering {@code users} (null entries: no header), sent from 8 threads at once. */
    static List<String> answers(List<String> users) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<String>> futures = new ArrayList<>();
            for (String u : users) {
                futures.add(pool.submit(() -> answer(u)));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : futures) {
                out.add(f.get());
            }
            return out;
        }
    }

    /**
     * Asserts that {@code hits} of {@code n} is within 5 standard deviations of a binomial(n, p)'s
     * mean. For n = 1000, p = 0.2 that is 200 ± 63: a split that ignored the weights (500), swapped
     * them (800) or sent everything one way lands far outside, while independent draws leave the
     * band with probability under 1e-6.
     */
    static void assertBinomial(int hits, int n, double p, String what) {
        double mean = n * p;
        double sigma = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(hits - mean) <= 5 * sigma,
                what + ": " + hits + " of " + n + ", expected " + mean + " ± " + 5 * sigma + " (5 sigma)");
    }

    @Test
    void eightyTwentySplitHoldsOverAThousandUsers() throws Exception {
        split("{\"1\": 80, \"2\": 20}");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            users.add("user-" + i);
        }
        List<String> versions = answers(users);
        int two = (int) versions.stream().filter("2"::equals).count();
        System.out.printf("80/20 split over 1000 users: %d on version 1, %d on version 2%n", 1000 - two, two);
        // The sticky pick hashes each user id, so these 1000 ids always split the same way; the band
        // checks that the hash spreads ids as independent 80/20 draws would.
        assertBinomial(two, 1000, 0.2, "users on version 2");
    }

    @Test
    void aUserStaysOnItsVersionAndRaisingAWeightOnlyMovesUsersToIt() throws Exception {
        split("{\"1\": 80, \"2\": 20}");
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            for (int u = 0; u < 50; u++) {
                rounds.add("sticky-" + u);
            }
        }
        List<String> versions = answers(rounds);
        Map<String, String> first = new HashMap<>();
        for (int i = 0; i < rounds.size(); i++) {
            String was = first.putIfAbsent(rounds.get(i), versions.get(i));
            assertTrue(was == null || was.equals(versions.get(i)),
                    rounds.get(i) + " answered by version " + was + " and then " + versions.get(i));
        }
        assertTrue(first.containsValue("1") && first.containsValue("2"), "50 users reach both versions: " + first);

        // Rendezvous hashing: giving version 2 more weight can only move users onto it.
        split("{\"1\": 50, \"2\": 50}");
        List<String> users = new ArrayList<>(first.keySet());
        List<String> after = answers(users);
        int moved = 0;
        for (int i = 0; i < users.size(); i++) {
            if (first.get(users.get(i)).equals("2")) {
                assertEquals("2", after.get(i), users.get(i) + " left version 2 when its weight went up");
            } else if (after.get(i).equals("2")) {
                moved++;
            }
        }
        System.out.printf("80/20 -> 50/50: %d of %d users moved to version 2%n", moved, users.size());
    }

    @Test
    void requestsWithoutAUserIdAreServedAtTheSplitsRatio() throws Exception {
        split("{\"1\": 80, \"2\": 20}");
        List<String> nobody = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            nobody.add(null);
        }
        int two = (int) answers(nobody).stream().filter("2"::equals).count();
        System.out.printf("80/20 split over 300 requests without X-User-Id: %d on version 2%n", two);
        // Random picks: the 5-sigma band (60 ± 35) is left with probability under 1e-6.
        assertBinomial(two, 300, 0.2, "header-less requests on version 2");
    }
}
