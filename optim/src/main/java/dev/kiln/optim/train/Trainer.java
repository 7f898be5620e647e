package dev.kiln.optim.train;

import dev.kiln.autograd.Var;
import dev.kiln.optim.GradClip;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Runs optimizer steps over micro-batches. One {@link #step} is: for each of the
 * {@code accumulationSteps} micro-batches, compute its loss, multiply it by
 * {@code 1 / accumulationSteps} and backward (gradients add up in the parameters); then unscale
 * (with {@link LossScaling}), clip to {@code maxGradNorm}, step the optimizer, step the
 * scheduler and zero the gradients. Gradients a parameter holds before a step are dropped
 * first, so only the step's own micro-batches contribute.
 *
 * <p>With a mean-reduced loss, accumulating N micro-batches of size B equals one step on the
 * batch of N·B: the mean over N·B examples is the mean of the N micro-batch means.
 *
 * <pre>{@code
 * Trainer<Batch> trainer = Trainer.builder(optimizer, (Batch b) -> Losses.crossEntropy(model.forward(b.x()), b.y()))
 *         .scheduler(scheduler).maxGradNorm(1.0).accumulationSteps(4).build();
 * Trainer.StepResult r = trainer.step(List.of(b0, b1, b2, b3));
 * }</pre>
 *
 * <p><b>Memory.</b> Each micro-batch's forward and backward run inside their own
 * {@link TensorScope}, closed after the backward: the activations of one micro-batch are freed
 * before the next starts. Tensors the loss function must keep beyond it have to be escaped
 * ({@link TensorScope#escape}); parameters, gradients, optimizer state and buffers updated in
 * place are unaffected.
 *
 * <p>Not thread-safe; a trainer drives one optimizer from one thread.
 *
 * @param <B> the micro-batch type
 */
public final class Trainer<B> {
    /** The scalar loss of one micro-batch (mean-reduced over its examples for accumulation to match a big batch). */
    @FunctionalInterface
    public interface LossFunction<B> {
        Var loss(B microBatch);
    }

    /**
     * What one optimizer step did.
     *
     * @param step the trainer's step count after this step (1 after the first)
     * @param loss the mean of the micro-batch losses (unscaled)
     * @param gradNorm the global gradient norm before clipping, NaN without clipping
     * @param lr group 0's learning rate used by this step (before the scheduler advanced)
     * @param applied false when the loss scaler skipped the update (inf/NaN gradients)
     */
    public record StepResult(long step, double loss, double gradNorm, double lr, boolean applied) {}

    /**
     * Where the last step's time went, in nanoseconds: the loss functions (forward), the backward
     * passes, and the rest (unscale, clip, optimizer and scheduler step, zeroing gradients).
     */
    public record Phases(long forwardNanos, long backwardNanos, long optimizerNanos) {}

    private final Optimizer optimizer;
    private final LossFunction<B> lossFunction;
    private final LrScheduler scheduler;
    private final double maxGradNorm;
    private final int accumulationSteps;
    private final LossScaling lossScaling;
    private final List<Var> params;
    private long step;
    private Phases lastPhases = new Phases(0, 0, 0);

    private Trainer(Builder<B> b) {
        this.optimizer = b.optimizer;
        this.lossFunction = b.lossFunction;
        this.scheduler = b.scheduler;
        this.maxGradNorm = b.maxGradNorm;
        this.accumulationSteps = b.accumulationSteps;
        this.lossScaling = b.lossScaling;
        List<Var> ps = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            ps.addAll(g.params());
        }
        this.params = List.copyOf(ps);
    }

    public static <B> Builder<B> builder(Optimizer optimizer, LossFunction<B> lossFunction) {
        return new Builder<>(optimizer, lossFunction);
    }

    /** Settings of a {@link Trainer}; only the optimizer and the loss function are required. */
    public static final class Builder<B> {
        private final Optimizer optimizer;
        private final LossFunction<B> lossFunction;
        private LrScheduler scheduler;
        private double maxGradNorm = Double.NaN;
        private int accumulationSteps = 1;
        private LossScaling lossScaling;

        private Builder(Optimizer optimizer, LossFunction<B> lossFunction) {
            if (optimizer == null || lossFunction == null) {
                throw new IllegalArgumentException("Trainer: optimizer and lossFunction must not be null, got " + optimizer
                        + " and " + lossFunction);
            }
            this.optimizer = optimizer;
            this.lossFunction = lossFunction;
        }

        /** Stepped once after every optimizer step (also a step the loss scaler skipped). */
        public Builder<B> scheduler(LrScheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** Clips the global L2 gradient norm to {@code maxNorm} before every step ({@link GradClip#clipGradNorm}). */
        public Builder<B> maxGradNorm(double maxNorm) {
            if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
                throw new IllegalArgumentException("Trainer: maxGradNorm must be positive and finite, got " + maxNorm);
            }
            this.maxGradNorm = maxNorm;
            return this;
        }

        /** Micro-batches per optimizer step (1: no accumulation). */
        public Builder<B> accumulationSteps(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("Trainer: accumulationSteps must be >= 1, got " + n);
            }
            this.accumulationSteps = n;
            return this;
        }

        /** Loss scaling for half-precision training (e.g. {@code LossScaling.of(new DynamicLossScaler())}); null for none. */
        public Builder<B> lossScaling(LossScaling lossScaling) {
            this.lossScaling = lossScaling;
            return this;
        }

        public Trainer<B> build() {
            return new Trainer<>(this);
        }
    }

    /**
     * One optimizer step over exactly {@link #accumulationSteps()} micro-batches.
     *
     * @throws IllegalArgumentException when the number of micro-batches differs, or a loss is not a
     *     single element
     */
    public StepResult step(List<B> microBatches) {
        if (microBatches == null || microBatches.size() != accumulationSteps) {
            throw new IllegalArgumentException("Trainer.step: expected " + accumulationSteps + " micro-batches (accumulationSteps), got "
                    + (microBatches == null ? "null" : microBatches.size()));
        }
        optimizer.zeroGrad(true); // gradients left by the caller must not leak into this step
        double lossSum = 0;
        long forwardNanos = 0;
        long backwardNanos = 0;
        for (int i = 0; i < accumulationSteps; i++) {
            try (TensorScope _ = TensorScope.open()) {
                long t0 = System.nanoTime();
                Var loss = lossFunction.loss(microBatches.get(i));
                long t1 = System.nanoTime();
                forwardNanos += t1 - t0;
                if (loss == null || loss.value().numel() != 1) {
                    throw new IllegalArgumentException("Trainer.step: the loss of micro-batch " + i
                            + " must be a single element, got " + (loss == null ? "null" : "shape " + loss.value().shape()));
                }
                lossSum += loss.value().item();
                // 1/N is exact for powers of two; otherwise one rounding per micro-batch, as in torch.
                Var weighted = accumulationSteps == 1 ? loss : loss.mul(1.0 / accumulationSteps);
                (lossScaling == null ? weighted : lossScaling.scale(weighted)).backward();
                backwardNanos += System.nanoTime() - t1;
            }
        }
        long t2 = System.nanoTime();
        if (lossScaling != null) {
            lossScaling.unscale(optimizer);
        }
        double norm = Double.isNaN(maxGradNorm) ? Double.NaN : GradClip.clipGradNorm(params, maxGradNorm);
        double lr = optimizer.paramGroups().get(0).lr();
        boolean applied;
        if (lossScaling != null) {
            applied = lossScaling.step(optimizer);
            lossScaling.update();
        } else {
            optimizer.step();
            applied = true;
        }
        if (scheduler != null) {
            scheduler.step();
        }
        optimizer.zeroGrad(true);
        step++;
        lastPhases = new Phases(forwardNanos, backwardNanos, System.nanoTime() - t2);
        return new StepResult(step, lossSum / accumulationSteps, norm, lr, applied);
    }

    /** One optimizer step over the next {@link #accumulationSteps()} micro-batches of {@code batches}. */
    public StepResult step(Iterator<B> batches) {
        List<B> micro = new ArrayList<>(accumulationSteps);
        for (int i = 0; i < accumulationSteps; i++) {
            if (!batches.hasNext()) {
                throw new NoSuchElementException("Trainer.step: the iterator ran out after " + i + " of "
                        + accumulationSteps + " micro-batches");
            }
            micro.add(batches.next());
        }
        return step(micro);
    }

    /** The time split of the last {@link #step} (zeros before the first). */
    public Phases lastPhases() {
        return lastPhases;
    }

    public int accumulationSteps() {
        return accumulationSteps;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** Optimizer steps taken (the value to put in a checkpoint). */
    public long stepCount() {
        return step;
    }

    /** Resumes the step count (from a checkpoint); the scheduler is restored separately. */
    public void setStepCount(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("Trainer.setStepCount: step must be >= 0, got " + step);
        }
        this.step = step;
    }
}
