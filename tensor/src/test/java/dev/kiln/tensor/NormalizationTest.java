package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** Fused layer norm against a naive double-precision computation of the forward and of the gradients. */
class NormalizationTest {

    @Test
    void layerNormParameterGradientsAreBitIdenticalRunToRun() {
        // The weight and bias gradients sum per-chunk partials; they must be added in chunk order,
        // not in the order threads finish (visible with three or more chunks, on machines with
        // three or more cores).
        int saved = dev.kiln.tensor.kernels.cpu.CpuParallel.threads();
        dev.kiln.tensor.kernels.cpu.CpuParallel.setThreads(dev.kiln.tensor.kernels.cpu.CpuParallel.cores());
        try {
            Generator g = new Generator(5);
            Tensor x = Tensor.randn(g, 4096, 64);
            Tensor w = Tensor.randn(g, 64);
            Tensor b = Tensor.randn(g, 64);
            Tensor dy = Tensor.randn(g, 4096, 64);
            Tensor.LayerNorm r = x.layerNorm(1, w, b, 1e-5);
            float[][] first = null;
            for (int run = 0; run < 20; run++) {
                Tensor[] grads = Tensor.layerNormBackward(dy, x, 1, w, r.mean(), r.rstd(), true, true);
                float[][] now = {grads[1].toFloatArray(), grads[2].toFloatArray()};
                if (first == null) {
                    first = now;
                } else {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(first[0], now[0], 0f, "dweight, run " + run);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(first[1], now[1], 0f, "dbias, run " + run);
                }
            }
        } finally {
            dev.kiln.tensor.kernels.cpu.CpuParallel.setThreads(saved);
        }
    }

    @Test
    void forwardAndBackwardMatchNaiveDoubleLoops() {
        Generator g = new Generator(3);
        int[][] shapes = {{4, 7}, {2, 3, 40}, {5, 2, 3, 33}};
        for (int[] shape : shapes) {
            for (int k = 1; k <= 2; k++) {
                for (boolean affine : new boolean[] {true, false}) {
                    Tensor x = Tensor.randn(g, shape).mul(3.0).add(1.5);
                    int d = 1;
                    for (int i = shape.length - k; i < shape.length; i++) {
                        d *= shape[i];
                    }
                    int[] pshape = java.util.Arrays.copyOfRange(shape, shape.length - k, shape.length);
                    Tensor w = affine ? Tensor.randn(g, pshape) : null;
                    Tensor b = affine ? Tensor.randn(g, pshape) : null;
                    Tensor dy = Tensor.randn(g, shape);
                    Tensor.LayerNorm r = x.layerNorm(k, w, b, 1e-5);
                    Tensor[] grads = Tensor.layerNormBackward(dy, x, k, w, r.mean(), r.rstd(), affine, affine);
                    check(x.toDoubleArray(), w == null ? null : w.toDoubleArray(), b == null ? null : b.toDoubleArray(),
                            dy.toDoubleArray(), d, r.output().toDoubleArray(), grads, java.util.Arrays.toString(shape) + " k=" + k);
                    if (!affine) {
                        assertNull(grads[1]);
                        assertNull(grads[2]);
                    }
                }
            }
        }
    }

    private static void check(double[] x, double[] w, double[] b, double[] dy, int d, double[] y, Tensor[] grads, String what) {
        int rows = x.length / d;
        double[] dx = grads[0].toDoubleArray();
        double[] dw = new double[d];
        double[] db = new double[d];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[r * d + i] / d;
            }
            double var = 0;
            for (int i = 0; i < d; i++) {
                var += (x[r * d + i] - mean) * (x[r * d + i] - mean) / d;
            }
            double rstd = 1 / Math.sqrt(var + 1e-5);
            double sumD = 0, sumDX = 0;
            for (int i = 0; i < d; i++) {
                double xhat = (x[r * d + i] - mean) * rstd;
                double want = xhat * (w == null ? 1 : w[i]) + (b == null ? 0 : b[i]);
                assertEquals(want, y[r * d + i], 1e-5 * (1 + Math.abs(want)), what + " y");
                double dxhat = dy[r * d + i] * (w == null ? 1 : w[i]);
                sumD += dxhat;
                sumDX += dxhat * xhat;
                dw[i] += dy[r * d + i] * xhat;
                db[i] += dy[r * d + i];
            }
            for (int i = 0; i < d; i++) {
                double xhat = (x[r * d + i] - mean) * rstd;
                double dxhat = dy[r * d + i] * (w == null ? 1 : w[i]);
                double want = rstd * (dxhat - sumD / d - xhat * sumDX / d);
                assertEquals(want, dx[r * d + i], 2e-5 * (1 + Math.abs(want)), what + " dx");
            }
        }
        if (grads[1] != null) {
            double[] gw = grads[1].toDoubleArray();
            double[] gb = grads[2].toDoubleArray();
            for (int i = 0; i < d; i++) {
                assertEquals(dw[i], gw[i], 1e-4 * (1 + Math.abs(dw[i])), what + " dw");
                assertEquals(db[i], gb[i], 1e-4 * (1 + Math.abs(db[i])), what + " db");
            }
        }
    }

    @Test
    void halfInputsComeBackInTheirDtypeAndBadShapesAreNamed() {
        Tensor x = Tensor.randn(new Generator(4), 3, 8).to(DType.BF16);
        Tensor.LayerNorm r = x.layerNorm(1, null, null, 1e-5);
        assertEquals(DType.BF16, r.output().dtype());
        assertEquals(Shape.of(3), r.mean().shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 4).layerNorm(1, Tensor.ones(5), null, 1e-5));
        assertTrue(e.getMessage().contains("weight must have 4 elements"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 4).layerNorm(3, null, null, 1e-5));
        assertTrue(e.getMessage().contains("normalizedDims must be in [1, 2]"), e.getMessage());
    }
}
