package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, {@code C = alpha·op(A)·op(B) + beta·C}, on row-major {@code float[]}.
 *
 * <p>The structure is Goto/BLIS: the {@code k} dimension is cut into {@link #KC}-deep slabs; for
 * each slab a {@code KC×NC} block of {@code op(B)} is packed into {@link #NR}-column micro-panels
 * and each {@code MC×KC} block of {@code alpha·op(A)} into {@link #MR}-row micro-panels, both laid
 * out in the order the micro-kernel reads them (contiguous, unit stride, zero-padded at the edges,
 * transposes resolved). A register-blocked micro-kernel then computes every {@code MR×NR} tile of
 * C with {@code FloatVector} FMAs, holding the whole tile in registers across the slab.
 *
 * <p>Threads ({@link CpuParallel#threads()}) split C into disjoint column (or row) bands of whole
 * micro-tiles; each thread packs its own A and B into its own buffers, so threads share no writes
 * except, at most, the one cache line per C row that straddles two bands.
 *
 * <p>Tuning (AMD EPYC Zen 4, AVX-512, 32 KiB L1d, 1 MiB L2 per core; 2026-11-29; numbers are
 * single-thread GFLOPS at n = 256 / 512 / 1024 next to numpy/OpenBLAS ≈ 102 / 102 / 99 on the same
 * machine; see BENCHMARKS.md and {@code kiln bench gemm}). Micro-kernel shapes, as rows × columns at
 * 16 floats per vector, KC=256 MC=96 NC=1024:
 * <pre>
 *   v1  6×32 (12 accumulators)  104 / 103 /  95
 *   v2  8×32 (16 accumulators)  104 / 103 /  95   ← chosen
 *   v3 12×32 (24 accumulators)  100 / 104 /  95
 *   v4 14×32 (28 accumulators)  100 / 103 /  91
 *   v5  4×48, v6 8×48           105 / 106 / 91–96 (at n = 240/480/960: 48 divides no power of two)
 *   v7  6×64 (24 accumulators)  105 / 106 / 100
 *   v8  4×64 (16 accumulators)  106 / 109 /  97
 * </pre>
 * Every shape runs full tiles near the FMA peak, so the choice is about edges and registers:
 * 8×(2 vectors) pads least for power-of-two sizes and its 16 accumulators + 2 B vectors + 1
 * broadcast fit AVX-512's 32 registers. At 256 bits or less the machine may be AVX2 with 16
 * registers, so there the kernel is 6×(2 vectors), the classic Haswell 6×16 (12 accumulators).
 * Loop order: A micro-panel outer (in L1), B micro-panels inner (streaming from L2/L3) beat the
 * BLIS order (B micro-panel resident) at n = 1024: 101 vs 94.
 */
public final class PackedGemm {
    /** Vector species of the micro-kernel; {@code -Dkiln.gemm.vectorBits=128|256|512} overrides (tests). */
    static final VectorSpecies<Float> SPECIES = species(Integer.getInteger("kiln.gemm.vectorBits", 0));
    private static final int L = SPECIES.length();
    /** Rows of the register tile. */
    static final int MR = L >= 16 ? 8 : 6;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /**
     * Depth of a packed slab. Measured at n = 1024, one thread: KC=128 96–98, 256 100–101, 512 104
     * GFLOPS (2 threads alike). Deeper slabs mean fewer passes over C and fewer packing restarts;
     * the 8×512 A micro-panel (16 KiB) still sits in half of L1. k ≤ 512 takes a single slab.
     */
    static final int KC = 512;
    /** Rows of A packed per block: 96×512 floats = 192 KiB, in L2. A multiple of both 8 and 6. */
    static final int MC = 96;
    /**
     * Columns of B packed per block: 512×1024 floats = 2 MiB, streamed from L2/L3 by the hardware
     * prefetcher (sequential micro-panels). NC=512 cost 5–10% at n = 1024 (A re-packed twice as often).
     */
    static final int NC = 1024;
    /**
     * Below this many multiply-adds (m·n·k) one thread does it all. Measured 1 vs 2 threads on
     * square sizes: 32³ 0.34× (hand-off dominates), 48³ 1.18×, 64³ 1.36×, 128³ 1.54×.
     */
    static final long PARALLEL_MIN_MACS = 1L << 17;
    /**
     * At most this many multiply-adds go to a plain triple loop: below ~4³ packing and the padded
     * tile cost more than the arithmetic (4³: 0.07 µs loop vs 0.12 µs packed; 8³: 0.45 vs 0.23).
     */
    static final long TINY_MACS = 64;

    private PackedGemm() {}

    private static VectorSpecies<Float> species(int bits) {
        return switch (bits) {
            case 0 -> FloatVector.SPECIES_PREFERRED;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "kiln.gemm.vectorBits must be 128, 256 or 512, got " + bits);
        };
    }

    /** Per-thread pack buffers, grown on demand and then reused by every call on that thread. */
    private static final class Workspace {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major. op(A) is m×k, op(B) is k×n.
     * A element (i,p) is {@code a[aOff + i*lda + p]} when !transA, {@code a[aOff + p*lda + i]} when
     * transA; same for B with (p,j). C element (i,j) is {@code c[cOff + i*ldc + j]}.
     * {@code beta == 0} means C is overwritten (NaNs in C are not propagated), as in BLAS; when
     * {@code alpha == 0} or {@code k == 0}, A and B are not read and C becomes {@code beta·C}.
     *
     * <p>Uses up to {@link CpuParallel#threads()} threads. Safe to call concurrently from several
     * threads on disjoint C (each thread has its own pack buffers).
     *
     * @throws IllegalArgumentException if a size, offset or leading dimension is negative, a leading
     *     dimension is smaller than the row it strides over, or an array is too short
     * @throws NullPointerException if an array is null
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, false);
    }

    /**
     * {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[], int, int)}
     * that, when {@code rowInvariant}, always takes the packed tiles: each row of C is then the same
     * to the bit whatever m is (the k order of every element depends only on k), at the cost of
     * padding products of a few rows to the tile height instead of taking the naive or dot-product
     * paths, whose sum order differs.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc, boolean rowInvariant) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: sizes must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
        }
        checkMatrix("A", a, aOff, lda, transA ? k : m, transA ? m : k, transA);
        checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n, transB);
        checkMatrix("C", c, cOff, ldc, m, n, false);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        if ((long) m * n * k <= TINY_MACS && !rowInvariant) {
            tiny(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (!rowInvariant && SkinnyGemm.suitsDots(transA, transB, m, n, MR, NR)) {
            SkinnyGemm.dots(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int nUnits = (n + NR - 1) / NR;
        int mUnits = (m + MR - 1) / MR;
        boolean splitN = nUnits >= mUnits;
        int units = splitN ? nUnits : mUnits;
        int threads = (long) m * n * k < PARALLEL_MIN_MACS ? 1 : CpuParallel.chunksFor(units, 1);
        if (threads <= 1) {
            gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        CpuParallel.forRange(units, 1, (start, end) -> {
            if (splitN) {
                int j0 = start * NR;
                int j1 = Math.min(n, end * NR);
                gemm(transA, transB, m, j1 - j0, k, alpha, a, aOff, lda,
                        b, bOff + (transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0, ldc);
            } else {
                int i0 = start * MR;
                int i1 = Math.min(m, end * MR);
                gemm(transA, transB, i1 - i0, n, k, alpha, a, aOff + (transA ? i0 : i0 * lda), lda,
                        b, bOff, ldb, beta, c, cOff + i0 * ldc, ldc);
            }
        });
    }

    private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols, boolean trans) {
        if (x == null) {
            throw new NullPointerException("sgemm: " + name + " is null");
        }
        if (off < 0) {
            throw new IllegalArgumentException("sgemm: " + name + " offset must be >= 0, got " + off);
        }
        if (ld < cols) {
            throw new IllegalArgumentException("sgemm: ld" + Character.toLowerCase(name.charAt(0)) + "=" + ld
                    + " is smaller than the " + cols + " columns of stored " + name + " (" + rows + "×" + cols
                    + (trans ? ", transposed" : "") + ")");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long needed = off + (long) (rows - 1) * ld + cols;
        if (needed > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " has length " + x.length + " but " + rows + "×"
                    + cols + (trans ? " (transposed)" : "") + " with offset " + off + " and ld " + ld
                    + " needs " + needed);
        }
    }

    /** C = beta·C; beta == 0 writes zeros so NaN/Inf in C do not survive. */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                c[row + j] = beta == 0f ? 0f : beta * c[row + j];
            }
        }
    }

    /** The whole product with scalar dot products, for problems too small to amortise packing. */
    private static void tiny(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        int aRow = transA ? 1 : lda, aCol = transA ? lda : 1;
        int bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    sum = Math.fma(a[aOff + i * aRow + p * aCol], b[bOff + p * bRow + j * bCol], sum);
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? alpha * sum : Math.fma(beta, c[ci], alpha * sum);
            }
        }
    }

    /** Single-threaded blocked GEMM on one band of C; arguments already validated. */
    private static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Workspace ws = WORKSPACE.get();
        int kcMax = Math.min(KC, k);
        float[] ap = ws.a(Math.min(MC, roundUp(m, MR)) * kcMax);
        float[] bp = ws.b(Math.min(NC, roundUp(n, NR)) * kcMax);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (transB) {
                    packBTransposed(kc, nc, b, bOff + jc * ldb + pc, ldb, bp);
                } else {
                    packB(kc, nc, b, bOff + pc * ldb + jc, ldb, bp);
                }
                // Only the first slab applies the caller's beta; later slabs accumulate.
                float slabBeta = pc == 0 ? beta : 1f;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    if (transA) {
                        packATransposed(mc, kc, alpha, a, aOff + pc * lda + ic, lda, ap);
                    } else {
                        packA(mc, kc, alpha, a, aOff + ic * lda + pc, lda, ap);
                    }
                    macroKernel(mc, nc, kc, ap, bp, slabBeta, c, cOff + ic * ldc + jc, ldc, ws.tile);
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /**
     * All MR×NR tiles of an mc×nc block of C. Row panels of A are the outer loop so that one A
     * micro-panel stays in L1 while the packed B block streams from L2.
     *
     * <p>The micro-kernel only ever stores its tile: with beta ≠ 0 (every slab after the first) it
     * stores into {@code tile} and {@link #accumulateTile} adds that into C. Folding the C update
     * into the micro-kernel would be one pass less, but it roughly doubles the kernel's inlined
     * size and C2 then gives up inlining the Vector API calls ("callee is too large") and boxes
     * every vector: 6× slower (measured).
     */
    private static void macroKernel(int mc, int nc, int kc, float[] ap, float[] bp, float beta,
                                    float[] c, int cIdx, int ldc, float[] tile) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                int ci = cIdx + ir * ldc + jr;
                if (mr == MR && nr == NR) {
                    if (beta == 0f) {
                        kernel(kc, ap, ir * kc, bp, jr * kc, c, ci, ldc);
                    } else {
                        kernel(kc, ap, ir * kc, bp, jr * kc, tile, 0, NR);
                        accumulateTile(tile, beta, c, ci, ldc);
                    }
                } else {
                    // Edge tile: compute the padded tile aside, then merge only the valid part.
                    kernel(kc, ap, ir * kc, bp, jr * kc, tile, 0, NR);
                    mergeTile(tile, mr, nr, beta, c, ci, ldc);
                }
            }
        }
    }

    /** C[0:MR, 0:NR] = tile + beta·C. */
    private static void accumulateTile(float[] tile, float beta, float[] c, int ci, int ldc) {
        FloatVector bv = FloatVector.broadcast(SPECIES, beta);
        for (int i = 0; i < MR; i++) {
            int row = ci + i * ldc;
            for (int v = 0; v < NR; v += L) {
                FloatVector.fromArray(SPECIES, c, row + v).fma(bv, FloatVector.fromArray(SPECIES, tile, i * NR + v))
                        .intoArray(c, row + v);
            }
        }
    }

    /** C[0:mr, 0:nr] = tile (beta == 0) or tile + beta·C, for a partial edge tile. */
    private static void mergeTile(float[] tile, int mr, int nr, float beta, float[] c, int ci, int ldc) {
        for (int i = 0; i < mr; i++) {
            int row = ci + i * ldc;
            for (int j = 0; j < nr; j++) {
                float t = tile[i * NR + j];
                c[row + j] = beta == 0f ? t : Math.fma(beta, c[row + j], t);
            }
        }
    }

    /** Packs op(B) = B (kc×nc, row stride ldb) into NR-wide micro-panels, zero-padding the last. */
    private static void packB(int kc, int nc, float[] b, int bIdx, int ldb, float[] bp) {
        int o = 0;
        for (int j = 0; j < nc; j += NR) {
            int nr = Math.min(NR, nc - j);
            if (nr == NR) {
                for (int p = 0; p < kc; p++, o += NR) {
                    int src = bIdx + p * ldb + j;
                    FloatVector.fromArray(SPECIES, b, src).intoArray(bp, o);
                    FloatVector.fromArray(SPECIES, b, src + L).intoArray(bp, o + L);
                }
            } else {
                for (int p = 0; p < kc; p++, o += NR) {
                    int src = bIdx + p * ldb + j;
                    for (int jj = 0; jj < nr; jj++) {
                        bp[o + jj] = b[src + jj];
                    }
                    for (int jj = nr; jj < NR; jj++) {
                        bp[o + jj] = 0f;
                    }
                }
            }
        }
    }

    /** Packs op(B) = Bᵀ, where B is stored nc×kc (row stride ldb), into NR-wide micro-panels. */
    private static void packBTransposed(int kc, int nc, float[] b, int bIdx, int ldb, float[] bp) {
        for (int j = 0; j < nc; j += NR) {
            int nr = Math.min(NR, nc - j);
            int panel = j * kc;
            for (int jj = 0; jj < NR; jj++) {
                if (jj < nr) {
                    int src = bIdx + (j + jj) * ldb;
                    for (int p = 0; p < kc; p++) {
                        bp[panel + p * NR + jj] = b[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        bp[panel + p * NR + jj] = 0f;
                    }
                }
            }
        }
    }

    /** Packs alpha·A (mc×kc, row stride lda) into MR-tall micro-panels, zero-padding the last. */
    private static void packA(int mc, int kc, float alpha, float[] a, int aIdx, int lda, float[] ap) {
        for (int i = 0; i < mc; i += MR) {
            int mr = Math.min(MR, mc - i);
            int panel = i * kc;
            for (int r = 0; r < MR; r++) {
                if (r < mr) {
                    int src = aIdx + (i + r) * lda;
                    for (int p = 0; p < kc; p++) {
                        ap[panel + p * MR + r] = alpha * a[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        ap[panel + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /** Packs alpha·Aᵀ, where A is stored kc×mc (row stride lda), into MR-tall micro-panels. */
    private static void packATransposed(int mc, int kc, float alpha, float[] a, int aIdx, int lda, float[] ap) {
        int o = 0;
        for (int i = 0; i < mc; i += MR) {
            int mr = Math.min(MR, mc - i);
            for (int p = 0; p < kc; p++, o += MR) {
                int src = aIdx + p * lda + i;
                for (int r = 0; r < mr; r++) {
                    ap[o + r] = alpha * a[src + r];
                }
                for (int r = mr; r < MR; r++) {
                    ap[o + r] = 0f;
                }
            }
        }
    }

    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc) {
        // MR is a constant: the JIT keeps exactly one of these calls.
        if (MR == 8) {
            kernel8(kc, ap, ai, bp, bi, c, ci, ldc);
        } else {
            kernel6(kc, ap, ai, bp, bi, c, ci, ldc);
        }
    }

    /** Micro-kernel: out[0:8, 0:NR] = Ap·Bp, Ap a 8×kc and Bp a kc×NR packed micro-panel. */
    private static void kernel8(int kc, float[] ap, int ai, float[] bp, int bi,
                                float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        FloatVector c60 = FloatVector.zero(SPECIES), c61 = FloatVector.zero(SPECIES);
        FloatVector c70 = FloatVector.zero(SPECIES), c71 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int bq = bi + p * NR;
            int aq = ai + p * 8;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bq);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bq + L);
            FloatVector a;
            a = FloatVector.broadcast(SPECIES, ap[aq + 0]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, ap[aq + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, ap[aq + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, ap[aq + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(SPECIES, ap[aq + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(SPECIES, ap[aq + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(SPECIES, ap[aq + 6]);
            c60 = a.fma(b0, c60); c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(SPECIES, ap[aq + 7]);
            c70 = a.fma(b0, c70); c71 = a.fma(b1, c71);
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + L);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + L);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + L);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + L);
    }

    /** Micro-kernel: out[0:6, 0:NR] = Ap·Bp, Ap a 6×kc and Bp a kc×NR packed micro-panel. */
    private static void kernel6(int kc, float[] ap, int ai, float[] bp, int bi,
                                float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int bq = bi + p * NR;
            int aq = ai + p * 6;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bq);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bq + L);
            FloatVector a;
            a = FloatVector.broadcast(SPECIES, ap[aq + 0]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, ap[aq + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, ap[aq + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, ap[aq + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(SPECIES, ap[aq + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(SPECIES, ap[aq + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + L);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + L);
    }
}
