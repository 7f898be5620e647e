package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.data.vocab.CharVocabulary;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.openai.GenerativeModel;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The request timeout, live on loopback with a model whose forward pass waits for the test: a
 * request stuck in its forward pass and one stuck in the queue behind it both get 504, and the
 * queued one never runs. A whole completion past the timeout gets 504 too, and its sequence
 * leaves the decode batch.
 */
class RequestTimeoutTest {
    @Test
    void requestsPastTheTimeoutGet504AndQueuedOnesNeverRun() throws Exception {
        GatedModel model = new GatedModel();
        // max_batch_size 1: while the first request is in its forward pass the second one must wait in the queue.
        try (ModelServer server = ModelServer.builder().port(0).requestTimeoutMs(1500)
                        .model("gated", "1", model, new BatchingOptions(1, 0, 16)).start();
                Http http = new Http(server.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Http.Reply> running = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(1)));
            model.awaitEntered();
            Future<Http.Reply> queued = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(2)));

            Http.Reply r1 = running.get();
            Http.Reply r2 = queued.get();
            assertEquals(504, r1.status(), r1.body());
            assertEquals(504, r2.status(), r2.body());
            assertTrue(r1.error().startsWith("timeout: no answer from model gated-1 within 1500 ms"), r1.body());
            assertTrue(r1.error().contains("in its forward pass"), r1.body());
            assertTrue(r2.error().contains("still queued and will not run"), r2.body());
            assertEquals(0, server.registry().find("gated", "1").batcher().queued(), "the timed-out request left the queue");

            model.open();
            Http.Reply r3 = http.post("/v2/models/gated/infer", GatedModel.body(3));
            assertEquals(200, r3.status(), r3.body());
            assertEquals(6.0, r3.json().get("outputs").get(0).get("data").get(0).asDouble(), r3.body());
            // Batches run in order on one thread: had the queued request run, it would sit between these two.
            assertEquals(List.of(List.of(1f), List.of(3f)), model.batches, "the timed-out queued request must not run");

            Prometheus m = new Prometheus(http.get("/metrics").body());
            assertEquals(2, m.value("kiln_infer_requests_total", "model", "gated", "version", "1", "status", "504"));
            assertEquals(1, m.value("kiln_infer_requests_total", "model", "gated", "version", "1", "status", "200"));
        }
    }

    @Test
    void aCompletionPastTheTimeoutGets504AndLeavesTheBatch() throws Exception {
        GenerationSchedulingTest.GatedModel decoder = new GenerationSchedulingTest.GatedModel();
        GenerativeModel model = new GenerativeModel(decoder, new TextTokenizer.Chars(CharVocabulary.of(TinyRuns.LETTERS)), 4, 4);
        String body = "{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 8, \"temperature\": 0}";
        try (ModelServer server = ModelServer.builder().port(0).requestTimeoutMs(1500).model("tiny", model).start();
                Http http = new Http(server.port())) {
            try {
                Http.Reply late = http.post("/v1/completions", body); // decode steps wait at the closed gate
                assertEquals(504, late.status(), late.body());
                assertTrue(late.error().startsWith("timeout: model tiny did not finish the completion within 1500 ms"),
                        late.body());
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (model.runningSequences() > 0 || model.openCaches() > 0) { // leaves at the next step boundary
                    assertTrue(System.nanoTime() < deadline, "the timed-out sequence is still in the batch");
                    decoder.permits.release();
                    Thread.sleep(10);
                }
            } finally {
                decoder.open();
            }
            Http.Reply ok = http.post("/v1/completions", body);
            assertEquals(200, ok.status(), ok.body());
            assertEquals(8, ok.json().get("choices").get(0).get("text").asText().length(), ok.body());
            assertTrue(model.generatedTokens() < 16, "the timed-out sequence stopped decoding: " + model.generatedTokens());
        }
    }

    @Test
    void badTimeoutsAreRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ModelServer.builder().requestTimeoutMs(-1));
        assertTrue(e.getMessage().contains("request timeout must be >= 0 ms, got -1"), e.getMessage());
    }
}
