package dev.kiln.optim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.SGD;
import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TrainingLoop}'s non-finite-loss policy: a NaN or infinite loss at a known step stops the
 * fit naming that step and epoch, after its record and before any checkpoint of the broken
 * weights; {@link NonFiniteLossPolicy#CONTINUE} trains on; a real divergence (SGD with a huge
 * learning rate) is caught too.
 */
class NonFiniteLossTest {
    private static final int EXAMPLES = 28; // 7 micro-batches of 4 per epoch
    private static final int IN = 6;

    @TempDir
    Path tmp;

    /** A linear regression whose loss is multiplied by {@code poison} at step {@code poisonStep} (1-based). */
    private static final class Run {
        final Linear model = new Linear(IN, 1, true, new Generator(3));
        final SGD opt;
        final Trainer<int[]> trainer;
        int calls;

        Run(double lr, long poisonStep, double poison) {
            Generator data = new Generator(1);
            Tensor xs = Tensor.randn(data, EXAMPLES, IN);
            Tensor ys = Tensor.randn(data, EXAMPLES, 1);
            opt = new SGD(model.parameters(), lr);
            trainer = Trainer.builder(opt, (int[] idx) -> {
                long[] l = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    l[i] = idx[i];
                }
                try (Tensor ix = Tensor.fromArray(l, l.length)) {
                    Var loss = Losses.mseLoss(model.forward(Var.constant(xs.indexSelect(0, ix))), Var.constant(ys.indexSelect(0, ix)));
                    return ++calls == poisonStep ? loss.mul(poison) : loss;
                }
            }).build();
        }
    }

    @Test
    void aNanLossStopsAtItsStepAndKeepsTheLastGoodCheckpoint() throws IOException {
        Run run = new Run(1e-2, 10, Double.NaN);
        CheckpointDirectory dir = new CheckpointDirectory(tmp.resolve("ckpt"), 5);
        List<Map<String, ?>> records = new ArrayList<>();
        TrainingLoop<int[]> loop = TrainingLoop.builder(run.trainer, new TrainingLoopTest.ShuffledIndices(EXAMPLES, 4, 7))
                .epochs(3).evaluator(() -> Map.of("m", 1.0)).metrics(records::add)
                .checkpoints(new TrainingCheckpoint(run.model, run.opt), dir).checkpointEverySteps(4).build();
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, loop::fit);
        assertEquals(10, e.step());
        assertEquals(1, e.epoch(), "7 steps per epoch: step 10 is in the second epoch");
        assertTrue(Double.isNaN(e.loss()));
        assertEquals(dir.pathFor(8), e.lastCheckpoint().orElseThrow());
        assertEquals("loss is NaN at step 10 (epoch 2); the last good checkpoint is " + dir.pathFor(8), e.getMessage());
        assertEquals(List.of(dir.pathFor(4), dir.pathFor(8)), dir.checkpoints(), "no checkpoint of the broken weights");
        Map<String, ?> last = records.get(records.size() - 1);
        assertEquals("step", last.get("kind"), "the bad step's record is the last one: " + records);
        assertEquals(10L, last.get("step"));
        assertTrue(Double.isNaN((Double) last.get("loss")));
        assertEquals(10, run.trainer.stepCount());
    }

    @Test
    void anInfiniteLossBeforeAnyCheckpointSaysSo() throws IOException {
        Run run = new Run(1e-2, 2, Double.POSITIVE_INFINITY);
        TrainingLoop<int[]> loop = TrainingLoop.builder(run.trainer, new TrainingLoopTest.ShuffledIndices(EXAMPLES, 4, 7))
                .checkpoints(new TrainingCheckpoint(run.model, run.opt), new CheckpointDirectory(tmp.resolve("c"), 2))
                .build();
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, loop::fit);
        assertEquals("loss is Infinity at step 2 (epoch 1); no checkpoint was written before it", e.getMessage());
        assertFalse(e.lastCheckpoint().isPresent());
    }

    @Test
    void continueTrainsThroughANanLoss() throws IOException {
        Run run = new Run(1e-2, 3, Double.NaN);
        TrainingLoop.Result r = TrainingLoop.builder(run.trainer, new TrainingLoopTest.ShuffledIndices(EXAMPLES, 4, 7))
                .epochs(2).onNonFiniteLoss(NonFiniteLossPolicy.CONTINUE).build().fit();
        assertEquals(TrainingLoop.StopReason.COMPLETED, r.reason());
        assertEquals(14, r.steps());
    }

    @Test
    void aDivergingRunIsStoppedBeforeItsBudget() throws IOException {
        Run stopped = new Run(1e3, -1, 1);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                () -> TrainingLoop.builder(stopped.trainer, BatchSource.endless(() -> new int[] {0, 1, 2, 3})).maxSteps(200)
                        .build().fit());
        assertTrue(e.step() > 1 && e.step() < 200, "diverged at step " + e.step());

        Run continued = new Run(1e3, -1, 1);
        TrainingLoop.Result r = TrainingLoop.builder(continued.trainer, BatchSource.endless(() -> new int[] {0, 1, 2, 3}))
                .maxSteps(200).onNonFiniteLoss(NonFiniteLossPolicy.CONTINUE).build().fit();
        assertEquals(200, r.steps());
        assertFalse(Double.isFinite(r.lastLoss()), "the same run without the check ends with loss " + r.lastLoss());
    }

    @Test
    void aNullPolicyIsRejected() {
        Run run = new Run(1e-2, -1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingLoop.builder(run.trainer, BatchSource.endless(() -> new int[] {0})).onNonFiniteLoss(null));
        assertTrue(e.getMessage().contains("onNonFiniteLoss"), e.getMessage());
    }
}
