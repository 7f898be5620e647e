package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.model.ServedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent requests to one model share forward passes, and each gets exactly the response it
 * gets alone, bit for bit: the batched server against an unbatched one (max_batch_size 1) serving
 * the same run. (Without the batcher's {@link dev.kiln.tensor.BatchInvariance} the CPU GEMM takes
 * another path for a few rows than for many and logits move by about 1 ulp: this test fails.)
 */
class DynamicBatchingTest {
    static final int REQUESTS = 12;

    @TempDir
    Path tmp;

    @Test
    void concurrentImageRequestsShareForwardPassesAndMatchUnbatched() throws Exception {
        Path run = TinyRuns.cnn(tmp.resolve("cnn"));
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            int images = 1 + i % 3; // requests of 1, 2 and 3 images: the split must respect each one's rows
            bodies.add(ModelServerTest.imageRequest(ModelServerTest.pixels(images, 100 + i), images));
        }
        check(RunDirectoryModels.load(run), RunDirectoryModels.load(run), "fashion", bodies);
    }

    @Test
    void concurrentTextRequestsShareForwardPassesAndMatchUnbatched() throws Exception {
        Path run = TinyRuns.classify(tmp.resolve("classify"));
        List<String> bodies = new ArrayList<>();
        String[] words = {"free", "money", "lunch", "meeting", "click", "here", "zebra"};
        for (int i = 0; i < REQUESTS; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w <= i; w++) {
                text.append(words[(w * 3 + i) % words.length]).append(' '); // lengths 1..12: padding differs per message
            }
            bodies.add("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"" + text + "\"]}]}");
        }
        check(RunDirectoryModels.load(run), RunDirectoryModels.load(run), "spam", bodies);
    }

    private static void check(ServedModel batchedModel, ServedModel aloneModel, String name, List<String> bodies) throws Exception {
        try (ModelServer batched = ModelServer.builder().port(0).model(name, "1", batchedModel, new BatchingOptions(64, 300, 64)).start();
                ModelServer alone = ModelServer.builder().port(0).model(name, "1", aloneModel, new BatchingOptions(1, 0, 64)).start();
                Http toBatched = new Http(batched.port());
                Http toAlone = new Http(alone.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<String> expected = new ArrayList<>();
            for (String body : bodies) {
                Http.Reply r = toAlone.post("/v2/models/" + name + "/infer", body);
                assertEquals(200, r.status(), r.body());
                expected.add(r.body());
            }
            assertEquals(bodies.size(), alone.forwardPasses(name, "1"), "max_batch_size 1 runs every request alone");

            CountDownLatch go = new CountDownLatch(1);
            List<Future<Http.Reply>> replies = new ArrayList<>();
            for (String body : bodies) {
                replies.add(pool.submit(() -> {
                    go.await();
                    return toBatched.post("/v2/models/" + name + "/infer", body);
                }));
            }
            go.countDown();
            for (int i = 0; i < bodies.size(); i++) {
                Http.Reply r = replies.get(i).get();
                assertEquals(200, r.status(), r.body());
                assertEquals(expected.get(i), r.body(), "request " + i + ": the batched response must be the unbatched one");
            }
            long passes = batched.forwardPasses(name, "1");
            System.out.printf("%s: %d concurrent requests ran in %d forward passes, responses identical to unbatched%n",
                    name, bodies.size(), passes);
            assertTrue(passes < bodies.size() / 2, "expected batching to need fewer than " + bodies.size() / 2
                    + " forward passes for " + bodies.size() + " concurrent requests, got " + passes);
        }
    }
}
