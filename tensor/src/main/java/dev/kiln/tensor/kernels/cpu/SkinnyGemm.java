package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM shapes that {@link PackedGemm}'s register tile would mostly pad: C is only a few rows or
 * columns (a depthwise convolution's weight gradient is 1×9 per channel, summed over k = H·W). The
 * packed path computes whole MR×NR tiles, so at m = 1, n = 9 it does 28× the useful arithmetic and
 * packs for it; here every element of C is one vector dot product of two k-contiguous rows.
 *
 * <p>Measured by {@code ./kiln bench conv} (dw64: N=16, 64 channels, 32×32, k3, groups=64): the
 * weight-gradient product went from 42 ms to about 3 ms per step on one thread.
 */
final class SkinnyGemm {
    /** The GEMM's species, so {@code -Dkiln.gemm.vectorBits} (PackedGemmTest) covers this path too. */
    private static final VectorSpecies<Float> S = PackedGemm.SPECIES;

    private SkinnyGemm() {}

    /**
     * True when the product suits {@link #dots}: A rows and op(B) columns both contiguous in k
     * ({@code !transA && transB}) and a padded register tile would waste at least 3/4 of its work.
     */
    static boolean suitsDots(boolean transA, boolean transB, int m, int n, int mr, int nr) {
        long padded = (long) ((m + mr - 1) / mr * mr) * ((n + nr - 1) / nr * nr);
        return !transA && transB && padded >= 4L * m * n;
    }

    /** C = alpha·A·Bᵀ + beta·C with A m×k (row stride lda) and B n×k (row stride ldb); k ≥ 1. */
    static void dots(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        int grain = (int) Math.max(1, (1L << 16) / k);
        CpuParallel.forRange(m * n, grain, (s, e) -> {
            for (int idx = s; idx < e; idx++) {
                int i = idx / n, j = idx % n;
                float dot = dot(a, aOff + i * lda, b, bOff + j * ldb, k);
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? alpha * dot : Math.fma(beta, c[ci], alpha * dot);
            }
        });
    }

    private static float dot(float[] x, int xo, float[] y, int yo, int k) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int step = S.length();
        int p = 0;
        for (int bound = k - 2 * step + 1; p < bound; p += 2 * step) {
            acc0 = FloatVector.fromArray(S, x, xo + p).fma(FloatVector.fromArray(S, y, yo + p), acc0);
            acc1 = FloatVector.fromArray(S, x, xo + p + step).fma(FloatVector.fromArray(S, y, yo + p + step), acc1);
        }
        for (; p <= k - step; p += step) {
            acc0 = FloatVector.fromArray(S, x, xo + p).fma(FloatVector.fromArray(S, y, yo + p), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            sum = Math.fma(x[xo + p], y[yo + p], sum);
        }
        return sum;
    }
}
