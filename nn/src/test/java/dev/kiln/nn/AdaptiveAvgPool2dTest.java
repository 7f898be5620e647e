package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Gradcheck;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** AdaptiveAvgPool2d against a naive loop over torch's windows, its gradient, and bad input. */
class AdaptiveAvgPool2dTest {

    private static double[] naive(double[] x, int planes, int h, int w, int oh, int ow) {
        double[] out = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                int h0 = (int) Math.floor((double) i * h / oh);
                int h1 = (int) Math.ceil((double) (i + 1) * h / oh);
                for (int j = 0; j < ow; j++) {
                    int w0 = (int) Math.floor((double) j * w / ow);
                    int w1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    double s = 0;
                    for (int a = h0; a < h1; a++) {
                        for (int b = w0; b < w1; b++) {
                            s += x[(p * h + a) * w + b];
                        }
                    }
                    out[(p * oh + i) * ow + j] = s / ((h1 - h0) * (w1 - w0));
                }
            }
        }
        return out;
    }

    @Test
    void matchesNaiveLoopForDivisibleOverlappingAndGrowingSizes() {
        Generator g = new Generator(4);
        int[][] cases = {{6, 4, 3, 2}, {7, 5, 3, 3}, {5, 3, 1, 1}, {3, 2, 5, 4}, {10, 7, 4, 6}};
        for (int[] c : cases) {
            Tensor x = Tensor.randn(g, 2, 3, c[0], c[1]);
            Tensor y = new AdaptiveAvgPool2d(c[2], c[3]).forward(Var.constant(x)).value();
            assertArrayEquals(new int[] {2, 3, c[2], c[3]}, y.shape().toArray());
            assertArrayEquals(naive(x.toDoubleArray(), 6, c[0], c[1], c[2], c[3]), y.toDoubleArray(), 1e-5,
                    java.util.Arrays.toString(c));
        }
        assertEquals("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d(1).toString());
    }

    @Test
    void gradient() {
        Generator g = new Generator(5);
        Gradcheck.assertGradients("adaptiveAvgPool2d 7x5 -> 3x2",
                v -> AdaptiveAvgPool2d.adaptiveAvgPool2d(v[0], 3, 2), Tensor.randn(g, 2, 2, 7, 5));
        Gradcheck.assertGradients("adaptiveAvgPool2d 2x3 -> 4x5",
                v -> AdaptiveAvgPool2d.adaptiveAvgPool2d(v[0], 4, 5), Tensor.randn(g, 1, 2, 2, 3));
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdaptiveAvgPool2d(2).forward(Var.constant(Tensor.zeros(3, 4, 4))));
        assertTrue(e.getMessage().contains("4-D") && e.getMessage().contains("[3, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2d(0, 3));
        assertTrue(e.getMessage().contains("0x3"), e.getMessage());
    }
}
