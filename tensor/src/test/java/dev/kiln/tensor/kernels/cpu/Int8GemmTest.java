package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Int8Gemm and Int8Quantize against naive loops (long sums; scalar rounding), every layout, tail and thread count. */
class Int8GemmTest {
    /**
     * m, n, k: empty edges, single elements, k below one vector, every tail of the 4×4 tile and of
     * the vector k loop, the m = 1 decode shape, several A row blocks (m·k > 256 KiB) and a k large
     * enough that extreme values would overflow 16 bits many times over.
     */
    private static final int[][] SIZES = {
        {0, 3, 5}, {3, 0, 5}, {2, 3, 0}, {1, 1, 1}, {1, 7, 3}, {4, 4, 8}, {4, 4, 16}, {5, 6, 17}, {7, 9, 33},
        {8, 12, 64}, {1, 65, 100}, {1, 5, 1023}, {13, 11, 129}, {130, 70, 301}, {300, 9, 1030}, {6, 5, 40000},
        {1, 1037, 4100}, // a decode-shaped product past PARALLEL_MIN_MACS_GEMV: the split GEMV path
    };

    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restoreThreads() {
        CpuParallel.setThreads(savedThreads);
    }

    private static byte[] randomBytes(SplittableRandom r, int n, boolean extremes) {
        byte[] x = new byte[n];
        for (int i = 0; i < n; i++) {
            // Extremes: only -128 and 127, the largest products the int32 sums must hold.
            x[i] = extremes ? (r.nextBoolean() ? (byte) -128 : (byte) 127) : (byte) r.nextInt(-128, 128);
        }
        return x;
    }

    /** The reference: C[i][j] = Σ A[i][p]·B(p, j) in long, B read from either layout. */
    private static long[] naive(int m, int n, int k, byte[] a, byte[] b, boolean bIsNK) {
        long[] c = new long[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int p = 0; p < k; p++) {
                    s += (long) a[i * k + p] * (bIsNK ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void int32SumsMatchALongLoopForEveryShapeAndLayout(int threads) {
        CpuParallel.setThreads(threads);
        SplittableRandom r = new SplittableRandom(15);
        for (int[] size : SIZES) {
            int m = size[0], n = size[1], k = size[2];
            for (boolean extremes : new boolean[] {false, true}) {
                byte[] a = randomBytes(r, m * k, extremes);
                byte[] b = randomBytes(r, k * n, extremes);
                for (boolean bIsNK : new boolean[] {true, false}) {
                    long[] want = naive(m, n, k, a, b, bIsNK);
                    int[] got = new int[m * n + 2];
                    got[m * n] = 77;
                    got[m * n + 1] = 77;
                    // C at offset 1 and with one spare column: the kernel must write only its m×n.
                    int ldc = n + 1;
                    int[] strided = new int[1 + m * ldc];
                    Int8Gemm.gemmS32(m, n, k, a, 0, k, bIsNK, b, 0, bIsNK ? k : n, strided, 1, ldc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(want[i * n + j], strided[1 + i * ldc + j], "m=" + m + " n=" + n + " k=" + k
                                    + " bIsNK=" + bIsNK + " extremes=" + extremes + " at (" + i + ", " + j + ")");
                        }
                        if (n > 0) {
                            assertEquals(0, strided[1 + i * ldc + n], "padding column written at row " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dequantizedOutputIsTheExactSumTimesBothScalesPlusBias() {
        SplittableRandom r = new SplittableRandom(7);
        int m = 9, n = 13, k = 77;
        byte[] a = randomBytes(r, m * k, false);
        byte[] b = randomBytes(r, n * k, false);
        float[] aScale = new float[m + 2];
        float[] bScale = new float[n];
        float[] bias = new float[n];
        for (int i = 0; i < aScale.length; i++) {
            aScale[i] = (float) r.nextDouble(1e-3, 1e-1);
        }
        for (int j = 0; j < n; j++) {
            bScale[j] = (float) r.nextDouble(1e-3, 1e-1);
            bias[j] = (float) r.nextDouble(-1, 1);
        }
        long[] sums = naive(m, n, k, a, b, true);
        for (float[] bi : new float[][] {null, bias}) {
            float[] c = new float[m * n];
            Int8Gemm.gemm(m, n, k, a, 0, k, aScale, 2, true, b, 0, k, bScale, bi, c, 0, n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float v = (float) sums[i * n + j] * aScale[2 + i] * bScale[j];
                    assertEquals(bi == null ? v : v + bi[j], c[i * n + j], 0f, "(" + i + ", " + j + ") bias=" + (bi != null));
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        byte[] a = new byte[12];
        int[] c = new int[9];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemmS32(3, 3, 4, a, 0, 4, true, new byte[11], 0, 4, c, 0, 3));
        assertTrue(e.getMessage().contains("B has length 11") && e.getMessage().contains("needs 12"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemmS32(1, 1, Int8Gemm.MAX_K + 1, a, 0, Int8Gemm.MAX_K + 1, true, a, 0, 1, c, 0, 1));
        assertTrue(e.getMessage().contains("overflow"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemm(3, 3, 4, a, 0, 4, new float[2], 0, true, a, 0, 4, new float[3], null, new float[9], 0, 3));
        assertTrue(e.getMessage().contains("aScale has length 2, needs 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemmS32(-1, 3, 4, a, 0, 4, true, a, 0, 4, c, 0, 3));
        assertTrue(e.getMessage().contains("m=-1"), e.getMessage());
    }

    @Test
    void quantizeRowsMatchesAScalarLoopAndIsSymmetric() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 37, cols = 53;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * (1 + i % 5);
        }
        // Row 1 all zeros; row 2 has ties at exactly half a step.
        java.util.Arrays.fill(x, cols, 2 * cols, 0f);
        x[2 * cols] = 127f;
        x[2 * cols + 1] = 2.5f;
        x[2 * cols + 2] = -3.5f;
        for (int c = 3; c < cols; c++) {
            x[2 * cols + c] = 0.5f;
        }
        byte[] q = new byte[x.length];
        float[] s = new float[rows];
        Int8Quantize.quantizeRows(rows, cols, x, 0, q, 0, s, 0);
        for (int i = 0; i < rows; i++) {
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(x[i * cols + c]));
            }
            assertEquals(max / 127f, s[i], 0f, "scale of row " + i);
            for (int c = 0; c < cols; c++) {
                long want = max == 0 ? 0 : Math.round(Math.rint(x[i * cols + c] * (1f / (max / 127f))));
                assertEquals(want, q[i * cols + c], "row " + i + " col " + c);
                assertTrue(q[i * cols + c] >= -127, "no -128");
            }
        }
        assertEquals(2, q[2 * cols + 1], "2.5 rounds half to even");
        assertEquals(-4, q[2 * cols + 2], "-3.5 rounds half to even");
        assertEquals(0, q[2 * cols + 3], "0.5 rounds half to even");
    }

    @Test
    void quantizeRowsWithAFixedScaleRoundsSaturatesAndFillsTheScales() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 9, cols = 21;
        float[] x = new float[rows * cols + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 3;
        }
        float scale = 0.02f; // saturates at |x| > 2.54: many Gaussian·3 values do
        byte[] q = new byte[rows * cols + 5];
        float[] s = new float[rows + 2];
        Int8Quantize.quantizeRowsWithScale(rows, cols, x, 3, scale, q, 0, s, 1);
        int saturated = 0;
        for (int i = 0; i < rows * cols; i++) {
            long want = Math.max(-127, Math.min(127, Math.round(Math.rint(x[3 + i] * (1f / scale)))));
            assertEquals(want, q[i], "element " + i);
            saturated += Math.abs(want) == 127 ? 1 : 0;
        }
        assertTrue(saturated > 0, "the test never saturates");
        assertEquals(0f, s[0], 0f, "scales before the offset are untouched");
        for (int i = 1; i <= rows; i++) {
            assertEquals(scale, s[i], 0f, "scale " + i);
        }
        byte[] zeros = new byte[cols];
        Int8Quantize.quantizeRowsWithScale(1, cols, x, 0, 0f, zeros, 0, s, 0);
        assertArrayEquals(new byte[cols], zeros, "scale 0 gives zeros");
    }
}
