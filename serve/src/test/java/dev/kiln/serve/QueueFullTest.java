package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.batch.BatchingOptions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A KServe model whose queue is full refuses the next infer with 429, {@code Retry-After} and a JSON error; the queued ones still finish. */
class QueueFullTest {
    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        GatedModel model = new GatedModel();
        // One request per batch, one waiting: the first runs (blocked on the gate), the second waits, the third is refused.
        try (ModelServer server = ModelServer.builder().port(0).model("gated", "1", model, new BatchingOptions(1, 0, 1)).start();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            RawHttp raw = new RawHttp(server.port());
            String path = "/v2/models/gated/infer";
            try {
                Future<RawHttp.Reply> running = threads.submit(() -> raw.exchange(RawHttp.post(path, GatedModel.body(1))));
                model.awaitEntered();
                Future<RawHttp.Reply> waiting = threads.submit(() -> raw.exchange(RawHttp.post(path, GatedModel.body(2))));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (server.registry().find("gated", null).batcher().queued() < 1) {
                    assertTrue(System.nanoTime() < deadline, "the second request never reached the queue");
                    Thread.sleep(5);
                }
                RawHttp.Reply refused = raw.exchange(RawHttp.post(path, GatedModel.body(3)));
                assertEquals(429, refused.status(), refused.body());
                assertEquals("1", refused.retryAfter(), "Retry-After");
                assertTrue(refused.jsonError(), refused.body());
                assertTrue(Http.JSON.readTree(refused.body()).get("error").asText().startsWith("queue full: 1 requests are waiting"),
                        refused.body());
                model.open();
                assertEquals("[2.0]", Http.JSON.readTree(running.get(60, TimeUnit.SECONDS).body()).at("/outputs/0/data").toString());
                assertEquals("[4.0]", Http.JSON.readTree(waiting.get(60, TimeUnit.SECONDS).body()).at("/outputs/0/data").toString());
            } finally {
                model.open(); // a failed check must not leave the batcher blocked for the close
            }
        }
    }
}
