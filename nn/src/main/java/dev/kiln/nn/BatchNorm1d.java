package dev.kiln.nn;

import dev.kiln.autograd.Var;

/** Batch normalization of [N, C] or [N, C, L] over N (and L) per channel; see {@link BatchNorm}. */
public final class BatchNorm1d extends BatchNorm {
    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (torch's defaults). */
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** {@code momentum} null: cumulative moving average of the batch statistics. */
    public BatchNorm1d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    void checkRank(Var x) {
        int rank = x.value().rank();
        if (rank != 2 && rank != 3) {
            throw new IllegalArgumentException("BatchNorm1d: expected 2-D [N, C] or 3-D [N, C, L] input, got " + rank
                    + "-D input of shape " + x.shape());
        }
    }
}
