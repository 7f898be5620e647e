package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot load and unload under traffic, live: client threads send infers to the unversioned route
 * without pause while the test loads version 2 from a run directory, splits the traffic, moves it
 * all to version 2 and unloads version 1 with a request held in flight on it. Every response must
 * be 200 with exactly version 1's or version 2's answer (two ConvNets with different seeded
 * weights, computed here in-process), the held request must finish with version 1's answer after
 * the unload began, and the unload must report that it drained.
 *
 * <p>No step waits on a clock: each waits until the clients have seen so many answers from a
 * version (with a generous deadline that only a hung server reaches).
 */
class AdminHotSwapTest {
    static final String ADMIN = "admin-secret";
    static final int CLIENTS = 4;
    /** The first pixel of the one request that {@link HeldModel} holds: no client image (k / 255) has it. */
    static final float MARK = 0.123456789f;

    @TempDir
    Path tmp;

    /**
     * A real model whose forward pass blocks while it holds the marked request ({@link #MARK}),
     * until {@link #release}; every other batch runs at once.
     */
    static final class HeldModel implements ServedModel {
        final Semaphore entered = new Semaphore(0);
        private final ServedModel inner;
        private final Set<Examples> marked = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        private final CountDownLatch gate = new CountDownLatch(1);

        HeldModel(ServedModel inner) {
            this.inner = inner;
        }

        void release() {
            gate.countDown();
        }

        @Override
        public String app() {
            return inner.app();
        }

        @Override
        public List<TensorSpec> inputs() {
            return inner.inputs();
        }

        @Override
        public List<TensorSpec> outputs() {
            return inner.outputs();
        }

        @Override
        public Map<String, Object> parameters() {
            return inner.parameters();
        }

        @Override
        public Examples prepare(List<InferTensor> inputs) {
            Examples e = inner.prepare(inputs);
            if ((float) inputs.getFirst().numbers()[0] == MARK) { // the request sends floats
                marked.add(e);
            }
            return e;
        }

        @Override
        public List<List<OutputTensor>> run(List<Examples> batch) {
            if (batch.stream().anyMatch(marked::contains)) {
                entered.release();
                try {
                    if (!gate.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("HeldModel: the test never released the held request");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("HeldModel: interrupted", e);
                }
            }
            return inner.run(batch);
        }
    }

    @Test
    void loadShiftAndUnloadUnderTrafficFailNoRequest() throws Exception {
        Path runA = TinyRuns.cnn(tmp.resolve("cnn-a"), 7);
        Path runB = TinyRuns.cnn(tmp.resolve("cnn-b"), 8);
        float[] image = ModelServerTest.pixels(1, 21);
        float[] logitsA = ModelServerTest.referenceImageLogits(7, image, 1);
        float[] logitsB = ModelServerTest.referenceImageLogits(8, image, 1);
        float[] held = ModelServerTest.pixels(1, 22);
        held[0] = MARK;
        float[] heldLogits = ModelServerTest.referenceImageLogits(7, held, 1);
        assertFalse(java.util.Arrays.equals(logitsA, logitsB), "the versions must be told apart by their answers");

        HeldModel v1 = new HeldModel(RunDirectoryModels.load(runA));
        AtomicInteger fromV1 = new AtomicInteger();
        AtomicInteger fromV2 = new AtomicInteger();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (ModelServer server = ModelServer.builder().port(0).adminToken(ADMIN)
                .model("fashion", "1", v1, new BatchingOptions(8, 0, 256)).start();
             Http http = new Http(server.port());
             HttpClient async = HttpClient.newHttpClient()) {
            String body = ModelServerTest.imageRequest(image, 1);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(Thread.ofPlatform().name("client-" + c).start(() -> {
                    while (!stop.get()) {
                        try {
                            Http.Reply r = http.post("/v2/models/fashion/infer", body);
                            String version = r.status() == 200 ? r.json().get("model_version").asText() : "?";
                            float[] logits = r.status() == 200 ? ModelServerTest.floats(ModelServerTest.output(r.json(), "logits")) : null;
                            if (version.equals("1") && close(logits, logitsA)) {
                                fromV1.incrementAndGet();
                            } else if (version.equals("2") && close(logits, logitsB)) {
                                fromV2.incrementAndGet();
                            } else {
                                failures.add(r.status() + " " + r.body());
                            }
                        } catch (Exception | AssertionError e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
            try {
                awaitAtLeast(fromV1::get, 20, "answers from version 1", failures);

                Http.Reply load = http.send("POST", "/admin/models/fashion/versions/2",
                        "{\"run_dir\": " + Http.JSON.valueToTree(runB.toString()) + "}", "Authorization", "Bearer " + ADMIN);
                assertEquals(201, load.status(), load.body());
                assertEquals(200, traffic(http, "{\"1\": 1, \"2\": 1}").status());
                awaitAtLeast(fromV2::get, 20, "answers from version 2 under a 1:1 split", failures);
                assertEquals(200, traffic(http, "{\"2\": 1}").status());

                // One request held in flight on version 1 while it is unloaded.
                CompletableFuture<HttpResponse<String>> inFlight = async.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v2/models/fashion/versions/1/infer"))
                        .POST(HttpRequest.BodyPublishers.ofString(ModelServerTest.imageRequest(held, 1))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (!v1.entered.tryAcquire(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the held request never reached version 1's forward pass: " + inFlight);
                }
                CompletableFuture<HttpResponse<String>> unload = async.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/admin/models/fashion/versions/1?drain_ms=60000"))
                        .header("Authorization", "Bearer " + ADMIN).DELETE().build(), HttpResponse.BodyHandlers.ofString());
                awaitAtLeast(() -> http.statusOf("/v2/models/fashion/versions/1") == 404 ? 1 : 0, 1,
                        "version 1 off the registry once the unload began", failures);
                assertFalse(unload.isDone(), "the unload waits for the request in flight: " + unload);
                assertFalse(inFlight.isDone(), "the held request is still in flight: " + inFlight);
                int before = fromV2.get();
                awaitAtLeast(fromV2::get, before + 50, "answers from version 2 while version 1 drains", failures);

                v1.release();
                HttpResponse<String> r = inFlight.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode answer = Http.JSON.readTree(r.body());
                assertEquals("1", answer.get("model_version").asText(), r.body());
                assertArrayEquals(heldLogits, ModelServerTest.floats(ModelServerTest.output(answer, "logits")), 1e-6f);
                HttpResponse<String> unloaded = unload.get(60, TimeUnit.SECONDS);
                assertEquals(200, unloaded.statusCode(), unloaded.body());
                assertEquals("{\"name\":\"fashion\",\"version\":\"1\",\"unloaded\":true,\"drained\":true}", unloaded.body());
                int after = fromV2.get();
                awaitAtLeast(fromV2::get, after + 20, "answers from version 2 after the unload", failures);
            } finally {
                stop.set(true);
                v1.release(); // a failed check must not leave the held request (and the server's close) waiting
                for (Thread t : clients) {
                    t.join(TimeUnit.SECONDS.toMillis(60));
                }
            }
            System.out.printf("hot swap: %d answers from version 1, %d from version 2, %d failed%n",
                    fromV1.get(), fromV2.get(), failures.size());
            assertEquals(List.of(), List.copyOf(failures), "every request under the load, shift and unload got 200 and a version's answer");
            JsonNode m = http.get("/v2/models/fashion").json();
            assertEquals("[\"2\"]", m.get("versions").toString());
            assertEquals(1, server.registry().versions("fashion").size());
            assertEquals(0, server.registry().versions("fashion").getFirst().inFlight());
        }
    }

    private static Http.Reply traffic(Http http, String weights) throws Exception {
        return http.send("PUT", "/admin/models/fashion/traffic", "{\"weights\": " + weights + "}", "Authorization", "Bearer " + ADMIN);
    }

    private static boolean close(float[] got, float[] expected) {
        if (got == null || got.length != expected.length) {
            return false;
        }
        for (int i = 0; i < got.length; i++) {
            if (Math.abs(got[i] - expected[i]) > 1e-6f) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@code count} reaches {@code target}; fails at once when a client failed, or after 60 s (a hung server). */
    private static void awaitAtLeast(IntSupplier count, int target, String what, Queue<String> failures) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count.getAsInt() < target) {
            assertTrue(failures.isEmpty(), "while waiting for " + what + ": " + failures);
            assertTrue(System.nanoTime() < deadline, "no " + target + " " + what + " within 60 s (got " + count.getAsInt() + ")");
            Thread.sleep(2);
        }
    }
}
