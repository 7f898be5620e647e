package dev.kiln.tensor;

/**
 * Batch-invariant kernels, per thread: inside {@code try (BatchInvariance _ = BatchInvariance.enter())}
 * a row of a matrix product gets bit-identical values whatever the number of rows it is computed
 * with, so a model's output for one example does not depend on which other examples share its
 * batch (what a server that batches requests dynamically promises its clients; vLLM calls this
 * batch invariance). Outside it the CPU GEMM picks the fastest path for the shape: a few rows
 * take dot-product or naive loops whose sums are ordered differently from the packed tiles many
 * rows take, so results move by about one ulp with the batch size. The invariant path costs
 * speed on products of a few rows (they run through packed tiles padded to the tile height).
 *
 * <p>Scopes nest; closing one restores the setting that was current when it was entered. Other
 * ops are row-wise already (normalisation, softmax, attention per sequence, elementwise).
 */
public final class BatchInvariance implements AutoCloseable {
    private static final ThreadSetting<Boolean> ON = new ThreadSetting<>("BatchInvariance", Boolean.FALSE);

    private final ThreadSetting<Boolean>.Scope scope;

    private BatchInvariance() {
        scope = ON.enter(Boolean.TRUE);
    }

    /** Makes this thread's matrix products batch-invariant until the scope closes. */
    public static BatchInvariance enter() {
        return new BatchInvariance();
    }

    /** Whether this thread's matrix products are batch-invariant now. */
    public static boolean isOn() {
        return ON.get();
    }

    @Override
    public void close() {
        scope.close();
    }
}
