package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The F32 fast paths behind a convolution's backward: copies of strided views (permute, transpose,
 * expand, slice) into contiguous tensors, and sums that keep a middle block of dims (the NCHW bias
 * gradient) or reduce everything. Checked against explicit index arithmetic and double-precision
 * loops, at one and two threads, with sizes large enough to be split into parallel chunks.
 */
class StridedCopyReduceTest {
    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restoreThreads() {
        CpuParallel.setThreads(savedThreads);
    }

    private static float[] random(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void copiesOfStridedViewsMatchIndexArithmetic(int threads) {
        CpuParallel.setThreads(threads);
        int a = 6, b = 35, c = 40, d = 33;
        float[] xs = random(a * b * c * d, 1);
        try (TensorScope _ = TensorScope.open()) {
            Tensor x = Tensor.fromArray(xs, a, b, c, d);
            // permute(0, 2, 3, 1): out[i, k, l, j] = x[i, j, k, l]
            float[] p = x.permute(0, 2, 3, 1).contiguous().toFloatArray();
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    for (int k = 0; k < c; k++) {
                        for (int l = 0; l < d; l++) {
                            assertEquals(xs[((i * b + j) * c + k) * d + l], p[((i * c + k) * d + l) * b + j], "permute");
                        }
                    }
                }
            }
            // transpose of the last two dims, then a strided slice of dim 1 (every third row from 2)
            float[] t = x.transpose(2, 3).slice(1, 2, b, 3).contiguous().toFloatArray();
            int rows = (b - 2 + 2) / 3;
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < rows; j++) {
                    for (int l = 0; l < d; l++) {
                        for (int k = 0; k < c; k++) {
                            assertEquals(xs[((i * b + 2 + 3 * j) * c + k) * d + l], t[((i * rows + j) * d + l) * c + k],
                                    "transpose+slice");
                        }
                    }
                }
            }
            // expand of a [a, 1, c, 1] slice: a broadcast along dims 1 and 3
            Tensor col = x.narrow(1, 4, 1).narrow(3, 7, 1);
            float[] e = col.expand(a, b, c, d).contiguous().toFloatArray();
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    for (int k = 0; k < c; k++) {
                        for (int l = 0; l < d; l++) {
                            assertEquals(xs[((i * b + 4) * c + k) * d + 7], e[((i * b + j) * c + k) * d + l], "expand");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void sumsKeepingAMiddleBlockMatchDoubleLoops(int threads) {
        CpuParallel.setThreads(threads);
        int[] shape = {7, 24, 33, 37};
        float[] xs = random(7 * 24 * 33 * 37, 2);
        int[][] dimSets = {{0, 2, 3}, {0, 3}, {2, 3}, {3}, {0, 1, 2, 3}, {0}, {1}, {0, 1}};
        try (TensorScope _ = TensorScope.open()) {
            Tensor x = Tensor.fromArray(xs, shape);
            for (int[] dims : dimSets) {
                boolean[] reduced = new boolean[4];
                for (int dim : dims) {
                    reduced[dim] = true;
                }
                int outN = 1;
                for (int i = 0; i < 4; i++) {
                    outN *= reduced[i] ? 1 : shape[i];
                }
                double[] ref = new double[outN], mag = new double[outN];
                int[] idx = new int[4];
                for (int flat = 0; flat < xs.length; flat++) {
                    int rest = flat;
                    for (int i = 3; i >= 0; i--) {
                        idx[i] = rest % shape[i];
                        rest /= shape[i];
                    }
                    int o = 0;
                    for (int i = 0; i < 4; i++) {
                        o = reduced[i] ? o : o * shape[i] + idx[i];
                    }
                    ref[o] += xs[flat];
                    mag[o] += Math.abs(xs[flat]);
                }
                int count = xs.length / outN;
                float[] sum = x.sum(dims, true).toFloatArray();
                float[] mean = x.mean(dims, false).toFloatArray();
                assertEquals(outN, sum.length);
                for (int o = 0; o < outN; o++) {
                    String what = java.util.Arrays.toString(dims) + " output " + o;
                    assertTrue(Math.abs(sum[o] - ref[o]) <= 1e-5 * mag[o] + 1e-6, "sum " + what + ": " + sum[o] + " vs " + ref[o]);
                    assertTrue(Math.abs(mean[o] - ref[o] / count) <= 1e-5 * mag[o] / count + 1e-7,
                            "mean " + what + ": " + mean[o] + " vs " + ref[o] / count);
                }
            }
            // keepdim keeps the reduced dims as size 1
            assertArrayEquals(new int[] {1, 24, 1, 1}, x.sum(new int[] {0, 2, 3}, true).shape().toArray());
        }
    }
}
