package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** Basic layers against hand-written loops and the statistics of their initializers. */
class LayersTest {

    @Test
    void linearMatchesLoops() {
        Linear lin = new Linear(5, 3, true, new Generator(2));
        Tensor x = Tensor.randn(new Generator(3), 4, 5);
        float[] w = lin.weight.value().toFloatArray();
        float[] b = lin.bias.value().toFloatArray();
        float[] xs = x.toFloatArray();
        float[] got = lin.forward(Var.constant(x)).value().toFloatArray();
        for (int i = 0; i < 4; i++) {
            for (int o = 0; o < 3; o++) {
                double acc = b[o];
                for (int k = 0; k < 5; k++) {
                    acc += (double) xs[i * 5 + k] * w[o * 5 + k];
                }
                assertEquals(acc, got[i * 3 + o], 1e-5);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lin.forward(Var.constant(Tensor.zeros(2, 4))));
        assertTrue(e.getMessage().contains("last dim must be 5"), e.getMessage());
    }

    @Test
    void linearInitFollowsTorchDefaults() {
        int in = 400;
        Linear lin = new Linear(in, 300, true, new Generator(5));
        double bound = 1 / Math.sqrt(in);
        double[] w = lin.weight.value().toDoubleArray();
        double sum = 0, sq = 0;
        for (double v : w) {
            assertTrue(Math.abs(v) <= bound, "weight " + v + " outside +-" + bound);
            sum += v;
            sq += v * v;
        }
        double mean = sum / w.length;
        double var = sq / w.length - mean * mean;
        assertEquals(0, mean, 4 * bound / Math.sqrt(3 * w.length)); // 4 sigma of the sample mean
        assertEquals(bound * bound / 3, var, 0.02 * bound * bound / 3); // U(-b, b) has variance b^2/3
        for (double v : lin.bias.value().toDoubleArray()) {
            assertTrue(Math.abs(v) <= bound);
        }
    }

    @Test
    void initializersHaveTheirDocumentedSpread() {
        Generator g = new Generator(11);
        Tensor w = Tensor.empty(256, 128, 3, 3);
        int fanIn = 128 * 9, fanOut = 256 * 9;
        assertArrayEquals(new int[] {fanIn, fanOut}, Init.fans(w));
        double std = Init.gain(Init.Nonlinearity.RELU, 0) / Math.sqrt(fanIn);
        assertEquals(std, sampleStd(Init.kaimingNormal(w, 0, Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, g)), std * 0.01);
        double xb = Math.sqrt(6.0 / (fanIn + fanOut));
        assertEquals(xb / Math.sqrt(3), sampleStd(Init.xavierUniform(w, 1.0, g)), xb * 0.01);
        assertEquals(5.0 / 3, Init.gain(Init.Nonlinearity.TANH, 0), 0);
        assertEquals(Math.sqrt(2.0 / (1 + 0.01 * 0.01)), Init.gain(Init.Nonlinearity.LEAKY_RELU, 0.01), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fans(Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("rank >= 2"), e.getMessage());
    }

    private static double sampleStd(Tensor t) {
        double[] v = t.toDoubleArray();
        double s = 0, q = 0;
        for (double x : v) {
            s += x;
            q += x * x;
        }
        double m = s / v.length;
        return Math.sqrt(q / v.length - m * m);
    }

    @Test
    void embeddingPaddingRowStartsAtZeroAndGetsNoGradient() {
        Embedding emb = new Embedding(6, 3, 2, new Generator(4));
        assertArrayEquals(new float[3], emb.weight.value().narrow(0, 2, 1).toFloatArray());
        Tensor idx = Tensor.fromArray(new long[] {2, 5, 2, 0}, 2, 2);
        Var out = emb.forward(idx);
        assertEquals(dev.kiln.tensor.Shape.of(2, 2, 3), out.shape());
        out.sum().backward();
        double[] g = emb.weight.grad().toDoubleArray();
        double[] want = new double[18];
        for (int j = 0; j < 3; j++) {
            want[5 * 3 + j] = 1;
            want[j] = 1;
        }
        assertArrayEquals(want, g, 0);
    }

    @Test
    void dropoutIsReproducibleScaledAndTheIdentityInEval() {
        Tensor x = Tensor.ones(100, 100);
        Dropout a = new Dropout(0.3, new Generator(21));
        Dropout b = new Dropout(0.3, new Generator(21));
        float[] ya = a.forward(Var.constant(x)).value().toFloatArray();
        float[] yb = b.forward(Var.constant(x)).value().toFloatArray();
        assertArrayEquals(ya, yb, "same seed, same mask");
        int zeros = 0;
        for (float v : ya) {
            if (v == 0) {
                zeros++;
            } else {
                assertEquals(1 / 0.7f, v, 1e-6f);
            }
        }
        assertEquals(0.3, zeros / 10000.0, 0.02);
        assertNotEquals(0, zeros);
        float[] second = a.forward(Var.constant(x)).value().toFloatArray();
        assertTrue(!java.util.Arrays.equals(ya, second), "each call draws a new mask");
        a.eval();
        Var in = Var.constant(x);
        assertSame(in, a.forward(in));
    }

    @Test
    void rmsNormMatchesItsFormulaAndGradchecks() {
        Tensor x = Tensor.randn(new Generator(12), 3, 5);
        RMSNorm norm = new RMSNorm(5, 1e-6);
        float[] got = norm.forward(Var.constant(x)).value().toFloatArray();
        float[] xs = x.toFloatArray();
        for (int r = 0; r < 3; r++) {
            double ms = 0;
            for (int c = 0; c < 5; c++) {
                ms += xs[r * 5 + c] * (double) xs[r * 5 + c] / 5;
            }
            for (int c = 0; c < 5; c++) {
                assertEquals(xs[r * 5 + c] / Math.sqrt(ms + 1e-6), got[r * 5 + c], 1e-5);
            }
        }
        dev.kiln.autograd.Gradcheck.assertGradients("rmsNorm", v -> RMSNorm.rmsNorm(v[0], v[1], 1e-6),
                Tensor.randn(new Generator(13), 2, 3, 4), Tensor.randn(new Generator(14), 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> norm.forward(Var.constant(Tensor.zeros(2, 4))));
        assertTrue(e.getMessage().contains("last dim must be 5"), e.getMessage());
    }
}
