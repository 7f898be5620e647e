package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.BufferPool;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/**
 * Memory over many training steps: a finished graph must pin nothing, and a step run inside a
 * {@link TensorScope} must reuse the same pooled buffers every time, so steady-state memory does
 * not grow with the number of steps.
 */
class MemoryFlatTest {
    private static final int IN = 16, HIDDEN = 32, CLASSES = 4, BATCH = 8;

    private final Generator gen = new Generator(9);
    private final Var w1 = Var.leaf(Tensor.randn(gen, HIDDEN, IN).mul(0.25), true);
    private final Var b1 = Var.leaf(Tensor.zeros(HIDDEN), true);
    private final Var w2 = Var.leaf(Tensor.randn(gen, CLASSES, HIDDEN).mul(0.18), true);
    private final Var b2 = Var.leaf(Tensor.zeros(CLASSES), true);
    private final Tensor x = Tensor.randn(gen, BATCH, IN);
    private final Tensor y = Tensor.randint(gen, 0, CLASSES, BATCH);

    /** Mean cross-entropy from primitive ops (losses live in nn.loss; autograd's tests check the ops they use). */
    private static Var crossEntropy(Var logits, Tensor target) {
        int n = logits.value().size(0);
        return logits.logSoftmax(1).gather(1, target.reshape(n, 1)).mean().mul(-1.0);
    }

    /** One SGD step of a 2-layer MLP with layer norm and cross-entropy; returns the loss Var. */
    private Var step() {
        Var h = Functional.layerNorm(Functional.linear(Var.constant(x), w1, b1), 1, null, null, 1e-5).silu();
        Var loss = crossEntropy(Functional.linear(h, w2, b2), y);
        loss.backward();
        for (Var p : new Var[] {w1, b1, w2, b2}) {
            p.value().addInPlace(p.grad(), -0.05);
            p.zeroGrad();
        }
        return loss;
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    @Test
    void scopedStepsReuseTheSameBuffersAndTheHeapStaysFlat() {
        double firstLoss = 0;
        double lastLoss = 0;
        long missesAfterWarmup = 0;
        long heapAfterWarmup = 0;
        int steps = 2000;
        for (int i = 0; i < steps; i++) {
            try (TensorScope _ = TensorScope.open()) {
                double l = step().value().item();
                if (i == 0) {
                    firstLoss = l;
                }
                lastLoss = l;
            }
            if (i == 199) {
                missesAfterWarmup = BufferPool.misses();
                heapAfterWarmup = usedHeapAfterGc();
            }
        }
        long newBuffers = BufferPool.misses() - missesAfterWarmup;
        long heapGrowth = usedHeapAfterGc() - heapAfterWarmup;
        System.out.printf("memory: %d steps, new pool buffers after warm-up %d, heap growth %d KiB, loss %.4f -> %.4f%n",
                steps, newBuffers, heapGrowth / 1024, firstLoss, lastLoss);
        assertTrue(lastLoss < firstLoss * 0.5, "the loop must actually train: loss " + firstLoss + " -> " + lastLoss);
        assertEquals(0, newBuffers, "steady-state steps must take every buffer from the pool");
        assertTrue(heapGrowth < 4L << 20, "heap grew by " + heapGrowth + " bytes over " + (steps - 200) + " steps");
        for (Var p : new Var[] {w1, b1, w2, b2}) {
            assertNull(p.grad());
            assertTrue(!p.value().isClosed(), "parameters are created outside the step scopes and survive them");
        }
    }

    @Test
    void aFinishedGraphIsUnreachableEvenWithoutScopes() {
        Var loss = step();
        WeakReference<Var> lossRef = new WeakReference<>(loss);
        WeakReference<Tensor> lossValue = new WeakReference<>(loss.value());
        loss = null;
        for (int i = 0; i < 50; i++) {
            step(); // unscoped: the garbage collector reclaims each step's graph
        }
        for (int i = 0; i < 10 && (lossRef.get() != null || lossValue.get() != null); i++) {
            System.gc();
        }
        assertNull(lossRef.get(), "nothing may keep the first step's graph alive");
        assertNull(lossValue.get());
    }
}
