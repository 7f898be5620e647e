package dev.kiln.serve.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.ServeException;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.batch.DynamicBatcher;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Versions, default and sticky resolution, draining unloads and splits that follow unloads. */
class ModelRegistryTest {
    static final Examples ONE_ROW = new Examples(1, 1, new float[] {1f}, null);

    /** Answers every request with its own single value doubled: enough to tell a working batcher. */
    static final class Doubler implements ServedModel {
        @Override
        public String app() {
            return "test";
        }

        @Override
        public List<TensorSpec> inputs() {
            return List.of();
        }

        @Override
        public List<TensorSpec> outputs() {
            return List.of();
        }

        @Override
        public Examples prepare(List<InferTensor> inputs) {
            throw new UnsupportedOperationException("not over HTTP");
        }

        @Override
        public List<List<OutputTensor>> run(List<Examples> batch) {
            return batch.stream().map(e -> List.of(new OutputTensor("y", "FP32", new long[] {1},
                    new float[] {2 * e.f32()[0]}, null, null))).toList();
        }
    }

    static ModelRegistry registry(String name, String... versions) {
        ModelRegistry r = ModelRegistry.withPlainBatchers(_ -> {});
        for (String v : versions) {
            r.load(name, v, new Doubler(), new BatchingOptions(4, 0, 16));
        }
        return r;
    }

    /** Whether {@code b} still runs requests (a closed batcher refuses them with 503). */
    static boolean runs(DynamicBatcher b) throws Exception {
        try {
            return b.submit(ONE_ROW).get(30, TimeUnit.SECONDS).getFirst().f32()[0] == 2f;
        } catch (ServeException e) {
            assertEquals(503, e.status(), e.getMessage());
            return false;
        }
    }

    static int status(Executable r) {
        return assertThrows(ServeException.class, r).status();
    }

    @Test
    void requestsResolveToTheNamedVersionElseTheOldest() {
        try (ModelRegistry r = registry("m", "1", "2")) {
            try (ModelVersion.Lease l = r.acquire("m", null, null)) {
                assertEquals("1", l.version().version());
            }
            try (ModelVersion.Lease l = r.acquire("m", "2", "user-1")) {
                assertEquals("2", l.version().version(), "a named version wins over stickiness");
                assertEquals(1, l.version().inFlight());
            }
            assertEquals(0, r.find("m", "2").inFlight());
            assertEquals(404, status(() -> r.acquire("m", "3", null)));
            assertEquals(404, status(() -> r.acquire("nope", null, null)));
            assertTrue(assertThrows(ServeException.class, () -> r.acquire("m", "3", null)).getMessage()
                    .startsWith("version: model \"m\" has no version \"3\"; served: [1, 2]"));
            assertEquals(List.of("m"), r.names());
        }
    }

    @Test
    void stickyKeysFollowTheSplit() {
        try (ModelRegistry r = registry("m", "1", "2", "3")) {
            TrafficSplit split = new TrafficSplit(Map.of("2", 1.0, "3", 1.0));
            r.split("m", split);
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 200; i++) {
                String key = "user-" + i;
                String first;
                try (ModelVersion.Lease l = r.acquire("m", null, key)) {
                    first = l.version().version();
                }
                assertEquals(split.pick(key), first);
                for (int j = 0; j < 3; j++) {
                    try (ModelVersion.Lease l = r.acquire("m", null, key)) {
                        assertEquals(first, l.version().version(), key);
                    }
                }
                seen.merge(first, 1, Integer::sum);
            }
            assertNull(seen.get("1"), "version 1 is outside the split");
            assertTrue(seen.get("2") > 50 && seen.get("3") > 50, "both halves get users: " + seen);
        }
    }

    @Test
    void unloadWaitsForLeasesInFlightAndRefusesNewOnesAtOnce() throws Exception {
        try (ModelRegistry r = registry("m", "1", "2")) {
            ModelVersion.Lease held = r.acquire("m", "1", null);
            DynamicBatcher batcher = held.version().batcher();
            CompletableFuture<Boolean> unloaded = CompletableFuture.supplyAsync(() -> {
                try {
                    return r.unload("m", "1", 60_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The version leaves the registry at once: new requests get 404, the default moves on.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r.versions("m").size() == 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(404, status(() -> r.acquire("m", "1", null)));
            try (ModelVersion.Lease l = r.acquire("m", null, null)) {
                assertEquals("2", l.version().version());
            }
            // The request holding a lease still has a working model, and the unload waits for it.
            assertTrue(runs(batcher), "the batcher runs while a lease is out");
            assertThrows(java.util.concurrent.TimeoutException.class, () -> unloaded.get(300, TimeUnit.MILLISECONDS));
            assertEquals(1, held.version().inFlight());
            held.close();
            held.close(); // a second close is a no-op, not a second release
            assertTrue(unloaded.get(30, TimeUnit.SECONDS), "drained: every lease ended in time");
            assertFalse(runs(batcher), "the batcher is closed once the last lease ended");
            assertEquals(0, held.version().inFlight());
            assertEquals(404, status(() -> r.unload("m", "1", 0)));
        }
    }

    @Test
    void anUnloadThatRunsOutOfTimeClosesTheBatcherAnyway() throws Exception {
        try (ModelRegistry r = registry("m", "1")) {
            try (ModelVersion.Lease held = r.acquire("m", null, null)) {
                assertFalse(r.unload("m", "1", 20), "a lease was still out");
                assertFalse(runs(held.version().batcher()));
                assertFalse(r.contains("m"), "the model's last version is gone, so is the model");
            }
            assertThrows(IllegalArgumentException.class, () -> r.unload("m", "1", -1));
        }
    }

    /** An interrupted drain used to leave the unloaded version's batcher thread running for good. */
    @Test
    void anInterruptedUnloadStillClosesTheBatcher() throws Exception {
        try (ModelRegistry r = registry("m", "1", "2")) {
            ModelVersion.Lease held = r.acquire("m", "1", null);
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread unloader = Thread.ofPlatform().start(() -> {
                try {
                    r.unload("m", "1", 60_000);
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r.versions("m").size() == 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            unloader.interrupt();
            assertTrue(outcome.get(30, TimeUnit.SECONDS) instanceof InterruptedException, "the unload reports the interrupt");
            assertFalse(runs(held.version().batcher()), "the batcher was closed although the drain was cut short");
            held.close();
        }
    }

    @Test
    void aSplitOverUnloadedVersionsRenormalises() throws Exception {
        try (ModelRegistry r = registry("m", "1", "2", "3")) {
            r.split("m", new TrafficSplit(Map.of("1", 50.0, "2", 30.0, "3", 20.0)));
            r.unload("m", "2", 1000);
            assertEquals(Map.of("1", 50.0, "3", 20.0), r.split("m").weights());
            assertEquals(Map.of("1", 50.0 / 70, "3", 20.0 / 70), r.split("m").shares());
            r.unload("m", "1", 1000);
            r.unload("m", "3", 1000);
            assertNull(r.split("m"), "no version of the split is left");
            assertFalse(r.contains("m"));
        }
        try (ModelRegistry r = registry("m", "1", "2", "3")) {
            r.split("m", new TrafficSplit(Map.of("2", 1.0)));
            r.unload("m", "2", 1000);
            assertNull(r.split("m"));
            try (ModelVersion.Lease l = r.acquire("m", null, "user-1")) {
                assertEquals("1", l.version().version(), "without a split the default version answers");
            }
        }
    }

    @Test
    void splitsAndLoadsAreChecked() {
        try (ModelRegistry r = registry("m", "1")) {
            ServeException unknownVersion = assertThrows(ServeException.class,
                    () -> r.split("m", new TrafficSplit(Map.of("1", 1.0, "9", 1.0))));
            assertEquals(400, unknownVersion.status());
            assertTrue(unknownVersion.getMessage().startsWith("traffic.9: model \"m\" has no version \"9\""),
                    unknownVersion.getMessage());
            assertEquals(404, status(() -> r.split("nope", new TrafficSplit(Map.of("1", 1.0)))));
            assertNull(r.split("m"), "a refused split changes nothing");
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                    () -> r.load("m", "1", new Doubler(), BatchingOptions.DEFAULT));
            assertEquals("version: model \"m\" already has version \"1\"", twice.getMessage());
            assertEquals("name: expected [A-Za-z0-9_.-]+, got \"a b\"", assertThrows(IllegalArgumentException.class,
                    () -> r.load("a b", "1", new Doubler(), BatchingOptions.DEFAULT)).getMessage());
            assertEquals("version: expected [A-Za-z0-9_.-]+, got null", assertThrows(IllegalArgumentException.class,
                    () -> r.load("m", null, new Doubler(), BatchingOptions.DEFAULT)).getMessage());
            assertThrows(NullPointerException.class, () -> r.load("m", "2", new Doubler(), null));
            assertEquals(1, r.versions("m").size(), "refused loads add nothing");
        }
    }

    @Test
    void closeStopsEveryBatcher() throws Exception {
        ModelRegistry r = registry("m", "1", "2");
        List<DynamicBatcher> batchers = r.all().stream().map(ModelVersion::batcher).toList();
        for (DynamicBatcher b : batchers) {
            assertTrue(runs(b));
        }
        r.close();
        for (DynamicBatcher b : batchers) {
            assertFalse(runs(b));
        }
        assertEquals(List.of(), r.names());
    }
}
