package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Gradcheck;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BatchNorm1d/2d: statistics against naive loops, gradients through the batch statistics, and bad input. */
class BatchNormTest {

    /** Per-channel mean and biased variance of [N, C, S] data laid out row-major. */
    private static double[][] stats(double[] x, int n, int c, int s) {
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    sum += x[(i * c + ch) * s + k];
                }
            }
            mean[ch] = sum / (n * s);
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    double d = x[(i * c + ch) * s + k] - mean[ch];
                    sq += d * d;
                }
            }
            var[ch] = sq / (n * s);
        }
        return new double[][] {mean, var};
    }

    @Test
    void trainingNormalizesWithBatchStatsAndUpdatesRunningStatsWithUnbiasedVariance() {
        Generator g = new Generator(7);
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.namedBuffers().keySet()));
        assertEquals(DType.I64, bn.numBatchesTracked.dtype());
        bn.weight.value().copyFrom(Tensor.fromArray(new float[] {1.5f, -0.5f, 2f}, 3));
        bn.bias.value().copyFrom(Tensor.fromArray(new float[] {0.1f, 0.2f, -0.3f}, 3));
        int n = 4, c = 3, s = 6;
        double[] rm = {0, 0, 0}, rv = {1, 1, 1};
        for (int step = 1; step <= 2; step++) {
            Tensor x = Tensor.randn(g, n, c, 2, 3).mul(step).add(0.3);
            double[] xs = x.toDoubleArray();
            double[][] st = stats(xs, n, c, s);
            double[] y = bn.forward(Var.constant(x)).value().toDoubleArray();
            double[] w = bn.weight.value().toDoubleArray(), b = bn.bias.value().toDoubleArray();
            for (int i = 0; i < xs.length; i++) {
                int ch = (i / s) % c;
                double want = (xs[i] - st[0][ch]) / Math.sqrt(st[1][ch] + 1e-5) * w[ch] + b[ch];
                assertEquals(want, y[i], 1e-5);
            }
            for (int ch = 0; ch < c; ch++) {
                rm[ch] = 0.9 * rm[ch] + 0.1 * st[0][ch];
                rv[ch] = 0.9 * rv[ch] + 0.1 * st[1][ch] * (n * s) / (n * s - 1);
            }
            assertArrayEquals(rm, bn.runningMean.toDoubleArray(), 1e-6);
            assertArrayEquals(rv, bn.runningVar.toDoubleArray(), 1e-6);
            assertEquals(step, bn.numBatchesTracked.item());
        }
        // Evaluation: running statistics, no update.
        bn.eval();
        Tensor x = Tensor.randn(g, 2, 3, 1, 2);
        double[] xs = x.toDoubleArray();
        double[] y = bn.forward(Var.constant(x)).value().toDoubleArray();
        double[] w = bn.weight.value().toDoubleArray(), b = bn.bias.value().toDoubleArray();
        for (int i = 0; i < xs.length; i++) {
            int ch = (i / 2) % 3;
            assertEquals((xs[i] - rm[ch]) / Math.sqrt(rv[ch] + 1e-5) * w[ch] + b[ch], y[i], 1e-5);
        }
        assertArrayEquals(rm, bn.runningMean.toDoubleArray(), 1e-6);
        assertEquals(2.0, bn.numBatchesTracked.item());
        assertEquals("BatchNorm2d(3, eps=1.0E-5, momentum=0.1, affine=true, track_running_stats=true)", bn.toString());
    }

    @Test
    void nullMomentumIsTheCumulativeAverage() {
        Generator g = new Generator(8);
        BatchNorm1d bn = new BatchNorm1d(2, 1e-5, null, false, true);
        assertNull(bn.weight);
        double[] sumMean = new double[2], sumVar = new double[2];
        for (int step = 1; step <= 3; step++) {
            Tensor x = Tensor.randn(g, 5, 2).mul(step);
            double[][] st = stats(x.toDoubleArray(), 5, 2, 1);
            bn.forward(Var.constant(x));
            for (int ch = 0; ch < 2; ch++) {
                sumMean[ch] += st[0][ch];
                sumVar[ch] += st[1][ch] * 5 / 4;
            }
        }
        // The first step replaces the initial (0, 1) entirely (factor 1/1), so only the batches count.
        assertArrayEquals(new double[] {sumMean[0] / 3, sumMean[1] / 3}, bn.runningMean.toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {sumVar[0] / 3, sumVar[1] / 3}, bn.runningVar.toDoubleArray(), 1e-6);
    }

    @Test
    void withoutRunningStatsEvaluationUsesTheBatch() {
        BatchNorm1d bn = new BatchNorm1d(3, 1e-5, 0.1, true, false);
        assertTrue(bn.namedBuffers().isEmpty());
        bn.eval();
        Tensor x = Tensor.randn(new Generator(9), 4, 3, 2);
        double[] xs = x.toDoubleArray();
        double[][] st = stats(xs, 4, 3, 2);
        double[] y = bn.forward(Var.constant(x)).value().toDoubleArray();
        for (int i = 0; i < xs.length; i++) {
            int ch = (i / 2) % 3;
            assertEquals((xs[i] - st[0][ch]) / Math.sqrt(st[1][ch] + 1e-5), y[i], 1e-5);
        }
    }

    @Test
    void gradientsThroughBatchStatistics() {
        Generator g = new Generator(10);
        Gradcheck.assertGradients("batchNorm train [N, C, H, W]",
                v -> BatchNorm.batchNorm(v[0], null, null, v[1], v[2], true, 0.1, 1e-5),
                Tensor.randn(g, 3, 2, 2, 2), Tensor.randn(g, 2), Tensor.randn(g, 2));
        Tensor rm = Tensor.zeros(DType.F64, 3);
        Tensor rv = Tensor.ones(DType.F64, 3);
        Gradcheck.assertGradients("batchNorm train [N, C] updating running stats",
                v -> BatchNorm.batchNorm(v[0], rm, rv, v[1], v[2], true, 0.1, 1e-5),
                Tensor.randn(g, 4, 3), Tensor.randn(g, 3), Tensor.randn(g, 3));
        Gradcheck.assertGradients("batchNorm train [N, C, L] no affine",
                v -> BatchNorm.batchNorm(v[0], null, null, null, null, true, 0.1, 1e-5), Tensor.randn(g, 2, 2, 3));
        Tensor mean = Tensor.randn(g, 2);
        Tensor var = Tensor.rand(g, 2).add(0.5);
        Gradcheck.assertGradients("batchNorm eval",
                v -> BatchNorm.batchNorm(v[0], mean, var, v[1], v[2], false, 0.1, 1e-5),
                Tensor.randn(g, 3, 2, 2), Tensor.randn(g, 2), Tensor.randn(g, 2));
    }

    @Test
    void rejectsBadInput() {
        BatchNorm2d bn2 = new BatchNorm2d(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn2.forward(Var.constant(Tensor.zeros(2, 3, 4))));
        assertTrue(e.getMessage().contains("BatchNorm2d") && e.getMessage().contains("4-D")
                && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> bn2.forward(Var.constant(Tensor.zeros(2, 4, 2, 2))));
        assertTrue(e.getMessage().contains("expected 3 channels") && e.getMessage().contains("[2, 4, 2, 2]"), e.getMessage());
        BatchNorm1d bn1 = new BatchNorm1d(3);
        e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Var.constant(Tensor.zeros(3))));
        assertTrue(e.getMessage().contains("2-D [N, C] or 3-D") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Var.constant(Tensor.zeros(1, 3))));
        assertTrue(e.getMessage().contains("more than 1 value per channel") && e.getMessage().contains("[1, 3]"),
                e.getMessage());
        assertEquals(0.0, bn1.numBatchesTracked.item()); // rejected before any state changed
        BatchNorm1d untracked = new BatchNorm1d(3, 1e-5, 0.1, true, false);
        untracked.eval(); // still batch statistics, so still more than one value needed
        e = assertThrows(IllegalArgumentException.class, () -> untracked.forward(Var.constant(Tensor.zeros(1, 3))));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        bn1.eval();
        assertArrayEquals(new int[] {1, 3}, bn1.forward(Var.constant(Tensor.zeros(1, 3))).shape().toArray());
        e = assertThrows(IllegalArgumentException.class,
                () -> BatchNorm.batchNorm(Var.constant(Tensor.zeros(2, 3)), Tensor.zeros(2), Tensor.ones(2), null, null,
                        false, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("running_mean must be [3]") && e.getMessage().contains("[2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3, 1e-5, 1.5, true, true));
        assertTrue(e.getMessage().contains("momentum") && e.getMessage().contains("1.5"), e.getMessage());
    }
}
