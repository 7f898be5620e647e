package dev.kiln.nn;

import dev.kiln.autograd.Var;

/** Batch normalization of [N, C, H, W] over N, H and W per channel; see {@link BatchNorm}. */
public final class BatchNorm2d extends BatchNorm {
    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (torch's defaults). */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** {@code momentum} null: cumulative moving average of the batch statistics. */
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    void checkRank(Var x) {
        if (x.value().rank() != 4) {
            throw new IllegalArgumentException("BatchNorm2d: expected 4-D input [N, C, H, W], got " + x.value().rank()
                    + "-D input of shape " + x.shape());
        }
    }
}
