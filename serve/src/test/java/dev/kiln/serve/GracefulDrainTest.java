package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.data.vocab.CharVocabulary;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.openai.GenerativeModel;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The graceful drain, live on loopback: once it begins readiness answers 503 and new requests are
 * refused, while the requests already in flight (one in its forward pass, one queued behind it)
 * finish with 200; the drain returns when they have, or reports a timeout. A token stream open when
 * the drain begins is one of those requests: it runs to its {@code [DONE]}.
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

    @Test
    void anOpenTokenStreamRunsToItsEndBeforeTheServerStops() throws Exception {
        GenerationSchedulingTest.GatedModel decoder = new GenerationSchedulingTest.GatedModel();
        GenerativeModel model = new GenerativeModel(decoder, new TextTokenizer.Chars(CharVocabulary.of(TinyRuns.LETTERS)), 4, 4);
        String body = "{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 12, \"temperature\": 0, \"stream\": true}";
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        ModelServer server = ModelServer.builder().port(0).model("tiny", model).start();
        try (Http http = new Http(server.port()); Sse sse = new Sse(server.port());
                Sse.Events events = sse.open("/v1/completions", body)) {
            assertEquals(200, events.status);
            StringBuilder text = new StringBuilder(firstText(pool.submit(events::next).get(60, TimeUnit.SECONDS)));
            // The decode thread is parked at the gate after the prefill token: the stream is in flight.
            Future<?> closed = pool.submit(server::close);
            awaitStatus(http, "/v2/health/ready", 503);
            Http.Reply refused = http.post("/v1/completions", body.replace("true", "false"));
            assertEquals(503, refused.status(), refused.body());
            assertFalse(closed.isDone(), "close must wait for the open stream");

            decoder.open();
            int chunks = 1;
            for (String data; !(data = pool.submit(events::next).get(60, TimeUnit.SECONDS)).equals("[DONE]"); chunks++) {
                text.append(firstText(data));
            }
            assertTrue(chunks >= 12, "a chunk per token, got " + chunks);
            assertEquals(12, text.length(), "every token of max_tokens 12 arrived: " + text);
            closed.get(60, TimeUnit.SECONDS);
            assertEquals(0, server.inFlight());
        } finally {
            decoder.open();
            server.close();
            pool.shutdownNow();
        }
    }

    private static String firstText(String data) throws Exception {
        JsonNode chunk = Http.JSON.readTree(data);
        return chunk.get("choices").get(0).get("text").asText();
    }

    @Test
    void anUnloadThatOutlastsItsDrainAnswersTheInterruptedRequestWith503() throws Exception {
        GatedModel model = new GatedModel();
        try (ModelServer server = ModelServer.builder().port(0)
                        .model("gated", "1", model, new BatchingOptions(1, 0, 16)).start();
                Http http = new Http(server.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Http.Reply> running = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(1)));
            model.awaitEntered();
            assertFalse(server.registry().unload("gated", "1", 100), "the forward pass outlasts a 100 ms drain");
            Http.Reply r = running.get(60, TimeUnit.SECONDS);
            assertEquals(503, r.status(), r.body());
            assertTrue(r.error().startsWith("model gated-1 is shutting down: its forward pass was interrupted"), r.body());
        } finally {
            model.open();
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
