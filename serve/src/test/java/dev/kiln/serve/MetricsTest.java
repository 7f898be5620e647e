package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics}, scraped before and after known traffic: each counter and histogram count moves by exactly what was sent. */
class MetricsTest {
    @TempDir
    Path tmp;

    @Test
    void countersAndHistogramsMoveByTheRequestsSent() throws Exception {
        // max_batch_size 1 and sequential requests: one forward pass per good request.
        try (ModelServer server = ModelServer.builder().port(0)
                        .model("fashion", "1", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn"))), new BatchingOptions(1, 0, 64))
                        .start();
                Http http = new Http(server.port())) {
            String[] tags = {"model", "fashion", "version", "1"};
            Http.Reply scrape = http.get("/metrics");
            assertEquals(200, scrape.status());
            assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
            Prometheus before = new Prometheus(scrape.body());

            int examples = 0;
            for (int images = 1; images <= 3; images++) {
                Http.Reply r = http.post("/v2/models/fashion/infer", ModelServerTest.imageRequest(ModelServerTest.pixels(images, images), images));
                assertEquals(200, r.status(), r.body());
                examples += images;
            }
            assertEquals(400, http.post("/v2/models/fashion/infer", "{\"inputs\": []}").status());
            GracefulDrainTest.awaitInFlight(server, 0); // a request counts until Jetty completes it, a moment after the reply
            Prometheus after = new Prometheus(http.get("/metrics").body());

            assertEquals(3, delta(before, after, "kiln_infer_requests_total", with(tags, "status", "200")));
            assertEquals(1, delta(before, after, "kiln_infer_requests_total", with(tags, "status", "400")));
            assertEquals(4, delta(before, after, "kiln_infer_latency_seconds_count", tags));
            assertEquals(3, delta(before, after, "kiln_request_queue_seconds_count", tags), "the 400 never reached the queue");
            assertEquals(3, delta(before, after, "kiln_request_inference_seconds_count", tags));
            assertEquals(3, delta(before, after, "kiln_batch_size_count", tags));
            assertEquals(examples, delta(before, after, "kiln_batch_size_sum", tags), 1e-9);
            assertEquals(3, after.value("kiln_request_inference_seconds_bucket", with(tags, "le", "+Inf")));
            assertTrue(after.value("kiln_request_inference_seconds_sum", tags) > 0);
            assertEquals(0, after.value("kiln_requests_in_flight"), "an idle server, the scrape itself not counted");

            assertTrue(after.has("jvm_memory_used_bytes", "area", "heap"), "JvmMemoryMetrics");
            assertTrue(after.has("jvm_buffer_memory_used_bytes", "id", "direct"), "direct buffer pool (native memory)");
            assertTrue(after.has("jvm_gc_memory_allocated_bytes_total"), "JvmGcMetrics");
            assertTrue(after.value("jvm_threads_live_threads") > 0, "JvmThreadMetrics");
            assertTrue(after.value("system_cpu_count") > 0, "ProcessorMetrics");
            assertTrue(after.value("process_uptime_seconds") > 0, "UptimeMetrics");
            assertTrue(after.has("kiln_tensor_pool_bytes"), "tensor buffer pool");
        }
    }

    @Test
    void queueAndInferenceTimesCoverTheTimeASlowForwardPassTook() throws Exception {
        GatedModel model = new GatedModel();
        try (ModelServer server = ModelServer.builder().port(0).model("gated", "1", model, new BatchingOptions(1, 0, 16)).start();
                Http http = new Http(server.port());
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            String[] tags = {"model", "gated", "version", "1"};
            Future<Http.Reply> first = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(1)));
            model.awaitEntered();
            long held = System.nanoTime();
            Future<Http.Reply> second = pool.submit(() -> http.post("/v2/models/gated/infer", GatedModel.body(2)));
            GracefulDrainTest.awaitInFlight(server, 2);
            assertEquals(2, new Prometheus(http.get("/metrics").body()).value("kiln_requests_in_flight"));
            Thread.sleep(300); // the forward pass under measurement: at least this long
            model.open();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).status());
            assertEquals(200, second.get(60, TimeUnit.SECONDS).status());
            double heldSeconds = (System.nanoTime() - held) / 1e9;
            GracefulDrainTest.awaitInFlight(server, 0);
            Prometheus m = new Prometheus(http.get("/metrics").body());
            assertEquals(2, m.value("kiln_request_inference_seconds_count", tags));
            assertTrue(m.value("kiln_request_inference_seconds_max", tags) >= 0.3,
                    "the first forward pass was held >= 0.3 s: " + m.value("kiln_request_inference_seconds_max", tags));
            // The second request queued behind the first for about as long as the first was held.
            assertTrue(m.value("kiln_request_queue_seconds_max", tags) >= 0.3, "queue max " + m.value("kiln_request_queue_seconds_max", tags));
            assertTrue(m.value("kiln_request_queue_seconds_max", tags) <= heldSeconds, "queue max " + m.value("kiln_request_queue_seconds_max", tags)
                    + " s, but the first request was held only " + heldSeconds + " s");
        }
    }

    private static double delta(Prometheus before, Prometheus after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static String[] with(String[] tags, String key, String value) {
        String[] out = java.util.Arrays.copyOf(tags, tags.length + 2);
        out[tags.length] = key;
        out[tags.length + 1] = value;
        return out;
    }
}
