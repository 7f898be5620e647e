package dev.kiln.optim.amp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autocast;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.BufferPool;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Autocast's dtype policy, the dynamic loss scaler, activation memory and GPT training in F16/BF16 vs F32. */
class MixedPrecisionTest {

    @Test
    void autocastRunsMatmulsInHalfAndLossesInF32WithF32Gradients() {
        Linear lin = new Linear(8, 4, true, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 3, 8);
        Var logits;
        Var probs;
        Var loss;
        try (Autocast _ = Autocast.enter(DType.F16)) {
            logits = lin.forward(Var.constant(x));
            probs = logits.softmax(-1);
            loss = Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, 3, 1}, 3));
        }
        assertEquals(DType.F16, logits.value().dtype(), "linear runs in the autocast dtype");
        assertEquals(DType.F32, probs.value().dtype(), "softmax runs in F32");
        assertEquals(DType.F32, loss.value().dtype(), "losses run in F32");
        loss.backward();
        assertEquals(DType.F32, lin.weight.grad().dtype(), "F32 master weights get F32 gradients");
        assertEquals(DType.F32, lin.bias.grad().dtype());
        assertEquals(DType.F32, lin.forward(Var.constant(x)).value().dtype(), "autocast ends with its scope");
        assertNull(Autocast.lowPrecision());
        // the gradient matches the F32 computation to half-precision accuracy
        Linear ref = new Linear(8, 4, true, new Generator(1));
        Losses.crossEntropy(ref.forward(Var.constant(x)), Tensor.fromArray(new long[] {0, 3, 1}, 3)).backward();
        assertArrayEquals(ref.weight.grad().toFloatArray(), lin.weight.grad().toFloatArray(), 2e-3f);
    }

    @Test
    void overflowSkipsTheStepHalvesTheScaleAndLeavesParametersUntouched() {
        Linear lin = new Linear(4, 2, true, new Generator(3));
        Optimizer opt = AdamW.builder(lin.parameters()).lr(1e-3).weightDecay(0.01).build();
        DynamicLossScaler scaler = new DynamicLossScaler(65536, 2, 0.5, 2000);
        float[] before = lin.weight.value().toFloatArray();
        Var out = lin.forward(Var.constant(Tensor.randn(new Generator(4), 5, 4)));
        Var loss = out.sum().mul(1e35); // times 2^16 overflows F32: inf gradients
        scaler.scale(loss).backward();
        assertFalse(scaler.step(opt), "the step must be skipped");
        scaler.update();
        assertEquals(32768, scaler.currentScale(), 0);
        assertEquals(1, scaler.skippedSteps());
        assertArrayEquals(before, lin.weight.value().toFloatArray(), "parameters untouched");
        assertTrue(opt.stateTensors().isEmpty(), "optimizer state untouched");
    }

    @Test
    void cleanStepsUnscaleGradientsAndGrowTheScaleAfterTheInterval() {
        Linear lin = new Linear(4, 2, true, new Generator(5));
        Linear ref = new Linear(4, 2, true, new Generator(5));
        Optimizer opt = AdamW.builder(lin.parameters()).lr(1e-2).weightDecay(0.0).build();
        Optimizer refOpt = AdamW.builder(ref.parameters()).lr(1e-2).weightDecay(0.0).build();
        DynamicLossScaler scaler = new DynamicLossScaler(1024, 2, 0.5, 3);
        Tensor x = Tensor.randn(new Generator(6), 5, 4);
        for (int step = 1; step <= 6; step++) {
            scaler.scale(lin.forward(Var.constant(x)).pow(2).mean()).backward();
            assertTrue(scaler.step(opt));
            scaler.update();
            opt.zeroGrad();
            ref.forward(Var.constant(x)).pow(2).mean().backward();
            refOpt.step();
            refOpt.zeroGrad();
            assertEquals(step >= 6 ? 4096 : step >= 3 ? 2048 : 1024, scaler.currentScale(), 0, "scale after step " + step);
        }
        // power-of-two scales make scaling exact: the same parameters as unscaled training
        assertArrayEquals(ref.weight.value().toFloatArray(), lin.weight.value().toFloatArray(), 1e-6f);
    }

    /** Heap retained by a forward graph (everything saved for backward), measured after GC with the pool emptied. */
    private static long retainedBytes(DType autocast) {
        Generator g = new Generator(7);
        Linear[] layers = {new Linear(512, 1024, true, g), new Linear(1024, 1024, true, g), new Linear(1024, 512, true, g)};
        Tensor x = Tensor.randn(g, 1024, 512);
        long base = usedAfterGc();
        Var h = Var.constant(x);
        try (Autocast _ = autocast == null ? Autocast.disabled() : Autocast.enter(autocast)) {
            for (Linear l : layers) {
                h = l.forward(h).relu();
            }
        }
        long used = usedAfterGc() - base;
        assertTrue(h.requiresGrad()); // keeps the graph reachable until here
        return used;
    }

    private static long usedAfterGc() {
        BufferPool.clear();
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    @Test
    void halfPrecisionActivationsReallyTakeLessMemory() {
        long f32 = retainedBytes(null);
        long bf16 = retainedBytes(DType.BF16);
        long f16 = retainedBytes(DType.F16);
        System.out.printf("activation memory of a 3-layer MLP graph (batch 1024): F32 %.1f MiB, BF16 %.1f MiB, F16 %.1f MiB%n",
                f32 / 1048576.0, bf16 / 1048576.0, f16 / 1048576.0);
        assertTrue(bf16 < 0.65 * f32, "BF16 graph " + bf16 + " bytes vs F32 " + f32);
        assertTrue(f16 < 0.65 * f32, "F16 graph " + f16 + " bytes vs F32 " + f32);
    }

    /** Mean loss of the last 5 of 60 AdamW steps of a tiny GPT on a repeating sequence. */
    private static double trainGpt(DType autocast) {
        Gpt gpt = new Gpt(new Gpt.Config(16, 32, 2, 32, 4, 2, 64, true, true), new Generator(8));
        Optimizer opt = AdamW.builder(gpt.parameters()).lr(3e-3).weightDecay(0.01).build();
        DynamicLossScaler scaler = autocast == DType.F16 ? new DynamicLossScaler() : null;
        long[] data = new long[33];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 5 + i / 7) % 16;
        }
        Tensor input = Tensor.fromArray(java.util.Arrays.copyOf(data, 32), 1, 32);
        Tensor target = Tensor.fromArray(java.util.Arrays.copyOfRange(data, 1, 33), 32);
        double tail = 0;
        for (int step = 0; step < 60; step++) {
            try (TensorScope _ = TensorScope.open()) {
                Var loss;
                try (Autocast _ = autocast == null ? Autocast.disabled() : Autocast.enter(autocast)) {
                    loss = Losses.crossEntropy(gpt.forward(input).reshape(32, 16), target);
                }
                if (scaler != null) {
                    scaler.scale(loss).backward();
                    scaler.step(opt);
                    scaler.update();
                } else {
                    loss.backward();
                    opt.step();
                }
                opt.zeroGrad();
                if (step >= 55) {
                    tail += loss.value().item() / 5;
                }
            }
        }
        return tail;
    }

    @Test
    void gptTrainedInF16AndBf16EndsWithin2PercentOfF32() {
        double f32 = trainGpt(null);
        double f16 = trainGpt(DType.F16);
        double bf16 = trainGpt(DType.BF16);
        System.out.printf("tiny GPT, 60 AdamW steps, final loss: F32 %.5f, F16 %.5f, BF16 %.5f%n", f32, f16, bf16);
        assertTrue(f32 < 1.0, "the model must actually learn: final F32 loss " + f32);
        assertEquals(f32, f16, 0.02 * f32, "F16");
        assertEquals(f32, bf16, 0.02 * f32, "BF16");
        assertTrue(List.of(f16, bf16).stream().allMatch(Double::isFinite));
    }
}
