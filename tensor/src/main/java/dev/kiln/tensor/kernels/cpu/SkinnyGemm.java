package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM shapes that {@link PackedGemm}'s register tile would mostly pad: C is only a few rows or
 * columns (a depthwise convolution's weight gradient is 1×9 per channel, summed over k = H·W). The
 * packed path computes whole MR×NR tiles, so at m = 1, n = 9 it does 28× the useful arithmetic and
 * packs for it; here every element of C is one vector dot product of two k-contiguous rows.
 *
 * <p>Measured by {@code ./kiln bench conv} (dw64: N=16, 64 channels, 32×32, k3, groups=64): the
 * weight-gradient product went from 42 ms to about 3 ms per step on one thread with plain dot
 * products; register blocks and L2-sized k slabs came later (see {@link #dots}).
 */
final class SkinnyGemm {
    /** The GEMM's species, so {@code -Dkiln.gemm.vectorBits} (PackedGemmTest) covers this path too. */
    private static final VectorSpecies<Float> S = PackedGemm.SPECIES;

    private SkinnyGemm() {}

    /**
     * True when the product suits {@link #dots}: A rows and op(B) columns both contiguous in k
     * ({@code !transA && transB}) and a padded register tile would waste at least half its work.
     * (A convolution's weight gradient with few input channels is like that: 32×9 summed over
     * k = N·OH·OW = 43264 for the reference CNN's first layer, which the packed path pads to 32×32
     * and packs a transposed 43264-long B for: 2.2 ms against 0.4 ms here, measured.)
     */
    static boolean suitsDots(boolean transA, boolean transB, int m, int n, int mr, int nr) {
        long padded = (long) ((m + mr - 1) / mr * mr) * ((n + nr - 1) / nr * nr);
        return !transA && transB && padded >= 2L * m * n;
    }

    /** Rows of A and of B per register tile of {@link #dots}: 12 vector accumulators, 7 loads per 12 FMAs. */
    private static final int TILE_M = 4, TILE_N = 3;

    /**
     * C = alpha·A·Bᵀ + beta·C with A m×k (row stride lda) and B n×k (row stride ldb); k ≥ 1.
     *
     * <p>k is cut into slabs short enough that the slab's m + n rows stay in L2 (each A row is
     * read again for every group of 3 B rows), and within a slab 4×3 blocks of C accumulate in
     * registers. With one slab the blocks of C are the parallel tasks; with several, each slab
     * writes its own partial C and the partials are added in slab order afterwards. The slab size
     * depends only on m, n and k, so the result does not depend on the thread count.
     */
    static void dots(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        int slab = slabLength(m, n);
        int slabs = (k + slab - 1) / slab;
        if (slabs == 1) {
            int rowBlocks = (m + TILE_M - 1) / TILE_M;
            int grain = (int) Math.max(1, (1L << 16) / ((long) k * TILE_M * n));
            CpuParallel.forRange(rowBlocks, grain, (s, e) -> {
                float[] block = new float[TILE_M * n];
                for (int rb = s; rb < e; rb++) {
                    int i0 = rb * TILE_M;
                    int rows = Math.min(TILE_M, m - i0);
                    java.util.Arrays.fill(block, 0f);
                    slabBlock(rows, n, 0, k, a, aOff + i0 * lda, lda, b, bOff, ldb, block, n);
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < n; j++) {
                            int ci = cOff + (i0 + i) * ldc + j;
                            float dot = block[i * n + j];
                            c[ci] = beta == 0f ? alpha * dot : Math.fma(beta, c[ci], alpha * dot);
                        }
                    }
                }
            });
            return;
        }
        float[] partial = new float[slabs * m * n];
        CpuParallel.forRange(slabs, 1, (s, e) -> {
            for (int q = s; q < e; q++) {
                int k0 = q * slab;
                slabBlock(m, n, k0, Math.min(k, k0 + slab), a, aOff, lda, b, bOff, ldb, partial, n, q * m * n);
            }
        });
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float dot = 0f;
                for (int q = 0; q < slabs; q++) {
                    dot += partial[q * m * n + i * n + j];
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? alpha * dot : Math.fma(beta, c[ci], alpha * dot);
            }
        }
    }

    /** Floats of k per slab: (m + n) rows of it fill about 512 KiB; a multiple of 64, at least 256. */
    static int slabLength(int m, int n) {
        int fit = (1 << 17) / Math.max(1, m + n);
        return Math.max(256, fit / 64 * 64);
    }

    private static void slabBlock(int m, int n, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] out, int ldo) {
        slabBlock(m, n, k0, k1, a, aOff, lda, b, bOff, ldb, out, ldo, 0);
    }

    /** out[oo + i*ldo + j] += Σ_{p in [k0, k1)} A[i][p]·B[j][p] for i < m, j < n. */
    private static void slabBlock(int m, int n, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] out, int ldo, int oo) {
        int m4 = m - m % TILE_M;
        int n3 = n - n % TILE_N;
        for (int i = 0; i < m4; i += TILE_M) {
            for (int j = 0; j < n3; j += TILE_N) {
                tile4x3(a, aOff + i * lda + k0, lda, b, bOff + j * ldb + k0, ldb, k1 - k0, out, oo + i * ldo + j, ldo);
            }
            for (int j = n3; j < n; j++) {
                for (int ii = i; ii < i + TILE_M; ii++) {
                    out[oo + ii * ldo + j] += dot(a, aOff + ii * lda + k0, b, bOff + j * ldb + k0, k1 - k0);
                }
            }
        }
        for (int i = m4; i < m; i++) {
            for (int j = 0; j < n; j++) {
                out[oo + i * ldo + j] += dot(a, aOff + i * lda + k0, b, bOff + j * ldb + k0, k1 - k0);
            }
        }
    }

    /** out[r*ldo + s] += dot(A row r, B row s) over len floats, for a 4×3 block. */
    private static void tile4x3(float[] a, int ai, int lda, float[] b, int bi, int ldb, int len, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
        int step = S.length();
        int p = 0;
        for (int bound = len - step + 1; p < bound; p += step) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi + p);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + ldb + p);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * ldb + p);
            FloatVector x = FloatVector.fromArray(S, a, ai + p);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.fromArray(S, a, ai + lda + p);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.fromArray(S, a, ai + 2 * lda + p);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.fromArray(S, a, ai + 3 * lda + p);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        // Lanes summed in a fixed order (VectorMath.sum), not reduceLanes: same bits however warm the JIT is.
        float[] lanes = new float[step];
        float[] t = {
            VectorMath.sum(c00, lanes), VectorMath.sum(c01, lanes), VectorMath.sum(c02, lanes),
            VectorMath.sum(c10, lanes), VectorMath.sum(c11, lanes), VectorMath.sum(c12, lanes),
            VectorMath.sum(c20, lanes), VectorMath.sum(c21, lanes), VectorMath.sum(c22, lanes),
            VectorMath.sum(c30, lanes), VectorMath.sum(c31, lanes), VectorMath.sum(c32, lanes),
        };
        for (; p < len; p++) {
            for (int r = 0; r < TILE_M; r++) {
                float x = a[ai + r * lda + p];
                for (int s2 = 0; s2 < TILE_N; s2++) {
                    t[r * TILE_N + s2] = Math.fma(x, b[bi + s2 * ldb + p], t[r * TILE_N + s2]);
                }
            }
        }
        for (int r = 0; r < TILE_M; r++) {
            for (int s2 = 0; s2 < TILE_N; s2++) {
                out[oi + r * ldo + s2] += t[r * TILE_N + s2];
            }
        }
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
        float sum = VectorMath.sum(acc0.add(acc1));
        for (; p < k; p++) {
            sum = Math.fma(x[xo + p], y[yo + p], sum);
        }
        return sum;
    }
}
