package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.batch.BatchingOptions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The graceful drain, live on loopback: once it begins readiness answers 503 and new requests are
 * refused, while the requests already in flight (one in its forward pass, one queued behind it)
 * finish with 200; the drain returns when they have, or reports a timeout.
 */
class GracefulDrainTest {
    @Test
    void requestsInFlightFinishWhileNewOnesAreRefused() throws Exception {
        GatedModel model = new GatedModel();
        try (ModelServer server = ModelServer.builder().port(0)
                        .model("gated", "1", model, new BatchingOptions(1, 0, 16)).start();
                Http http = new Http(server.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            assertEquals(200, http.get("/v2/health/ready").status());
            Future<Http.Reply> running = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(1)));
            model.awaitEntered();
            Future<Http.Reply> queued = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(2)));
            awaitInFlight(server, 2);

            Future<Boolean> drained = pool.submit(() -> server.drain(Duration.ofSeconds(60)));
            Http.Reply ready = awaitStatus(http, "/v2/health/ready", 503);
            assertFalse(ready.json().get("ready").asBoolean(), ready.body());
            assertTrue(ready.error().startsWith("draining"), ready.body());
            Http.Reply modelReady = http.get("/v2/models/gated/ready");
            assertEquals(503, modelReady.status(), modelReady.body());
            Http.Reply refused = http.post("/v2/models/gated/infer", GatedModel.body(3));
            assertEquals(503, refused.status(), refused.body());
            assertTrue(refused.error().contains("takes no new requests"), refused.body());
            assertEquals(200, http.get("/v2/health/live").status(), "still alive while draining");
            Prometheus m = new Prometheus(http.get("/metrics").body());
            assertEquals(2, m.value("kiln_requests_in_flight"), "the scrape sees the two requests the drain waits for");
            assertFalse(drained.isDone(), "the drain must wait for the requests in flight");

            model.open();
            Http.Reply r1 = running.get(60, TimeUnit.SECONDS);
            Http.Reply r2 = queued.get(60, TimeUnit.SECONDS);
            assertEquals(200, r1.status(), r1.body());
            assertEquals(200, r2.status(), r2.body());
            assertEquals(4.0, r2.json().get("outputs").get(0).get("data").get(0).asDouble(), r2.body());
            assertTrue(drained.get(60, TimeUnit.SECONDS), "every request in flight finished");
            assertEquals(0, server.inFlight());
        }
    }

    @Test
    void aDrainThatOutlastsItsTimeoutSaysSo() throws Exception {
        GatedModel model = new GatedModel();
        try (ModelServer server = ModelServer.builder().port(0).drainTimeoutMs(30_000)
                        .model("gated", "1", model, new BatchingOptions(1, 0, 16)).start();
                Http http = new Http(server.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Http.Reply> running = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(1)));
            model.awaitEntered();
            assertFalse(server.drain(Duration.ofMillis(200)), "a request is still in its forward pass");
            model.open();
            assertEquals(200, running.get(60, TimeUnit.SECONDS).status());
        }
    }

    static void awaitInFlight(ModelServer server, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.inFlight() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " requests in flight, have " + server.inFlight());
            }
            Thread.sleep(5);
        }
    }

    static Http.Reply awaitStatus(Http http, String path, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Http.Reply r = http.get(path);
            if (r.status() == status || System.nanoTime() > deadline) {
                assertEquals(status, r.status(), r.body());
                return r;
            }
            Thread.sleep(5);
        }
    }
}
