package dev.kiln.optim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.amp.DynamicLossScaler;
import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TrainingLoop} on a tiny MLP with dropout: an interrupted and resumed run ends with the
 * same weights, bit for bit, as an uninterrupted one; early stopping stops at the epoch a hand count
 * gives; accumulation through the loop equals one big batch; records come at the promised cadence.
 */
class TrainingLoopTest {
    private static final int EXAMPLES = 28; // 7 micro-batches of 4: with accumulation 2 the odd one is dropped
    private static final int MICRO = 4;
    private static final int IN = 6;
    private static final int CLASSES = 3;

    @TempDir
    Path tmp;

    /** Shuffled micro-batches of example indices; each epoch's order comes from a seeded generator (state: epoch start). */
    static final class ShuffledIndices implements BatchSource<int[]> {
        private final int n;
        private final int micro;
        private final Generator shuffle;
        private Generator.State epochStart;
        private int[] order;
        private int position;

        ShuffledIndices(int n, int micro, long seed) {
            this.n = n;
            this.micro = micro;
            this.shuffle = new Generator(seed);
        }

        @Override
        public Iterator<int[]> epoch() {
            if (order == null || position * micro + micro > n) {
                if (order != null) {
                    position = 0;
                }
                epochStart = shuffle.state();
                order = permutation();
            }
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return position * micro + micro <= n;
                }

                @Override
                public int[] next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    int[] idx = new int[micro];
                    System.arraycopy(order, position * micro, idx, 0, micro);
                    position++;
                    return idx;
                }
            };
        }

        private int[] permutation() {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = (int) Long.remainderUnsigned(shuffle.nextLong(), i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            return p;
        }

        @Override
        public Map<String, String> state() {
            return Map.of("position", Integer.toString(position), "seed", Long.toString(epochStart.seed()),
                    "offset", Long.toString(epochStart.offset()), "splits", Long.toString(epochStart.splits()));
        }

        @Override
        public void restore(Map<String, String> s) {
            shuffle.restore(new Generator.State(Long.parseLong(s.get("seed")), Long.parseLong(s.get("offset")),
                    Long.parseLong(s.get("splits"))));
            epochStart = shuffle.state();
            order = permutation();
            position = Integer.parseInt(s.get("position"));
        }
    }

    /** One complete run: model with dropout, AdamW, warm-up + cosine, clipping, accumulation 2, a loss scaler. */
    private final class Run {
        final Sequential model;
        final Generator dropout = new Generator(11);
        final DynamicLossScaler scaler = new DynamicLossScaler(1024, 2, 0.5, 3);
        final List<Double> losses = new ArrayList<>();
        final TrainingLoop<int[]> loop;

        Run(int epochs, Path ckptDir, long stopAtStep) throws IOException {
            Generator init = new Generator(123);
            model = new Sequential(new Linear(IN, 16, true, init), Activation.gelu(), new Dropout(0.25, dropout),
                    new Linear(16, CLASSES, true, init));
            Generator data = new Generator(1);
            Tensor xs = Tensor.randn(data, EXAMPLES, IN);
            Tensor ys = Tensor.randint(data, 0, CLASSES, EXAMPLES);
            AdamW opt = AdamW.builder(model.parameters()).lr(5e-3).weightDecay(0.1).build();
            LrScheduler sched = new LrScheduler(opt, LrSchedule.warmupCosine(3, 3 * epochs, 1e-4));
            Trainer<int[]> trainer = Trainer.builder(opt, (int[] idx) -> {
                long[] l = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    l[i] = idx[i];
                }
                try (Tensor ix = Tensor.fromArray(l, l.length)) {
                    return Losses.crossEntropy(model.forward(Var.constant(xs.indexSelect(0, ix))), ys.indexSelect(0, ix));
                }
            }).accumulationSteps(2).maxGradNorm(0.5).scheduler(sched).lossScaling(LossScaling.of(scaler)).build();
            TrainingCheckpoint ckpt = new TrainingCheckpoint(model, opt).scheduler(sched).generator("dropout", dropout);
            TrainingLoop.Builder<int[]> b = TrainingLoop.builder(trainer, new ShuffledIndices(EXAMPLES, MICRO, 13))
                    .epochs(epochs)
                    .checkpoints(ckpt, new CheckpointDirectory(ckptDir, 2)).checkpointEverySteps(4)
                    .extraState("scaler", scaler::state, scaler::restore);
            AtomicReference<TrainingLoop<int[]>> self = new AtomicReference<>();
            b.listener(new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> record) {
                    losses.add(r.loss());
                    if (r.step() == stopAtStep) {
                        self.get().requestStop();
                    }
                }
            });
            loop = b.build();
            self.set(loop);
        }

        Map<String, float[]> weights() {
            Map<String, float[]> out = new LinkedHashMap<>();
            model.namedParameters().forEach((k, v) -> out.put(k, v.value().toFloatArray()));
            return out;
        }
    }

    private static void assertBitIdentical(Map<String, float[]> want, Map<String, float[]> got) {
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            float[] w = want.get(k);
            float[] g = got.get(k);
            assertEquals(w.length, g.length, k);
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(g[i]),
                        "parameter " + k + "[" + i + "]: uninterrupted " + w[i] + ", resumed " + g[i]);
            }
        }
    }

    private void resumeGivesTheSameWeights(long stopAt) throws IOException {
        Run whole = new Run(4, tmp.resolve("whole-" + stopAt), -1);
        TrainingLoop.Result full = whole.loop.fit();
        assertEquals(TrainingLoop.StopReason.COMPLETED, full.reason());
        assertEquals(12, full.steps(), "4 epochs of 3 steps (7 micro-batches, accumulation 2: the 7th dropped)");

        Path dir = tmp.resolve("parts-" + stopAt);
        Run first = new Run(4, dir, stopAt);
        TrainingLoop.Result part = first.loop.fit();
        assertEquals(TrainingLoop.StopReason.INTERRUPTED, part.reason());
        assertEquals(stopAt, part.steps());
        assertNotNull(part.checkpoint());

        Run second = new Run(4, dir, -1);
        assertEquals(stopAt, second.loop.resume().orElseThrow().step());
        TrainingLoop.Result rest = second.loop.fit();
        assertEquals(TrainingLoop.StopReason.COMPLETED, rest.reason());
        assertEquals(12, rest.steps());

        List<Double> joined = new ArrayList<>(first.losses);
        joined.addAll(second.losses);
        assertEquals(whole.losses, joined, "the losses step by step");
        assertBitIdentical(whole.weights(), second.weights());
    }

    @Test
    void resumeMidEpochGivesBitIdenticalWeights() throws IOException {
        resumeGivesTheSameWeights(5); // epoch 1, second of three steps; not a checkpoint-cadence step
    }

    @Test
    void resumeAtAnEpochEndGivesBitIdenticalWeights() throws IOException {
        resumeGivesTheSameWeights(6);
    }

    @Test
    void interruptedRunWithoutResumeDiffers() throws IOException {
        // the bit-identity above must be able to fail: a fresh start at step 5 does not reach the same weights
        Run whole = new Run(4, tmp.resolve("w"), -1);
        whole.loop.fit();
        Run fresh = new Run(4, tmp.resolve("fresh"), -1);
        fresh.loop.fit();
        assertBitIdentical(whole.weights(), fresh.weights()); // determinism
        Run restart = new Run(4, tmp.resolve("r"), 5);
        restart.loop.fit();
        boolean same = true;
        Map<String, float[]> a = whole.weights();
        Map<String, float[]> b = restart.weights();
        for (String k : a.keySet()) {
            same &= java.util.Arrays.equals(a.get(k), b.get(k));
        }
        assertTrue(!same, "a run stopped at step 5 must differ from the full run");
    }

    /** Scripted evaluator values; patience 2 on a minimum. */
    @Test
    void earlyStoppingStopsAtTheRightEpoch() throws IOException {
        double[] values = {1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.5, 0.4};
        // best 1.0 -> 0.8 (better) -> 0.85 (bad 1) -> 0.79 (better, bad 0) -> 0.9 (bad 1) -> 0.95 (bad 2): stop after epoch 5
        int expectedEpochs = 6;
        Run r = new Run(8, tmp.resolve("early"), -1);
        int[] calls = {0};
        List<Map<String, ?>> recs = new ArrayList<>();
        TrainingLoop<int[]> loop = TrainingLoop.builder(r.loop.trainer(), new ShuffledIndices(EXAMPLES, MICRO, 3)).epochs(8)
                .evaluator(() -> Map.of("val_loss", values[calls[0]++])).metrics(recs::add)
                .earlyStopping(new EarlyStopping("val_loss", EarlyStopping.Mode.MIN, 2, 0.0)).build();
        TrainingLoop.Result res = loop.fit();
        assertEquals(TrainingLoop.StopReason.EARLY_STOPPING, res.reason());
        assertEquals(expectedEpochs, calls[0]);
        assertEquals(expectedEpochs, res.epochs());
        assertEquals(expectedEpochs * 3L, res.steps());
        List<Map<String, ?>> epochRecs = recs.stream().filter(m -> "epoch".equals(m.get("kind"))).toList();
        assertEquals(expectedEpochs, epochRecs.size());
        assertEquals(0.95, epochRecs.getLast().get("val_loss"));
    }

    /** Accumulating 4 micro-batches of 5 through the loop equals the loop on batches of 20 (mean loss). */
    @Test
    void accumulationThroughTheLoopEqualsABigBatch() throws IOException {
        Generator data = new Generator(5);
        Tensor xs = Tensor.randn(data, 40, IN);
        Tensor ys = Tensor.randint(data, 0, CLASSES, 40);
        List<Map<String, float[]>> results = new ArrayList<>();
        int[][] shapes = {{4, 5}, {1, 20}};
        for (int run = 0; run < 2; run++) {
            int accumulation = shapes[run][0];
            int micro = shapes[run][1];
            Generator init = new Generator(9);
            Sequential model = new Sequential(new Linear(IN, 8, true, init), Activation.tanh(), new Linear(8, CLASSES, true, init));
            Trainer<int[]> trainer = Trainer.builder(AdamW.builder(model.parameters()).lr(1e-2).weightDecay(0.1).build(), (int[] r) -> Losses.crossEntropy(
                    model.forward(Var.constant(xs.narrow(0, r[0], r[1]).contiguous())), ys.narrow(0, r[0], r[1]).contiguous()))
                    .accumulationSteps(accumulation).build();
            List<int[]> ranges = new ArrayList<>();
            for (int from = 0; from < 40; from += micro) {
                ranges.add(new int[] {from, micro});
            }
            int[] pos = {0};
            BatchSource<int[]> src = BatchSource.endless(() -> ranges.get(pos[0]++ % ranges.size()));
            TrainingLoop.Result res = TrainingLoop.builder(trainer, src).maxSteps(6).build().fit();
            assertEquals(6, res.steps());
            Map<String, float[]> w = new LinkedHashMap<>();
            model.namedParameters().forEach((k, v) -> w.put(k, v.value().toFloatArray()));
            results.add(w);
        }
        for (String k : results.get(1).keySet()) {
            float[] want = results.get(1).get(k);
            float[] got = results.get(0).get(k);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 2e-6 * Math.max(1, Math.abs(want[i])), k + "[" + i + "]");
            }
        }
    }

    @Test
    void recordsComeAtTheirCadenceAndTheLastStepIsEvaluated() throws IOException {
        Run r = new Run(4, tmp.resolve("cadence"), -1);
        List<Map<String, ?>> recs = new ArrayList<>();
        TrainingLoop<int[]> loop = TrainingLoop.builder(r.loop.trainer(), BatchSource.endless(() -> new int[] {0, 1, 2, 3}))
                .maxSteps(7).evaluator(() -> Map.of("m", 1.0)).evalEachEpoch(false).evalEverySteps(3).evalAtStart(true)
                .evalAtEnd(true).metrics(recs::add).build();
        loop.fit();
        List<Object> kinds = recs.stream().map(m -> m.get("kind") + "@" + m.get("step")).map(Object.class::cast).toList();
        assertEquals(List.of("eval@0", "step@1", "step@2", "step@3", "eval@3", "step@4", "step@5", "step@6", "eval@6",
                "step@7", "eval@7"), kinds);
        assertArrayEquals(new String[] {"kind", "step", "epoch", "loss", "lr"},
                recs.get(1).keySet().toArray(String[]::new));
    }
}
