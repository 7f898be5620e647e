package dev.kiln.optim.train;

import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The training loop every Kiln app runs (Keras' {@code fit}, Lightning's {@code Trainer.fit}):
 * epochs of a {@link BatchSource} or a step budget, optimizer steps by a {@link Trainer} (gradient
 * accumulation, clipping, schedule and loss scaling are the trainer's), evaluation every N steps
 * and/or each epoch, metric records to a {@link MetricsSink}, {@link TrainingListener} callbacks,
 * early stopping, checkpoints and resume, and a clean stop on request ({@link #requestStop}, which
 * {@link StopOnShutdown} calls on Ctrl-C).
 *
 * <pre>{@code
 * TrainingLoop<Batch> loop = TrainingLoop.builder(trainer, source).epochs(5)
 *         .evaluator(() -> Map.of("test_accuracy", accuracy(model))).metrics(log::write)
 *         .checkpoints(new TrainingCheckpoint(model, opt).scheduler(sched), new CheckpointDirectory(dir, 2))
 *         .build();
 * if (resume) loop.resume();
 * TrainingLoop.Result r = loop.fit();
 * }</pre>
 *
 * <p><b>Records.</b> After each step {@code {"kind": "step", "step", "epoch", "loss", "lr"}}; after
 * an evaluation by step cadence {@code {"kind": "eval", "step", <metrics>, "eval_seconds"}}; after
 * each epoch {@code {"kind": "epoch", "step", "epoch", "train_loss", <metrics>, "lr",
 * "train_seconds", "eval_seconds"}} (the metrics and eval time only when it evaluates each epoch).
 * Listeners see each record before it is written and may change it.
 *
 * <p><b>Resume is bit-exact.</b> A checkpoint holds what the {@link TrainingCheckpoint} holds (model,
 * optimizer state, scheduler step, registered generators), the trainer's step count, the source's
 * position, the loop's own counters (epoch, the epoch's running train loss, the early-stopping
 * state) and the registered {@linkplain Builder#extraState extra states} (a loss scaler). A run
 * stopped after step K and resumed from that checkpoint takes the same steps on the same batches
 * as an uninterrupted run: same final weights, bit for bit. Evaluators must not draw from the
 * training's generators for this to hold.
 *
 * <p><b>Divergence.</b> A step whose loss is NaN or infinite stops the fit with a
 * {@link NonFiniteLossException} naming the step and epoch, after its record is written and
 * before any evaluation or checkpoint, so the newest checkpoint is the last good one
 * ({@link NonFiniteLossPolicy}; {@link Builder#onNonFiniteLoss} can say to continue instead). The
 * check reads the loss the trainer already brought to the host for the record: no extra sync.
 *
 * <p><b>Stopping.</b> {@link #requestStop} may be called from any thread; the loop finishes the
 * step in progress (and the epoch's bookkeeping when it was the epoch's last step), writes a
 * checkpoint when checkpoints are configured, and returns with {@link StopReason#INTERRUPTED}.
 *
 * <p>One thread runs {@link #fit}; a loop fits once.
 *
 * @param <B> the micro-batch type
 */
public final class TrainingLoop<B> {
    /** Why {@link #fit} returned. */
    public enum StopReason {
        /** The epochs or the step budget are done. */
        COMPLETED,
        /** The monitored metric stopped improving. */
        EARLY_STOPPING,
        /** {@link #requestStop} was called. */
        INTERRUPTED
    }

    /**
     * What a fit did.
     *
     * @param steps the trainer's step count at the end
     * @param epochs epochs completed
     * @param reason why it stopped
     * @param lastEvaluation the metrics of the last evaluation (empty when none ran)
     * @param lastLoss the loss of the last step (NaN when none ran)
     * @param checkpoint the last checkpoint written, or null
     */
    public record Result(long steps, long epochs, StopReason reason, Map<String, Object> lastEvaluation, double lastLoss,
            Path checkpoint) {}

    private static final String LOOP = "loop.";
    private static final String SOURCE = "source.";
    private static final String EARLY = "early.";

    private final Trainer<B> trainer;
    private final BatchSource<B> source;
    private final int epochs;
    private final long maxSteps;
    private final Evaluator evaluator;
    private final int evalEverySteps;
    private final boolean evalEachEpoch;
    private final boolean evalAtStart;
    private final boolean evalAtEnd;
    private final MetricsSink metrics;
    private final List<TrainingListener> listeners;
    private final EarlyStopping earlyStopping;
    private final TrainingCheckpoint checkpoint;
    private final CheckpointDirectory checkpointDir;
    private final int checkpointEverySteps;
    private final boolean checkpointEachEpoch;
    private final Map<String, ExtraState> extraStates;
    private final NonFiniteLossPolicy nonFiniteLoss;

    /**
     * With {@code -Dkiln.train.holdAtStep=N} the loop, once step N is recorded, waits for
     * {@link #requestStop} (up to two minutes) before it goes on. It exists for tests that stop a run
     * at a known step (Ctrl-C, then {@code --resume}): without it they race a fast training process
     * and, on a loaded machine, the run can finish before the signal lands.
     */
    private static final long HOLD_AT_STEP = Long.getLong("kiln.train.holdAtStep", -1);

    private volatile boolean stopRequested;
    private long epoch;
    private double epochLossSum;
    private long epochSteps;
    private long lastEvalStep = -1;
    private long lastCheckpointStep = -1;
    private Path lastCheckpoint;
    private Map<String, Object> lastEvaluation = Map.of();
    private boolean fitted;

    private record ExtraState(Supplier<Map<String, String>> save, Consumer<Map<String, String>> restore) {}

    private TrainingLoop(Builder<B> b) {
        this.trainer = b.trainer;
        this.source = b.source;
        this.epochs = b.epochs;
        this.maxSteps = b.maxSteps;
        this.evaluator = b.evaluator;
        this.evalEverySteps = b.evalEverySteps;
        this.evalEachEpoch = b.evaluator != null && b.evalEachEpoch;
        this.evalAtStart = b.evaluator != null && b.evalAtStart;
        this.evalAtEnd = b.evaluator != null && b.evalAtEnd;
        this.metrics = b.metrics;
        this.listeners = List.copyOf(b.listeners);
        this.earlyStopping = b.earlyStopping;
        this.checkpoint = b.checkpoint;
        this.checkpointDir = b.checkpointDir;
        this.checkpointEverySteps = b.checkpointEverySteps;
        this.checkpointEachEpoch = b.checkpointEachEpoch;
        this.extraStates = Map.copyOf(b.extraStates);
        this.nonFiniteLoss = b.nonFiniteLoss;
    }

    public static <B> Builder<B> builder(Trainer<B> trainer, BatchSource<B> source) {
        return new Builder<>(trainer, source);
    }

    private void awaitStopRequest() {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!stopRequested && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Asks the loop to stop after the current step (thread-safe; idempotent). */
    public void requestStop() {
        stopRequested = true;
    }

    /** The epoch the loop is in (or will start), from 0. */
    public long epoch() {
        return epoch;
    }

    public Trainer<B> trainer() {
        return trainer;
    }

    /**
     * Restores the newest good checkpoint of the checkpoint directory, if there is one: the
     * registered objects, the trainer's step count, the source's position, the loop's counters and
     * the extra states.
     *
     * @return what was restored, empty when the directory holds no checkpoint
     * @throws IllegalStateException without checkpoints configured, or after {@link #fit}
     */
    public Optional<TrainingCheckpoint.Restored> resume() throws IOException {
        if (checkpoint == null) {
            throw new IllegalStateException("TrainingLoop.resume: no checkpoints configured (Builder.checkpoints)");
        }
        if (fitted) {
            throw new IllegalStateException("TrainingLoop.resume: the loop has already run");
        }
        Optional<TrainingCheckpoint.Restored> restored = checkpointDir.restoreLatest(checkpoint);
        restored.ifPresent(this::apply);
        return restored;
    }

    private void apply(TrainingCheckpoint.Restored r) {
        Map<String, String> extra = r.extra();
        trainer.setStepCount(r.step());
        epoch = r.extraLong(LOOP + "epoch");
        epochSteps = r.extraLong(LOOP + "epoch_steps");
        epochLossSum = Double.parseDouble(extra.get(LOOP + "epoch_loss_sum"));
        lastEvalStep = r.extraLong(LOOP + "last_eval_step");
        lastCheckpointStep = r.step();
        lastCheckpoint = r.file();
        source.restore(withPrefix(extra, SOURCE));
        if (earlyStopping != null) {
            earlyStopping.restore(withPrefix(extra, EARLY));
        }
        extraStates.forEach((name, s) -> s.restore().accept(withPrefix(extra, name + ".")));
    }

    private static Map<String, String> withPrefix(Map<String, String> all, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /**
     * Trains until the epochs or the step budget are done, early stopping fires or a stop is
     * requested; writes a last checkpoint (when configured and not already written at that step).
     *
     * @throws NonFiniteLossException when a step's loss is NaN or infinite under {@link NonFiniteLossPolicy#STOP}
     */
    public Result fit() throws IOException {
        if (fitted) {
            throw new IllegalStateException("TrainingLoop.fit: a loop fits once");
        }
        fitted = true;
        if (evalAtStart && trainer.stepCount() == 0) {
            evaluateAtStep(0);
        }
        StopReason reason = StopReason.COMPLETED;
        double lastLoss = Double.NaN;
        int n = trainer.accumulationSteps();
        epochs:
        while (epoch < epochs && trainer.stepCount() < maxSteps) {
            if (stopRequested) {
                reason = StopReason.INTERRUPTED;
                break;
            }
            Iterator<B> it = source.epoch();
            long epochStart = System.nanoTime();
            double lastLr = Double.NaN;
            boolean epochDone = false;
            while (trainer.stepCount() < maxSteps) {
                long t0 = System.nanoTime();
                List<B> micro = new ArrayList<>(n);
                while (micro.size() < n && it.hasNext()) {
                    micro.add(it.next());
                }
                if (micro.size() < n) { // the epoch's tail does not fill a step: dropped, like dropLast
                    closeAll(micro);
                    epochDone = true;
                    break;
                }
                long t1 = System.nanoTime();
                Trainer.StepResult r;
                try {
                    r = trainer.step(micro);
                    long step = r.step();
                    lastLoss = r.loss();
                    lastLr = r.lr();
                    epochLossSum += r.loss();
                    epochSteps++;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("kind", "step");
                    rec.put("step", step);
                    rec.put("epoch", epoch);
                    rec.put("loss", r.loss());
                    rec.put("lr", r.lr());
                    long t2 = System.nanoTime();
                    for (TrainingListener l : listeners) {
                        l.onStep(r, epoch, micro, t1 - t0, t2 - t0, rec);
                    }
                    metrics.write(rec);
                    if (!Double.isFinite(r.loss()) && nonFiniteLoss == NonFiniteLossPolicy.STOP) {
                        throw new NonFiniteLossException(step, epoch, r.loss(), lastCheckpoint);
                    }
                } finally {
                    closeAll(micro);
                }
                long step = trainer.stepCount();
                if (step == HOLD_AT_STEP) {
                    awaitStopRequest();
                }
                boolean last = step >= maxSteps;
                if (evaluator != null && ((evalEverySteps > 0 && step % evalEverySteps == 0) || (last && evalAtEnd))) {
                    if (evaluateAtStep(step)) {
                        reason = StopReason.EARLY_STOPPING;
                        break epochs;
                    }
                }
                if (!it.hasNext()) {
                    epochDone = true;
                    break;
                }
                if (stopRequested) {
                    reason = StopReason.INTERRUPTED;
                    break epochs;
                }
                if (checkpointEverySteps > 0 && step % checkpointEverySteps == 0) {
                    save();
                }
            }
            if (!epochDone) {
                break; // the step budget ran out mid-epoch
            }
            boolean stop = endEpoch(lastLr, (System.nanoTime() - epochStart) / 1e9);
            if (stop) {
                reason = StopReason.EARLY_STOPPING;
                break;
            }
            if (checkpointEachEpoch || (checkpointEverySteps > 0 && trainer.stepCount() % checkpointEverySteps == 0)) {
                save();
            }
            if (stopRequested) {
                reason = StopReason.INTERRUPTED;
                break;
            }
        }
        if (checkpoint != null && lastCheckpointStep != trainer.stepCount()) {
            save();
        }
        return new Result(trainer.stepCount(), epoch, reason, lastEvaluation, lastLoss, lastCheckpoint);
    }

    /** The epoch's record, evaluation and early-stopping check; returns whether to stop. */
    private boolean endEpoch(double lastLr, double trainSeconds) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("kind", "epoch");
        rec.put("step", trainer.stepCount());
        rec.put("epoch", epoch);
        rec.put("train_loss", epochSteps == 0 ? Double.NaN : epochLossSum / epochSteps);
        boolean stop = false;
        double evalSeconds = Double.NaN;
        if (evalEachEpoch) {
            long e0 = System.nanoTime();
            Map<String, Object> m = evaluator.evaluate();
            evalSeconds = (System.nanoTime() - e0) / 1e9;
            lastEvaluation = Map.copyOf(m);
            lastEvalStep = trainer.stepCount();
            rec.putAll(m);
            stop = earlyStopping != null && earlyStopping.update(m);
        }
        rec.put("lr", lastLr);
        rec.put("train_seconds", round3(trainSeconds));
        if (evalEachEpoch) {
            rec.put("eval_seconds", round3(evalSeconds));
        }
        for (TrainingListener l : listeners) {
            l.onEpochEnd(epoch, rec);
        }
        metrics.write(rec);
        epoch++;
        epochLossSum = 0;
        epochSteps = 0;
        return stop;
    }

    /** An evaluation by step cadence; returns whether early stopping says to stop. */
    private boolean evaluateAtStep(long step) {
        if (lastEvalStep == step) {
            return false; // already evaluated here (e.g. at the end of the budget that is also a cadence step)
        }
        long e0 = System.nanoTime();
        Map<String, Object> m = evaluator.evaluate();
        double seconds = (System.nanoTime() - e0) / 1e9;
        lastEvaluation = Map.copyOf(m);
        lastEvalStep = step;
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("kind", "eval");
        rec.put("step", step);
        rec.putAll(m);
        rec.put("eval_seconds", round3(seconds));
        for (TrainingListener l : listeners) {
            l.onEvaluation(step, m, rec);
        }
        metrics.write(rec);
        return step > 0 && earlyStopping != null && earlyStopping.update(m);
    }

    private void save() throws IOException {
        if (checkpoint == null) {
            return;
        }
        long step = trainer.stepCount();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(LOOP + "epoch", Long.toString(epoch));
        extra.put(LOOP + "epoch_steps", Long.toString(epochSteps));
        extra.put(LOOP + "epoch_loss_sum", Double.toString(epochLossSum));
        extra.put(LOOP + "last_eval_step", Long.toString(lastEvalStep));
        source.state().forEach((k, v) -> extra.put(SOURCE + k, v));
        if (earlyStopping != null) {
            earlyStopping.state().forEach((k, v) -> extra.put(EARLY + k, v));
        }
        extraStates.forEach((name, s) -> s.save().get().forEach((k, v) -> extra.put(name + "." + k, v)));
        lastCheckpoint = checkpointDir.save(checkpoint, step, extra);
        lastCheckpointStep = step;
        for (TrainingListener l : listeners) {
            l.onCheckpoint(step, lastCheckpoint);
        }
    }

    private static void closeAll(List<?> items) {
        RuntimeException first = null;
        for (Object o : items) {
            if (o instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    }
                } catch (Exception e) {
                    if (first == null) {
                        first = new IllegalStateException("closing a micro-batch failed", e);
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static double round3(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }

    /** Settings of a {@link TrainingLoop}; only the trainer and the source are required. */
    public static final class Builder<B> {
        private final Trainer<B> trainer;
        private final BatchSource<B> source;
        private int epochs = 1;
        private long maxSteps = Long.MAX_VALUE;
        private Evaluator evaluator;
        private int evalEverySteps;
        private boolean evalEachEpoch = true;
        private boolean evalAtStart;
        private boolean evalAtEnd;
        private MetricsSink metrics = MetricsSink.none();
        private final List<TrainingListener> listeners = new ArrayList<>();
        private EarlyStopping earlyStopping;
        private TrainingCheckpoint checkpoint;
        private CheckpointDirectory checkpointDir;
        private int checkpointEverySteps;
        private boolean checkpointEachEpoch;
        private final Map<String, ExtraState> extraStates = new LinkedHashMap<>();
        private NonFiniteLossPolicy nonFiniteLoss = NonFiniteLossPolicy.STOP;

        private Builder(Trainer<B> trainer, BatchSource<B> source) {
            if (trainer == null || source == null) {
                throw new IllegalArgumentException("TrainingLoop: trainer and source must not be null, got " + trainer + " and "
                        + source);
            }
            this.trainer = trainer;
            this.source = source;
        }

        /** Passes over the source (default 1; an endless source needs {@link #maxSteps}). */
        public Builder<B> epochs(int epochs) {
            if (epochs < 1) {
                throw new IllegalArgumentException("TrainingLoop: epochs must be >= 1, got " + epochs);
            }
            this.epochs = epochs;
            return this;
        }

        /** Stops when the trainer's step count reaches {@code steps} (default: no budget). */
        public Builder<B> maxSteps(long steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("TrainingLoop: maxSteps must be >= 1, got " + steps);
            }
            this.maxSteps = steps;
            return this;
        }

        /** Evaluates with {@code evaluator} at the end of every epoch unless {@link #evalEachEpoch} says otherwise. */
        public Builder<B> evaluator(Evaluator evaluator) {
            this.evaluator = evaluator;
            return this;
        }

        /** Also evaluates every {@code steps} optimizer steps (0: not by steps). */
        public Builder<B> evalEverySteps(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("TrainingLoop: evalEverySteps must be >= 0, got " + steps);
            }
            this.evalEverySteps = steps;
            return this;
        }

        /** Whether to evaluate at the end of each epoch (default true). */
        public Builder<B> evalEachEpoch(boolean each) {
            this.evalEachEpoch = each;
            return this;
        }

        /** Whether to evaluate once before the first step (recorded as step 0; not on resume). */
        public Builder<B> evalAtStart(boolean atStart) {
            this.evalAtStart = atStart;
            return this;
        }

        /** Whether to evaluate after the last step of the {@link #maxSteps} budget. */
        public Builder<B> evalAtEnd(boolean atEnd) {
            this.evalAtEnd = atEnd;
            return this;
        }

        public Builder<B> metrics(MetricsSink sink) {
            this.metrics = sink == null ? MetricsSink.none() : sink;
            return this;
        }

        /** Adds a listener (called in the order added). */
        public Builder<B> listener(TrainingListener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("TrainingLoop: listener must not be null");
            }
            listeners.add(listener);
            return this;
        }

        /** Stops when {@code early}'s metric stops improving; needs an evaluator. */
        public Builder<B> earlyStopping(EarlyStopping early) {
            this.earlyStopping = early;
            return this;
        }

        /** Where checkpoints go: written on stop and at the end, and as {@link #checkpointEverySteps}/{@link #checkpointEachEpoch} say. */
        public Builder<B> checkpoints(TrainingCheckpoint checkpoint, CheckpointDirectory dir) {
            if ((checkpoint == null) != (dir == null)) {
                throw new IllegalArgumentException("TrainingLoop: checkpoints needs both a TrainingCheckpoint and a directory, got "
                        + checkpoint + " and " + dir);
            }
            this.checkpoint = checkpoint;
            this.checkpointDir = dir;
            return this;
        }

        /** Checkpoints every {@code steps} optimizer steps (0: only at epoch ends, on stop and at the end). */
        public Builder<B> checkpointEverySteps(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("TrainingLoop: checkpointEverySteps must be >= 0, got " + steps);
            }
            this.checkpointEverySteps = steps;
            return this;
        }

        public Builder<B> checkpointEachEpoch(boolean each) {
            this.checkpointEachEpoch = each;
            return this;
        }

        /** What to do when a step's loss is NaN or infinite (default {@link NonFiniteLossPolicy#STOP}). */
        public Builder<B> onNonFiniteLoss(NonFiniteLossPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("TrainingLoop.onNonFiniteLoss: policy must not be null (STOP or CONTINUE)");
            }
            this.nonFiniteLoss = policy;
            return this;
        }

        /**
         * Saves {@code save}'s entries under {@code name.} in every checkpoint and hands them back to
         * {@code restore} on resume (a loss scaler's {@code state()} and {@code restore(Map)}).
         */
        public Builder<B> extraState(String name, Supplier<Map<String, String>> save, Consumer<Map<String, String>> restore) {
            if (name == null || !name.matches("[A-Za-z0-9_]+") || name.equals("loop") || name.equals("source")
                    || name.equals("early")) {
                throw new IllegalArgumentException("TrainingLoop.extraState: name must be letters, digits or '_' and not"
                        + " loop, source or early, got '" + name + "'");
            }
            if (save == null || restore == null || extraStates.putIfAbsent(name, new ExtraState(save, restore)) != null) {
                throw new IllegalArgumentException("TrainingLoop.extraState('" + name + "'): null functions or already registered");
            }
            return this;
        }

        public TrainingLoop<B> build() {
            if (earlyStopping != null && evaluator == null) {
                throw new IllegalArgumentException("TrainingLoop: earlyStopping needs an evaluator");
            }
            return new TrainingLoop<>(this);
        }
    }
}
