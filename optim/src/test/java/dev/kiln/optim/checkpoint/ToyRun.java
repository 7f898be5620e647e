package dev.kiln.optim.checkpoint;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.train.Trainer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small but complete training run for resume tests: an MLP with dropout, AdamW, warm-up +
 * cosine schedule, gradient clipping, 2-way accumulation, and data shuffled each epoch by a seeded
 * generator. Everything that influences the numbers is either rebuilt identically by the
 * constructor or captured by {@link #checkpoint}.
 */
final class ToyRun {
    static final int TOTAL_STEPS = 20;
    private static final int EXAMPLES = 24;
    private static final int MICRO = 4;
    private static final int IN = 8;
    private static final int CLASSES = 4;

    final Sequential model;
    final AdamW optimizer;
    final LrScheduler scheduler;
    final Trainer<int[]> trainer;
    final TrainingCheckpoint checkpoint;
    private final Tensor xs;
    private final Tensor ys;
    private final Generator dropout = new Generator(11);
    private final Generator shuffle = new Generator(13);
    /** The shuffle generator's state when the current epoch's order was drawn (what DataLoader.State keeps). */
    private final Generator epochStart = new Generator(0);
    private long epoch;
    private int index;
    private int[] order;

    ToyRun() {
        Generator init = new Generator(123);
        model = new Sequential(new Linear(IN, 32, true, init), Activation.gelu(), new Dropout(0.2, dropout),
                new Linear(32, 32, true, init), Activation.tanh(), new Dropout(0.1, dropout), new Linear(32, CLASSES, true, init));
        Generator data = new Generator(1);
        xs = Tensor.randn(data, EXAMPLES, IN);
        ys = Tensor.randint(data, 0, CLASSES, EXAMPLES);
        optimizer = AdamW.builder(model.parameters()).lr(3e-3).weightDecay(0.1).build();
        scheduler = new LrScheduler(optimizer, LrSchedule.warmupCosine(4, TOTAL_STEPS, 1e-4));
        trainer = Trainer.builder(optimizer, (int[] idx) -> {
            try (Tensor ix = Tensor.fromArray(toLongs(idx), idx.length)) {
                return Losses.crossEntropy(model.forward(Var.constant(xs.indexSelect(0, ix))), ys.indexSelect(0, ix));
            }
        }).accumulationSteps(2).maxGradNorm(1.0).scheduler(scheduler).build();
        checkpoint = new TrainingCheckpoint(model, optimizer).scheduler(scheduler).generator("dropout", dropout)
                .generator("data.epoch_start", epochStart);
    }

    private static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** The next micro-batch's example indices; a new epoch draws a new order. */
    private int[] nextMicroBatch() {
        if (order != null && (index + 1) * MICRO > EXAMPLES) {
            epoch++;
            index = 0;
            order = null;
        }
        if (order == null) {
            epochStart.restore(shuffle.state());
            order = permutation(shuffle, EXAMPLES);
        }
        int[] idx = new int[MICRO];
        System.arraycopy(order, index * MICRO, idx, 0, MICRO);
        index++;
        return idx;
    }

    /** Fisher–Yates from the generator's longs. */
    private static int[] permutation(Generator g, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) Long.remainderUnsigned(g.nextLong(), i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Trains until the trainer's step count reaches {@code untilStep}; returns each step's loss. */
    List<Double> trainUntil(int untilStep) {
        model.train();
        List<Double> losses = new ArrayList<>();
        while (trainer.stepCount() < untilStep) {
            losses.add(trainer.step(List.of(nextMicroBatch(), nextMicroBatch())).loss());
        }
        return losses;
    }

    Generator dropoutGenerator() {
        return dropout;
    }

    Map<String, String> dataPosition() {
        return Map.of("data.epoch", Long.toString(epoch), "data.index", Integer.toString(index));
    }

    /** Saves into {@code dir} at the current step. */
    void save(CheckpointDirectory dir) throws IOException {
        dir.save(checkpoint, trainer.stepCount(), dataPosition());
    }

    /** Restores the newest good checkpoint of {@code dir}, including the data position. */
    TrainingCheckpoint.Restored resume(CheckpointDirectory dir) throws IOException {
        TrainingCheckpoint.Restored r = dir.restoreLatest(checkpoint)
                .orElseThrow(() -> new IllegalStateException("no checkpoint in " + dir.directory()));
        trainer.setStepCount(r.step());
        epoch = r.extraLong("data.epoch");
        index = (int) r.extraLong("data.index");
        shuffle.restore(epochStart.state());
        order = permutation(shuffle, EXAMPLES); // the same draw as when the epoch started
        return r;
    }
}
