package dev.kiln.optim.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autocast;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.amp.DynamicLossScaler;
import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.LossScaling;
import dev.kiln.optim.train.Trainer;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's training-loop example (AdamW, warm-up + cosine, clipping, accumulation, FP16, checkpoints) runs and learns. */
class ReadmeTrainingLoopTest {
    record Batch(Tensor x, Tensor y) {}

    @Test
    void readmeTrainingLoopLearnsAndCheckpoints(@TempDir Path dir) throws Exception {
        Generator gen = new Generator(7);
        List<Batch> data = new ArrayList<>(); // 16 micro-batches of a separable 3-class problem
        Tensor centers = Tensor.randn(gen, 3, 20).mul(2.0);
        for (int i = 0; i < 16; i++) {
            Tensor y = Tensor.randint(gen, 0, 3, 8);
            data.add(new Batch(centers.indexSelect(0, y).add(Tensor.randn(gen, 8, 20)), y));
        }
        double first = 0, last = 0;
        // ---- begin README example
        Sequential model = new Sequential(new Linear(20, 64, true, gen), Activation.gelu(), new Linear(64, 3, true, gen));
        Optimizer opt = AdamW.builder(model.parameters()).lr(3e-3).weightDecay(0.01).build();
        LrScheduler schedule = new LrScheduler(opt, LrSchedule.warmupCosine(5, 60, 1e-4));
        DynamicLossScaler scaler = new DynamicLossScaler();
        Trainer<Batch> trainer = Trainer.<Batch>builder(opt, b -> {
                    try (Autocast _ = Autocast.enter(DType.F16)) {      // F16 compute, F32 master weights
                        return Losses.crossEntropy(model.forward(Var.constant(b.x())), b.y());
                    }
                })
                .scheduler(schedule)
                .maxGradNorm(1.0)                                       // clip the global gradient norm
                .accumulationSteps(4)                                   // 4 micro-batches per optimizer step
                .lossScaling(LossScaling.of(scaler))                    // dynamic loss scaling for F16
                .build();
        CheckpointDirectory checkpoints = new CheckpointDirectory(dir.resolve("ckpt"), 3);
        TrainingCheckpoint state = new TrainingCheckpoint(model, opt).scheduler(schedule);
        for (int step = 0; step < 60; step++) {
            int at = (step * 4) % data.size();
            Trainer.StepResult r = trainer.step(data.subList(at, at + 4));
            if (r.step() % 20 == 0) {
                checkpoints.save(state, r.step(), scaler.state());       // atomic, checksummed, keeps the last 3
            }
            // ---- end README example (the loss is recorded instead of printed)
            if (step == 0) {
                first = r.loss();
            }
            last = r.loss();
        }
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
        assertEquals(3, checkpoints.checkpoints().size());
        assertTrue(Files.exists(checkpoints.pathFor(60)));
    }
}
