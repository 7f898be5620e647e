package dev.kiln.optim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.optim.amp.DynamicLossScaler;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Accumulating N micro-batches of size B and stepping equals one step on the batch of N·B with a
 * mean-reduced loss; the loss-scaling hook is called in GradScaler's order.
 */
class GradientAccumulationTest {
    private static final int B = 5;
    private static final int N = 4;
    private static final int IN = 6;
    private static final int CLASSES = 3;

    private record Batch(Tensor x, Tensor y) {
        Batch slice(int from, int len) {
            return new Batch(x.narrow(0, from, len).contiguous(), y.narrow(0, from, len).contiguous());
        }
    }

    private static Sequential mlp() {
        Generator g = new Generator(123);
        return new Sequential(new Linear(IN, 16, true, g), Activation.tanh(), new Linear(16, CLASSES, true, g));
    }

    private static Batch batch(Generator g, int n) {
        return new Batch(Tensor.randn(g, n, IN), Tensor.randint(g, 0, CLASSES, n));
    }

    private static Trainer.LossFunction<Batch> lossOf(Sequential model) {
        return b -> Losses.crossEntropy(model.forward(Var.constant(b.x())), b.y());
    }

    /** Runs 3 steps both ways with the given optimizer and trainer settings; parameters must agree to 1e-6 relative. */
    private static void compare(String name, Function<Sequential, Optimizer> makeOpt, boolean clipAndSchedule) {
        Sequential accModel = mlp();
        Sequential bigModel = mlp();
        Optimizer accOpt = makeOpt.apply(accModel);
        Optimizer bigOpt = makeOpt.apply(bigModel);
        Trainer.Builder<Batch> accB = Trainer.builder(accOpt, lossOf(accModel)).accumulationSteps(N);
        Trainer.Builder<Batch> bigB = Trainer.builder(bigOpt, lossOf(bigModel));
        if (clipAndSchedule) {
            accB.maxGradNorm(0.2).scheduler(new LrScheduler(accOpt, LrSchedule.warmupCosine(1, 4, 1e-4)));
            bigB.maxGradNorm(0.2).scheduler(new LrScheduler(bigOpt, LrSchedule.warmupCosine(1, 4, 1e-4)));
        }
        Trainer<Batch> acc = accB.build();
        Trainer<Batch> big = bigB.build();
        Generator data = new Generator(7);
        for (int s = 0; s < 3; s++) {
            Batch full = batch(data, N * B);
            List<Batch> micro = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                micro.add(full.slice(i * B, B));
            }
            Trainer.StepResult ra = acc.step(micro);
            Trainer.StepResult rb = big.step(List.of(full));
            assertEquals(rb.loss(), ra.loss(), 1e-6 * Math.abs(rb.loss()), name + ": step " + s + " loss");
            assertEquals(rb.lr(), ra.lr(), 0, name + ": step " + s + " lr");
            if (clipAndSchedule) {
                assertEquals(rb.gradNorm(), ra.gradNorm(), 1e-5 * rb.gradNorm(), name + ": step " + s + " grad norm");
                assertTrue(rb.gradNorm() > 0.2, name + ": clipping must actually happen, norm " + rb.gradNorm());
            }
            assertEquals(s + 1, ra.step());
        }
        Map<String, Var> pa = accModel.namedParameters();
        Map<String, Var> pb = bigModel.namedParameters();
        for (String k : pb.keySet()) {
            float[] want = pb.get(k).value().toFloatArray();
            float[] got = pa.get(k).value().toFloatArray();
            float scale = 0;
            for (float v : want) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-6 * Math.max(Math.abs(want[i]), scale),
                        name + ": parameter " + k + "[" + i + "]");
            }
            assertTrue(pa.get(k).grad() == null, "gradients are zeroed after the step");
        }
    }

    @Test
    void accumulatedSgdEqualsOneBigBatch() {
        compare("sgd", m -> SGD.builder(m.parameters()).lr(0.1).momentum(0.9).weightDecay(1e-3).build(), false);
    }

    @Test
    void accumulatedAdamWEqualsOneBigBatch() {
        compare("adamw", m -> AdamW.builder(m.parameters()).lr(1e-2).weightDecay(0.1).build(), false);
    }

    @Test
    void accumulatedAdamWWithClippingAndScheduleEqualsOneBigBatch() {
        compare("adamw+clip+schedule", m -> AdamW.builder(m.parameters()).lr(1e-2).weightDecay(0.1).build(), true);
    }

    @Test
    void wrongNumberOfMicroBatchesIsAnError() {
        Sequential model = mlp();
        Trainer<Batch> t = Trainer.builder(new SGD(model.parameters(), 0.1), lossOf(model)).accumulationSteps(2).build();
        Batch b = batch(new Generator(1), B);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.step(List.of(b)));
        assertTrue(e.getMessage().contains("expected 2 micro-batches"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Trainer.builder(new SGD(model.parameters(), 0.1), lossOf(model))
                .accumulationSteps(0));
        Trainer<Batch> notScalar = Trainer.builder(new SGD(model.parameters(), 0.1),
                (Batch x) -> model.forward(Var.constant(x.x()))).build();
        e = assertThrows(IllegalArgumentException.class, () -> notScalar.step(List.of(b)));
        assertTrue(e.getMessage().contains("single element"), e.getMessage());
    }

    /** A power-of-two loss scale is exact in F32: the scaled run must match the unscaled one bit for bit. */
    @Test
    void lossScalingHookIsCalledInOrderAndAPowerOfTwoScaleChangesNothing() {
        Sequential plain = mlp();
        Sequential scaled = mlp();
        Optimizer plainOpt = AdamW.builder(plain.parameters()).lr(1e-2).weightDecay(0.1).build();
        Optimizer scaledOpt = AdamW.builder(scaled.parameters()).lr(1e-2).weightDecay(0.1).build();
        DynamicLossScaler scaler = new DynamicLossScaler(1024, 2, 0.5, 2);
        List<String> calls = new ArrayList<>();
        LossScaling inner = LossScaling.of(scaler);
        LossScaling recording = new LossScaling() {
            @Override
            public Var scale(Var loss) {
                calls.add("scale");
                return inner.scale(loss);
            }

            @Override
            public void unscale(Optimizer o) {
                calls.add("unscale");
                inner.unscale(o);
            }

            @Override
            public boolean step(Optimizer o) {
                calls.add("step");
                return inner.step(o);
            }

            @Override
            public void update() {
                calls.add("update");
                inner.update();
            }
        };
        Trainer<Batch> a = Trainer.builder(plainOpt, lossOf(plain)).accumulationSteps(2).maxGradNorm(1).build();
        Trainer<Batch> b = Trainer.builder(scaledOpt, lossOf(scaled)).accumulationSteps(2).maxGradNorm(1)
                .lossScaling(recording).build();
        Generator data = new Generator(9);
        for (int s = 0; s < 3; s++) {
            List<Batch> micro = List.of(batch(data, B), batch(data, B));
            Trainer.StepResult ra = a.step(micro);
            Trainer.StepResult rb = b.step(micro);
            assertTrue(rb.applied());
            assertEquals(ra.gradNorm(), rb.gradNorm(), 0, "clipping sees unscaled gradients");
        }
        assertEquals(List.of("scale", "scale", "unscale", "step", "update"), calls.subList(0, 5));
        assertEquals(2048, scaler.currentScale(), "grew once: growth interval 2, 3 clean steps");
        for (String k : plain.namedParameters().keySet()) {
            assertArrayEquals(plain.namedParameters().get(k).value().toFloatArray(),
                    scaled.namedParameters().get(k).value().toFloatArray(), 0f, k);
        }
    }
}
