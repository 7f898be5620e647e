package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * Batch normalization over dim 1 (channels) of [N, C, ...] (the shared part of torch's
 * {@code BatchNorm1d}/{@code BatchNorm2d}): {@code (x - mean) / sqrt(var + eps) * weight + bias}
 * per channel, with torch's parameter and buffer names ({@code weight}, {@code bias},
 * {@code running_mean}, {@code running_var}, {@code num_batches_tracked}).
 *
 * <p>In training the statistics are the batch's, over every dim but 1, with the biased variance;
 * the running statistics then move towards the batch's with {@code momentum}
 * ({@code running = (1 - momentum) * running + momentum * batch}), using the unbiased variance,
 * and {@code num_batches_tracked} counts the steps. A null momentum makes the running statistics
 * the cumulative average of every batch so far (factor {@code 1 / num_batches_tracked}). In
 * evaluation the running statistics are used, unless the module does not track them.
 */
public abstract sealed class BatchNorm extends UnaryModule permits BatchNorm1d, BatchNorm2d {
    public final int numFeatures;
    public final double eps;
    /** Null: cumulative moving average. */
    public final Double momentum;
    /** Null without affine. */
    public final Var weight;
    /** Null without affine. */
    public final Var bias;
    /** Null without running statistics; updated in place, so references stay valid. */
    public final Tensor runningMean;
    public final Tensor runningVar;
    /** 0-dim I64. */
    public final Tensor numBatchesTracked;

    BatchNorm(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": numFeatures must be positive, got " + numFeatures);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": eps must be positive, got " + eps);
        }
        if (momentum != null && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": momentum must be in [0, 1] or null, got "
                    + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        if (affine) {
            weight = registerParameter("weight", Tensor.ones(numFeatures));
            bias = registerParameter("bias", Tensor.zeros(numFeatures));
        } else {
            weight = null;
            bias = null;
        }
        if (trackRunningStats) {
            runningMean = registerBuffer("running_mean", Tensor.zeros(numFeatures));
            runningVar = registerBuffer("running_var", Tensor.ones(numFeatures));
            numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros(DType.I64));
        } else {
            runningMean = null;
            runningVar = null;
            numBatchesTracked = null;
        }
    }

    /** Throws unless {@code x} has a rank this layer accepts (and says which in the message). */
    abstract void checkRank(Var x);

    @Override
    public Var forward(Var x) {
        checkRank(x);
        if (x.value().size(1) != numFeatures) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": expected " + numFeatures
                    + " channels (dim 1), got input shape " + x.shape());
        }
        boolean useBatchStats = isTraining() || runningMean == null;
        if (useBatchStats) {
            checkSeveralValues(getClass().getSimpleName(), x);
        }
        double factor = 0;
        if (isTraining() && runningMean != null) {
            long steps = (long) numBatchesTracked.item() + 1;
            numBatchesTracked.copyFrom(Tensor.scalar(steps, DType.I64));
            factor = momentum == null ? 1.0 / steps : momentum;
        }
        return batchNorm(x, isTraining() ? runningMean : null, isTraining() ? runningVar : null, runningMean, runningVar,
                weight, bias, useBatchStats, factor, eps);
    }

    /**
     * torch's {@code F.batch_norm}: x [N, C, ...]; runningMean/runningVar [C] (or null), weight/bias
     * [C] (or null). With {@code training}, normalizes with the batch statistics and, when the
     * running tensors are given, updates them in place with {@code momentum}; otherwise uses the
     * running statistics, which must then be given.
     */
    public static Var batchNorm(Var x, Tensor runningMean, Tensor runningVar, Var weight, Var bias, boolean training,
                                double momentum, double eps) {
        if (x.value().rank() < 2 || x.value().size(1) < 1) {
            throw new IllegalArgumentException("batchNorm: input must be [N, C, ...] with C >= 1, got shape " + x.shape());
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batchNorm: evaluation (training=false) needs running_mean and running_var");
        }
        if (training) {
            checkSeveralValues("batchNorm", x);
        }
        return batchNorm(x, training ? runningMean : null, training ? runningVar : null, runningMean, runningVar,
                weight, bias, training, momentum, eps);
    }

    // x [N, C, *]; stats over every dim but 1; update* are the running tensors to move (training only),
    // use* the ones to normalize with (evaluation only).
    private static Var batchNorm(Var x, Tensor updateMean, Tensor updateVar, Tensor useMean, Tensor useVar, Var weight,
                                 Var bias, boolean training, double momentum, double eps) {
        Tensor v = x.value();
        int rank = v.rank();
        int channels = v.size(1);
        int[] perChannel = new int[rank]; // [1, C, 1, ...]
        Arrays.fill(perChannel, 1);
        perChannel[1] = channels;
        checkPerChannel("weight", weight == null ? null : weight.value().shape(), channels, x);
        checkPerChannel("bias", bias == null ? null : bias.value().shape(), channels, x);
        checkPerChannel("running_mean", useMean == null ? null : useMean.shape(), channels, x);
        checkPerChannel("running_var", useVar == null ? null : useVar.shape(), channels, x);
        Var y;
        if (training) {
            int[] dims = new int[rank - 1];
            dims[0] = 0;
            for (int d = 2; d < rank; d++) {
                dims[d - 1] = d;
            }
            Var mean = x.mean(dims, true);
            Var var = x.var(dims, 0, true);
            y = x.sub(mean).mul(var.add(eps).rsqrt());
            if (updateMean != null) {
                int n = v.numel() / channels;
                try (Tensor m = mean.value().reshape(channels);
                     Tensor unbiased = var.value().reshape(channels).mul((double) n / (n - 1))) {
                    moveTowards(updateMean, m, momentum);
                    moveTowards(updateVar, unbiased, momentum);
                }
            }
        } else {
            Tensor mean = useMean.to(v.dtype()).reshape(perChannel);
            Tensor scale = useVar.to(v.dtype()).add(eps).rsqrt().reshape(perChannel);
            y = x.sub(Var.constant(mean)).mul(Var.constant(scale));
        }
        if (weight != null) {
            y = y.mul(weight.reshape(perChannel));
        }
        if (bias != null) {
            y = y.add(bias.reshape(perChannel));
        }
        return y;
    }

    // running = (1 - momentum) * running + momentum * batch, in place
    private static void moveTowards(Tensor running, Tensor batch, double momentum) {
        try (Tensor kept = running.mul(1 - momentum); Tensor added = batch.mul(momentum); Tensor sum = kept.add(added)) {
            running.copyFrom(sum);
        }
    }

    private static void checkPerChannel(String name, Shape s, int channels, Var x) {
        if (s != null && (s.rank() != 1 || s.size(0) != channels)) {
            throw new IllegalArgumentException("batchNorm: " + name + " must be [" + channels + "] for input shape "
                    + x.shape() + ", got " + s);
        }
    }

    private static void checkSeveralValues(String op, Var x) {
        if (x.value().numel() / x.value().size(1) <= 1) {
            throw new IllegalArgumentException(op + ": expected more than 1 value per channel when training, got input shape "
                    + x.shape());
        }
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null)
                + ", track_running_stats=" + (runningMean != null);
    }
}
