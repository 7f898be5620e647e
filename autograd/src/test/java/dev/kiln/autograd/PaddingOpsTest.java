package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** {@link PaddingOps#pad2d} against a hand-written loop, and its gradient by central differences. */
class PaddingOpsTest {

    @Test
    void padsTheLastTwoDimsWithTheConstant() {
        Tensor x = Tensor.randn(new Generator(1), 2, 3, 4);
        int left = 1, right = 2, top = 0, bottom = 3;
        double value = -1.5;
        Tensor y = PaddingOps.pad2d(Var.constant(x), left, right, top, bottom, value).value();
        assertArrayEquals(new int[] {2, 6, 7}, y.shape().toArray());
        double[] xs = x.toDoubleArray();
        double[] expected = new double[2 * 6 * 7];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 7; j++) {
                    int si = i - top, sj = j - left;
                    boolean inside = si >= 0 && si < 3 && sj >= 0 && sj < 4;
                    expected[(b * 6 + i) * 7 + j] = inside ? xs[(b * 3 + si) * 4 + sj] : value;
                }
            }
        }
        assertArrayEquals(expected, y.toDoubleArray(), 0);
    }

    @Test
    void gradientNarrowsBackToTheInput() {
        Gradcheck.assertGradients("pad2d", v -> PaddingOps.pad2d(v[0], 2, 0, 1, 1, 0.5).tanh(),
                Tensor.randn(new Generator(2), 2, 3, 3));
        Gradcheck.assertGradients("pad2d none", v -> PaddingOps.pad2d(v[0], 0, 0, 0, 0, 0).mul(v[0]),
                Tensor.randn(new Generator(3), 3, 2));
    }

    @Test
    void rejectsBadArguments() {
        Var x = Var.constant(Tensor.zeros(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PaddingOps.pad2d(x, 1, 1, 1, 1, 0));
        assertTrue(e.getMessage().contains("at least 2 dims") && e.getMessage().contains("[4]"), e.getMessage());
        Var y = Var.constant(Tensor.zeros(2, 2));
        e = assertThrows(IllegalArgumentException.class, () -> PaddingOps.pad2d(y, 0, -1, 0, 0, 0));
        assertTrue(e.getMessage().contains("right=-1"), e.getMessage());
    }
}
