package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.storage.BufferPool;
import dev.kiln.tensor.storage.Storage;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;

/** Lifetime: TensorScope, close and use-after-close, refcounted storage under views, BufferPool reuse. */
class MemoryTest {

    @Test
    void scopeClosesTemporariesAndKeepMovesToTheParent() {
        Tensor outerKept;
        Tensor innerTemp;
        Tensor outerTemp;
        Tensor free;
        try (TensorScope outer = TensorScope.open()) {
            outerTemp = Tensor.zeros(4);
            try (TensorScope inner = TensorScope.open()) {
                innerTemp = Tensor.ones(2, 2);
                Tensor v = innerTemp.t();
                Tensor r = v.reshape(4); // a copy made inside reshape: its temporaries are closed too
                assertTrue(inner.size() >= 3);
                outerKept = inner.keep(r);
                assertEquals(outerKept, r);
                assertFalse(v.isClosed());
            }
            assertTrue(innerTemp.isClosed());
            assertFalse(outerKept.isClosed(), "keep() hands the tensor to the enclosing scope");
            assertArrayEquals(new float[] {1, 1, 1, 1}, outerKept.toFloatArray());
            free = outer.keep(Tensor.full(3, DType.I32, 2));
        }
        assertTrue(outerKept.isClosed(), "the enclosing scope closes what inner scopes kept");
        assertTrue(outerTemp.isClosed());
        assertFalse(free.isClosed(), "keep() in the outermost scope hands ownership to the caller");
        assertArrayEquals(new long[] {3, 3}, free.toLongArray());
        free.close();
        free.close(); // idempotent
        assertTrue(free.isClosed());
        // outside any scope nothing is adopted
        try (Tensor t = Tensor.zeros(2)) {
            assertFalse(t.isClosed());
        }
    }

    @Test
    void scopesMustCloseInnermostFirstOnTheirThread() throws Exception {
        try (TensorScope outer = TensorScope.open()) {
            TensorScope inner = TensorScope.open();
            var e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("innermost"), e.getMessage());
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    inner.close();
                } catch (Throwable x) {
                    seen.set(x);
                }
            });
            t.start();
            t.join();
            assertTrue(seen.get() instanceof IllegalStateException, String.valueOf(seen.get()));
            inner.close();
        }
        try (Tensor t = Tensor.zeros(1)) {
            assertFalse(t.isClosed()); // no scope is left current
        }
    }

    @Test
    void useAfterCloseThrowsWithAMessage() {
        Tensor x = Tensor.zeros(2, 3);
        Tensor h = Tensor.zeros(DType.F16, 2);
        x.close();
        h.close();
        List<Executable> uses = List.of(x::toFloatArray, x::toDoubleArray, x::toLongArray, () -> x.reshape(6), () -> x.t(),
                () -> x.narrow(0, 0, 1), () -> x.expand(2, 2, 3), x::contiguous, x::copy, () -> x.to(DType.I64), x::storage,
                () -> x.add(x), () -> x.sum(), h::toBits, () -> x.unsqueeze(0), () -> x.permute(1, 0));
        for (Executable u : uses) {
            var e = assertThrows(IllegalStateException.class, u);
            assertTrue(e.getMessage() != null && e.getMessage().contains("closed"), e.getMessage());
        }
        // the message names the call that was refused
        for (var named : List.<java.util.Map.Entry<String, Executable>>of(java.util.Map.entry("toFloatArray", x::toFloatArray),
                java.util.Map.entry("toLongArray", x::toLongArray), java.util.Map.entry("toBits", h::toBits),
                java.util.Map.entry("item", () -> x.item()), java.util.Map.entry("toDoubleArray", x::toDoubleArray))) {
            var n = assertThrows(IllegalStateException.class, named.getValue());
            assertTrue(n.getMessage().contains(named.getKey()), n.getMessage());
        }
        var e = assertThrows(IllegalStateException.class, x::toDoubleArray);
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("F32"), e.getMessage());
        assertTrue(x.toString().contains("closed"));
    }

    @Test
    void viewsKeepStorageAliveAfterTheBaseIsClosed() {
        Tensor base = Tensor.arange(0, 12, 1, DType.F32); // pooled storage: an early free would be reused below
        Storage storage = base.storage();
        Tensor v;
        try (Tensor r = base.reshape(3, 4)) {
            v = r.t();
        }
        Tensor w = base.narrow(0, 2, 5);
        base.close();
        assertFalse(storage.isFreed());
        Tensor[] churn = new Tensor[4];
        for (int i = 0; i < churn.length; i++) {
            churn[i] = Tensor.full(-1, DType.F32, 12);
        }
        IxRef.assertValues(IxRef.iota(3, 4).transpose(0, 1), v, "view after its base closed");
        assertArrayEquals(new float[] {2, 3, 4, 5, 6}, w.toFloatArray());
        v.close();
        assertFalse(storage.isFreed(), "another view still holds the storage");
        w.close();
        assertTrue(storage.isFreed(), "the last view frees the storage");
        for (Tensor c : churn) {
            c.close();
        }
        // closing a tensor twice must not release its storage twice
        Tensor a = Tensor.zeros(5);
        Tensor b = a.reshape(5);
        Storage s = a.storage();
        a.close();
        a.close();
        assertFalse(s.isFreed());
        b.close();
        assertTrue(s.isFreed());
    }

    @Test
    void closingAndReallocatingTheSameSizeHitsThePool() {
        int[] shape = {777, 3};
        Tensor a = Tensor.ones(shape);
        long pooled = BufferPool.pooledBytes();
        a.close();
        assertTrue(BufferPool.pooledBytes() >= pooled + 777L * 3 * 4, "closing returns the buffer to the pool");
        long hits = BufferPool.hits();
        try (Tensor b = Tensor.zeros(shape)) {
            assertEquals(hits + 1, BufferPool.hits());
            for (double v : b.toDoubleArray()) {
                assertEquals(0, v, "a recycled buffer is fully overwritten");
            }
        }
        BufferPool.clear();
        assertEquals(0, BufferPool.pooledBytes());
    }

    @Test
    void scopedTrainingLikeLoopReachesASteadyState() {
        Runtime rt = Runtime.getRuntime();
        BufferPool.clear();
        try (Tensor w = Tensor.full(0.01, DType.F32, 32, 32); Tensor idx = Tensor.fromArray(new long[] {3, 1, 4, 1, 5}, 5)) {
            Runnable step = () -> {
                try (TensorScope scope = TensorScope.open()) {
                    Tensor x = Tensor.ones(8, 32);
                    Tensor h = x.matmul(w).relu().add(1);
                    Tensor p = h.t().contiguous().reshape(-1, 8);
                    Tensor c = Tensor.cat(List.of(p, p.indexSelect(0, idx)), 0);
                    Tensor s = c.softmax(-1).sum();
                    Tensor kept = scope.keep(s.reshape(1));
                    assertEquals(1, kept.numel());
                    kept.close();
                }
            };
            for (int i = 0; i < 20; i++) {
                step.run();
            }
            long pooledAfterWarmup = BufferPool.pooledBytes();
            long missesAfterWarmup = BufferPool.misses();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            for (int i = 0; i < 1000; i++) {
                step.run();
            }
            long newMisses = BufferPool.misses() - missesAfterWarmup;
            assertTrue(newMisses < 50, "steady state should reuse pooled buffers, but " + newMisses + " new allocations");
            assertTrue(BufferPool.pooledBytes() <= pooledAfterWarmup + (1 << 16),
                    "pool grew from " + pooledAfterWarmup + " to " + BufferPool.pooledBytes());
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();
            assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
        } finally {
            BufferPool.clear();
        }
    }

    /** A scope that lives across many closed temporaries keeps only the open ones. */
    @Test
    void longLivedScopeForgetsClosedTemporaries() {
        try (TensorScope scope = TensorScope.open()) {
            for (int i = 0; i < 10_000; i++) {
                Tensor t = Tensor.zeros(4);
                t.close();
            }
            Tensor alive = Tensor.ones(3);
            org.junit.jupiter.api.Assertions.assertTrue(scope.size() <= 2048,
                    "scope holds " + scope.size() + " tensors after 10,000 closed temporaries");
            org.junit.jupiter.api.Assertions.assertFalse(alive.isClosed());
        }
    }

    @Test
    void escapeTakesATensorOutOfEveryScope() {
        Tensor kept;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                kept = inner.keep(Tensor.ones(3)); // now owned by outer
                assertEquals(1, outer.size());
                TensorScope.escape(kept);
                assertEquals(0, outer.size());
            }
        }
        assertFalse(kept.isClosed(), "an escaped tensor belongs to the caller");
        assertArrayEquals(new float[] {1, 1, 1}, kept.toFloatArray());
        kept.close();
        try (Tensor loose = Tensor.zeros(1)) {
            assertEquals(loose, TensorScope.escape(loose)); // outside any scope: a no-op
        }
    }

    @Test
    void copyFromWritesThroughViewsBroadcastsConvertsAndBumpsTheVersion() {
        try (Tensor base = Tensor.zeros(3, 4); Tensor col = base.narrow(1, 1, 2); Tensor src = Tensor.fromArray(new float[] {7, 8}, 2);
             Tensor halves = Tensor.fromArray(new float[] {0.5f, 1.5f, 2.5f, 3.5f}, 4); Tensor h = halves.to(DType.BF16)) {
            int before = base.storage().version();
            col.copyFrom(src); // [2] broadcast to [3, 2]
            assertEquals(before + 1, base.storage().version(), "views share the version counter");
            assertArrayEquals(new float[] {0, 7, 8, 0, 0, 7, 8, 0, 0, 7, 8, 0}, base.toFloatArray());
            try (Tensor row = base.narrow(0, 2, 1).reshape(4)) {
                row.copyFrom(h); // BF16 -> F32
            }
            assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f}, java.util.Arrays.copyOfRange(base.toFloatArray(), 8, 12));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> col.copyFrom(halves));
            assertTrue(e.getMessage().contains("[4]"), e.getMessage());
        }
    }

    @Test
    void copyFromAnOverlappingViewOfItselfReadsTheOldValues() {
        try (Tensor t = Tensor.fromArray(new float[] {1, 2, 3, 4, 5}, 5); Tensor head = t.narrow(0, 0, 4); Tensor tail = t.narrow(0, 1, 4)) {
            tail.copyFrom(head); // shift right by one: naive in-order copying would smear t[0]
            assertArrayEquals(new float[] {1, 1, 2, 3, 4}, t.toFloatArray());
        }
    }

    @Test
    void addInPlaceScalesAndBroadcasts() {
        try (Tensor w = Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2); Tensor g = Tensor.fromArray(new float[] {10, 20}, 2)) {
            w.addInPlace(g, -0.1);
            assertArrayEquals(new float[] {0f, 0f, 2f, 2f}, w.toFloatArray(), 1e-6f);
            try (Tensor big = Tensor.zeros(3, 2, 2)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.addInPlace(big, 1));
                assertTrue(e.getMessage().contains("does not broadcast"), e.getMessage());
            }
        }
    }
}
