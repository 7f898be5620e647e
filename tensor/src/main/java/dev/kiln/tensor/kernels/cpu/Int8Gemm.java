package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Int8 GEMM with int32 accumulation, {@code C[i][j] = Σ_p A[i][p]·B[p][j]}, on row-major
 * {@code byte[]}; {@link #gemmS32} stores the exact int32 sums, {@link #gemm} dequantizes them to
 * F32 as {@code sum · aScale[i] · bScale[j] (+ bias[j])} (per-row activation scale times
 * per-channel weight scale, the symmetric int8 scheme of {@code Quantization}).
 *
 * <p>The kernel is written in dot-product form: A is [m, k] and B is stored [n, k] (torch's
 * {@code Linear.weight} layout), so both operands of every dot run along contiguous k. A B given
 * as [k, n] is transposed once into a per-thread buffer (k·n bytes, against m·n·k multiply-adds).
 * A 2×4 register tile holds 8 {@code IntVector} accumulators: each k step loads two rows of A and
 * 4 rows of B as {@code ByteVector}s of one int vector's lane count, widens them to int lanes
 * (vpmovsxbd) and does 8 multiply-adds; the lanes are reduced once per tile at the end of k. An odd
 * last row runs a 1×4 tile (the m = 1 decode shape is all 1×4).
 * The Vector API has no int8 dot instruction (VNNI's vpdpbusd, or vpmaddwd), so full tiles run at
 * about half the F32 FMA rate; the gain is bandwidth: weights are a quarter of F32's bytes, which
 * is what bounds batch-1 inference (m = 1: one activation row against 4 weight rows at a time).
 *
 * <p>Rows of A are blocked so one block ({@link #A_BLOCK_BYTES}) stays in L2 while every 4-row
 * panel of B passes over it. Threads split n into disjoint bands of whole 4-column panels.
 *
 * <p>Exactness: |A·B| ≤ 128·128 = 2^14 per product, so int32 cannot overflow for
 * k ≤ {@link #MAX_K} = 131071; larger k is refused.
 */
public final class Int8Gemm {
    /** Int lanes per step; {@code -Dkiln.gemm.vectorBits=128|256|512} overrides it (tests run every width). */
    static final VectorSpecies<Integer> INTS = intSpecies(Integer.getInteger("kiln.gemm.vectorBits", 0));
    /** Bytes with the same lane count as {@link #INTS} (a quarter of its width). */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, jdk.incubator.vector.VectorShape.forBitSize(
            INTS.vectorBitSize() / 4));
    private static final int L = INTS.length();
    /** Largest k whose int32 sums cannot overflow: k · 2^14 ≤ 2^31 − 1. */
    public static final int MAX_K = Integer.MAX_VALUE / (128 * 128);
    /** Bytes of A kept hot in L2 while the B panels stream past (L2 is 1 MiB on the tuning machine). */
    static final int A_BLOCK_BYTES = 256 * 1024;
    /** Below this many multiply-adds one thread does it all (the F32 GEMM's measured threshold). */
    static final long PARALLEL_MIN_MACS = 1L << 17;
    /**
     * The same threshold for decode-shaped products (m ≤ {@link #GEMV_MAX_ROWS}). A 1×n×k int8 product
     * runs at ~45 GOPS on one thread, so 2^17 multiply-adds are ~6 µs, less than waking a second worker;
     * measured on the 2-vCPU dev machine (best of 30 alternating 0.1 s samples, 2026-12-07, load ~4):
     * 1×1024×256 took 7.8 µs on one thread and 28 µs on two, 1×768×768 13 against 23 µs, and even
     * 1×3072×768 (2.4M) 54 against 50–68 µs. Batch-1 generation of a width-256 GPT went from ~1,100–2,000
     * to ~4,300 int8 tokens/s single-threaded. Above 2^22 (~90 µs of work) the split pays again.
     */
    static final long PARALLEL_MIN_MACS_GEMV = 1L << 22;
    /** Row counts up to which {@link #PARALLEL_MIN_MACS_GEMV} applies: the 1×4 and one 2×4 tile. */
    static final int GEMV_MAX_ROWS = 2;

    private Int8Gemm() {}

    private static VectorSpecies<Integer> intSpecies(int bits) {
        return switch (bits) {
            // Below 256 bits the byte vector of an int vector's lane count would be 32 bits, which does not exist.
            case 0 -> IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
            case 128, 256 -> IntVector.SPECIES_256;
            case 512 -> IntVector.SPECIES_512;
            default -> throw new IllegalArgumentException("kiln.gemm.vectorBits must be 128, 256 or 512, got " + bits);
        };
    }

    private static final ThreadLocal<byte[][]> TRANSPOSED = ThreadLocal.withInitial(() -> new byte[1][0]);

    /**
     * int32 C = A·op(B): A [m, k] at {@code a[aOff + i*lda + p]}; B stored [n, k] at
     * {@code b[bOff + j*ldb + p]} when {@code bIsNK}, else [k, n] at {@code b[bOff + p*ldb + j]};
     * C [m, n] at {@code c[cOff + i*ldc + j]}, overwritten.
     *
     * @throws IllegalArgumentException on a negative size, k > {@link #MAX_K}, a leading dimension
     *     smaller than its row, or an array too short
     */
    public static void gemmS32(int m, int n, int k, byte[] a, int aOff, int lda, boolean bIsNK, byte[] b, int bOff,
                               int ldb, int[] c, int cOff, int ldc) {
        check(m, n, k, a, aOff, lda, bIsNK, b, bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        run(m, n, k, a, aOff, lda, bIsNK, b, bOff, ldb, new Epilogue(c, null, null, 0, null, null, cOff, ldc));
    }

    /**
     * F32 C = (A·op(B)) · aScale[i] · bScale[j] + bias[j], layouts as in {@link #gemmS32};
     * {@code aScale} has m entries from {@code aScaleOff}, {@code bScale} n, {@code bias} n or is null.
     */
    public static void gemm(int m, int n, int k, byte[] a, int aOff, int lda, float[] aScale, int aScaleOff,
                            boolean bIsNK, byte[] b, int bOff, int ldb, float[] bScale, float[] bias,
                            float[] c, int cOff, int ldc) {
        check(m, n, k, a, aOff, lda, bIsNK, b, bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        checkLength("aScale", aScale, aScaleOff + m);
        checkLength("bScale", bScale, n);
        if (bias != null) {
            checkLength("bias", bias, n);
        }
        run(m, n, k, a, aOff, lda, bIsNK, b, bOff, ldb, new Epilogue(null, c, aScale, aScaleOff, bScale, bias, cOff, ldc));
    }

    private static void checkLength(String name, float[] x, int needed) {
        if (x == null) {
            throw new IllegalArgumentException("int8 gemm: " + name + " must not be null");
        }
        if (x.length < needed) {
            throw new IllegalArgumentException("int8 gemm: " + name + " has length " + x.length + ", needs " + needed);
        }
    }

    private static void check(int m, int n, int k, byte[] a, int aOff, int lda, boolean bIsNK, byte[] b, int bOff,
                              int ldb, int cLength, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("int8 gemm: sizes must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
        }
        if (k > MAX_K) {
            throw new IllegalArgumentException("int8 gemm: k=" + k + " could overflow the int32 accumulators, the most is "
                    + MAX_K);
        }
        checkMatrix("A", a == null ? -1 : a.length, aOff, lda, m, k);
        checkMatrix("B", b == null ? -1 : b.length, bOff, ldb, bIsNK ? n : k, bIsNK ? k : n);
        checkMatrix("C", cLength, cOff, ldc, m, n);
    }

    private static void checkMatrix(String name, int length, int off, int ld, int rows, int cols) {
        if (length < 0) {
            throw new IllegalArgumentException("int8 gemm: " + name + " must not be null");
        }
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException("int8 gemm: " + name + " needs offset >= 0 and ld >= " + cols
                    + ", got offset " + off + " and ld " + ld);
        }
        long needed = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
        if (needed > length) {
            throw new IllegalArgumentException("int8 gemm: " + name + " has length " + length + " but " + rows + "×"
                    + cols + " with offset " + off + " and ld " + ld + " needs " + needed);
        }
    }

    /** Where finished sums go: raw int32, or dequantized F32. */
    private record Epilogue(int[] s32, float[] f32, float[] aScale, int aScaleOff, float[] bScale, float[] bias,
                            int cOff, int ldc) {
        void store(int i, int j, int sum) {
            int at = cOff + i * ldc + j;
            if (s32 != null) {
                s32[at] = sum;
            } else {
                float v = sum * aScale[aScaleOff + i] * bScale[j];
                f32[at] = bias == null ? v : v + bias[j];
            }
        }
    }

    private static void run(int m, int n, int k, byte[] a, int aOff, int lda, boolean bIsNK, byte[] b, int bOff,
                            int ldb, Epilogue out) {
        if (m == 0 || n == 0) {
            return;
        }
        int panels = (n + 3) / 4;
        long minMacs = m <= GEMV_MAX_ROWS ? PARALLEL_MIN_MACS_GEMV : PARALLEL_MIN_MACS;
        int threads = (long) m * n * k < minMacs ? 1 : CpuParallel.chunksFor(panels, 1);
        if (bIsNK) {
            if (threads <= 1) {
                band(0, n, m, k, a, aOff, lda, b, bOff, ldb, out);
            } else {
                CpuParallel.forRange(panels, 1, (s, e) ->
                        band(s * 4, Math.min(n, e * 4), m, k, a, aOff, lda, b, bOff, ldb, out));
            }
            return;
        }
        // [k, n] -> [n, k] once; each thread transposes only its own band.
        CpuParallel.RangeBody body = (s, e) -> {
            int j0 = s * 4;
            int j1 = Math.min(n, e * 4);
            byte[][] holder = TRANSPOSED.get();
            int size = (j1 - j0) * k;
            if (holder[0].length < size) {
                holder[0] = new byte[size];
            }
            byte[] t = holder[0];
            for (int p = 0; p < k; p++) {
                int row = bOff + p * ldb;
                for (int j = j0; j < j1; j++) {
                    t[(j - j0) * k + p] = b[row + j];
                }
            }
            band(j0, j1, m, k, a, aOff, lda, t, -j0 * k, k, out);
        };
        if (threads <= 1) {
            body.run(0, panels);
        } else {
            CpuParallel.forRange(panels, 1, body);
        }
    }

    /** Columns [j0, j1) of C; B rows j live at {@code b[bOff + j*ldb]} (bOff may be negative for a band buffer). */
    private static void band(int j0, int j1, int m, int k, byte[] a, int aOff, int lda, byte[] b, int bOff, int ldb,
                             Epilogue out) {
        int rowBlock = Math.max(4, (A_BLOCK_BYTES / Math.max(1, k)) & ~3);
        int jFull = j0 + ((j1 - j0) & ~3);
        for (int i0 = 0; i0 < m; i0 += rowBlock) {
            int i1 = Math.min(m, i0 + rowBlock);
            for (int j = j0; j < jFull; j += 4) {
                int b0 = bOff + j * ldb;
                int i = i0;
                for (; i + 1 < i1; i += 2) {
                    tile2x4(k, a, aOff + i * lda, lda, b, b0, ldb, i, j, out);
                }
                if (i < i1) {
                    tile1x4(k, a, aOff + i * lda, b, b0, ldb, i, j, out);
                }
            }
            for (int j = jFull; j < j1; j++) {
                for (int i = i0; i < i1; i++) {
                    out.store(i, j, dot(k, a, aOff + i * lda, b, bOff + j * ldb));
                }
            }
        }
    }

    private static IntVector widen(byte[] x, int at) {
        return (IntVector) ByteVector.fromArray(BYTES, x, at).convertShape(VectorOperators.B2I, INTS, 0);
    }

    /** Reduces one tile row's four accumulators, adds the k tail (past kv) and stores C[i][j..j+3]. */
    private static void storeRow(Epilogue out, int i, int j, int kv, int k, byte[] a, int aRow, byte[] b, int b0,
                                 int ldb, IntVector c0, IntVector c1, IntVector c2, IntVector c3) {
        out.store(i, j, c0.reduceLanes(VectorOperators.ADD) + tailDot(kv, k, a, aRow, b, b0));
        out.store(i, j + 1, c1.reduceLanes(VectorOperators.ADD) + tailDot(kv, k, a, aRow, b, b0 + ldb));
        out.store(i, j + 2, c2.reduceLanes(VectorOperators.ADD) + tailDot(kv, k, a, aRow, b, b0 + 2 * ldb));
        out.store(i, j + 3, c3.reduceLanes(VectorOperators.ADD) + tailDot(kv, k, a, aRow, b, b0 + 3 * ldb));
    }

    // One row of A against four rows of B, the register tile. A 4×4 tile (16 accumulators, v1) ran at
    // 1 GOPS against this tile's 80-100 on Zen 4 (2026 session measurement, m = n = k = 256..512):
    // C2 did not keep its vectors in registers, so they were boxed. Rows of A come from L1/L2.
    private static void tile1x4(int k, byte[] a, int a0, byte[] b, int b0, int ldb, int i, int j, Epilogue out) {
        int b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        IntVector c0 = IntVector.zero(INTS), c1 = c0, c2 = c0, c3 = c0;
        int kv = k - k % L;
        for (int p = 0; p < kv; p += L) {
            IntVector x = widen(a, a0 + p);
            c0 = c0.add(x.mul(widen(b, b0 + p)));
            c1 = c1.add(x.mul(widen(b, b1 + p)));
            c2 = c2.add(x.mul(widen(b, b2 + p)));
            c3 = c3.add(x.mul(widen(b, b3 + p)));
        }
        storeRow(out, i, j, kv, k, a, a0, b, b0, ldb, c0, c1, c2, c3);
    }

    // Two rows of A against four rows of B: each widened B vector feeds two multiply-adds, so the
    // widening (the costly part: vpmovsxbd per 16 bytes) is shared by two rows. 8 accumulators and
    // 6 operands fit the 32 vector registers of AVX-512 (16 of AVX2: C2 may spill there).
    private static void tile2x4(int k, byte[] a, int a0, int lda, byte[] b, int b0, int ldb, int i, int j, Epilogue out) {
        int a1 = a0 + lda;
        int b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        IntVector c00 = IntVector.zero(INTS), c01 = c00, c02 = c00, c03 = c00;
        IntVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        int kv = k - k % L;
        for (int p = 0; p < kv; p += L) {
            IntVector x0 = widen(a, a0 + p);
            IntVector x1 = widen(a, a1 + p);
            IntVector w = widen(b, b0 + p);
            c00 = c00.add(x0.mul(w));
            c10 = c10.add(x1.mul(w));
            w = widen(b, b1 + p);
            c01 = c01.add(x0.mul(w));
            c11 = c11.add(x1.mul(w));
            w = widen(b, b2 + p);
            c02 = c02.add(x0.mul(w));
            c12 = c12.add(x1.mul(w));
            w = widen(b, b3 + p);
            c03 = c03.add(x0.mul(w));
            c13 = c13.add(x1.mul(w));
        }
        storeRow(out, i, j, kv, k, a, a0, b, b0, ldb, c00, c01, c02, c03);
        storeRow(out, i + 1, j, kv, k, a, a1, b, b0, ldb, c10, c11, c12, c13);
    }

    private static int dot(int k, byte[] a, int a0, byte[] b, int b0) {
        IntVector c = IntVector.zero(INTS);
        int kv = k - k % L;
        for (int p = 0; p < kv; p += L) {
            c = c.add(widen(a, a0 + p).mul(widen(b, b0 + p)));
        }
        return c.reduceLanes(VectorOperators.ADD) + tailDot(kv, k, a, a0, b, b0);
    }

    private static int tailDot(int from, int k, byte[] a, int a0, byte[] b, int b0) {
        int s = 0;
        for (int p = from; p < k; p++) {
            s += a[a0 + p] * b[b0 + p];
        }
        return s;
    }
}
