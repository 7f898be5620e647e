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

/** Conv1d and padding='same' against a naive loop, gradients by central differences, and bad input. */
class ConvExtrasTest {

    /** Direct 1-D cross-correlation with zero padding {@code padL} before and {@code padR} after (any asymmetry). */
    private static double[] naiveConv1d(double[] x, int n, int c, int len, double[] w, int oc, int k, double[] b,
                                        int stride, int padL, int padR, int dilation, int groups) {
        int cg = c / groups, ocg = oc / groups;
        int outLen = (len + padL + padR - dilation * (k - 1) - 1) / stride + 1;
        double[] out = new double[n * oc * outLen];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < oc; o++) {
                int grp = o / ocg;
                for (int p = 0; p < outLen; p++) {
                    double acc = b == null ? 0 : b[o];
                    for (int ci = 0; ci < cg; ci++) {
                        for (int t = 0; t < k; t++) {
                            int at = p * stride - padL + t * dilation;
                            if (at >= 0 && at < len) {
                                acc += x[(i * c + grp * cg + ci) * len + at] * w[(o * cg + ci) * k + t];
                            }
                        }
                    }
                    out[(i * oc + o) * outLen + p] = acc;
                }
            }
        }
        return out;
    }

    @Test
    void conv1dMatchesNaiveLoop() {
        Generator g = new Generator(1);
        Conv1d conv = new Conv1d(4, 6, 3, 2, 1, 2, 2, true, g);
        Tensor x = Tensor.randn(g, 2, 4, 10);
        Tensor y = conv.forward(Var.constant(x)).value();
        double[] want = naiveConv1d(x.toDoubleArray(), 2, 4, 10, conv.weight.value().toDoubleArray(), 6, 3,
                conv.bias.value().toDoubleArray(), 2, 1, 1, 2, 2);
        assertArrayEquals(new int[] {2, 6, 4}, y.shape().toArray());
        assertArrayEquals(want, y.toDoubleArray(), 1e-5);
        double bound = 1 / Math.sqrt(2 * 3); // torch's init: fanIn = C/groups * k
        for (double v : conv.weight.value().toDoubleArray()) {
            assertTrue(Math.abs(v) <= bound, "weight " + v + " outside +-" + bound);
        }
        assertEquals("Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2)", conv.toString());
    }

    @Test
    void samePaddingKeepsTheLengthAndPutsTheOddElementAfter() {
        Generator g = new Generator(2);
        // k = 4: total padding 3, 1 before and 2 after
        Conv1d conv = Conv1d.same(2, 3, 4, 1, 1, false, g);
        Tensor x = Tensor.randn(g, 2, 2, 7);
        Tensor y = conv.forward(Var.constant(x)).value();
        double[] want = naiveConv1d(x.toDoubleArray(), 2, 2, 7, conv.weight.value().toDoubleArray(), 3, 4, null, 1, 1, 2, 1, 1);
        assertArrayEquals(new int[] {2, 3, 7}, y.shape().toArray());
        assertArrayEquals(want, y.toDoubleArray(), 1e-5);
        assertTrue(conv.toString().contains("padding=same"), conv.toString());

        // Conv2d 'same' with k = 2: one extra row at the bottom and one column at the right; a 2-D
        // kernel that is zero except one row is a 1-D convolution of that row, which the loop checks.
        Conv2d conv2 = Conv2d.same(1, 1, 2, 1, 1, false, g);
        assertTrue(conv2.paddingSame() && conv2.toString().contains("padding=same"), conv2.toString());
        conv2.weight.value().copyFrom(Tensor.fromArray(new float[] {0.5f, -2f, 0, 0}, 1, 1, 2, 2));
        Tensor img = Tensor.randn(g, 1, 1, 3, 5);
        Tensor out = conv2.forward(Var.constant(img)).value();
        assertArrayEquals(new int[] {1, 1, 3, 5}, out.shape().toArray());
        double[] rows = naiveConv1d(img.toDoubleArray(), 3, 1, 5, new double[] {0.5, -2}, 1, 2, null, 1, 0, 1, 1, 1);
        assertArrayEquals(rows, out.toDoubleArray(), 1e-6);
    }

    @Test
    void gradientsOfConv1dAndSamePadding() {
        Generator g = new Generator(3);
        Gradcheck.assertGradients("conv1d stride 2 pad 2 dilation 2 groups 2",
                v -> Convolutions.conv1d(v[0], v[1], v[2], 2, 2, 2, 2),
                Tensor.randn(g, 2, 4, 9), Tensor.randn(g, 6, 2, 3), Tensor.randn(g, 6));
        Gradcheck.assertGradients("conv1d same (odd total)", v -> Convolutions.conv1dSame(v[0], v[1], v[2], 1, 1),
                Tensor.randn(g, 2, 2, 6), Tensor.randn(g, 3, 2, 4), Tensor.randn(g, 3));
        Gradcheck.assertGradients("conv1d same dilated", v -> Convolutions.conv1dSame(v[0], v[1], null, 3, 2),
                Tensor.randn(g, 1, 4, 6), Tensor.randn(g, 2, 2, 2));
        Gradcheck.assertGradients("conv2d same (odd totals)", v -> Convolutions.conv2dSame(v[0], v[1], v[2], 1, 1, 1),
                Tensor.randn(g, 2, 2, 4, 5), Tensor.randn(g, 3, 2, 2, 2), Tensor.randn(g, 3));
        Gradcheck.assertGradients("conv2d same dilated (even totals)", v -> Convolutions.conv2dSame(v[0], v[1], null, 2, 2, 2),
                Tensor.randn(g, 1, 2, 5, 5), Tensor.randn(g, 2, 1, 3, 3));
        // Through the module, whose weights are F32: the F32 check (coarser step and tolerance).
        Conv1d conv = Conv1d.same(2, 2, 2, 1, 1, true, g);
        Gradcheck.Result r = Gradcheck.checkF32(v -> conv.forward(v[0]).tanh(), Tensor.randn(g, 1, 2, 5));
        assertTrue(r.passed(), r.worst());
    }

    @Test
    void rejectsBadInputWithClearMessages() {
        Conv1d conv = new Conv1d(4, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(Var.constant(Tensor.zeros(2, 4, 5, 5))));
        assertTrue(e.getMessage().contains("[N, 4, L]") && e.getMessage().contains("[2, 4, 5, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Var.constant(Tensor.zeros(2, 3, 5))));
        assertTrue(e.getMessage().contains("[N, 4, L]") && e.getMessage().contains("[2, 3, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv1d(4, 3, 3, 1, 0, 1, 2, true, new Generator(0)));
        assertTrue(e.getMessage().contains("groups (2)") && e.getMessage().contains("out_channels (3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Convolutions.conv1d(Var.constant(Tensor.zeros(1, 2, 5)), Var.constant(Tensor.zeros(2, 2, 1, 3)), null,
                        1, 0, 1, 1));
        assertTrue(e.getMessage().contains("weight must be 3-D") && e.getMessage().contains("[2, 2, 1, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Convolutions.conv2dSame(Var.constant(Tensor.zeros(2, 5, 5)), Var.constant(Tensor.zeros(1, 2, 3, 3)),
                        null, 1, 1, 1));
        assertTrue(e.getMessage().contains("padding='same'") && e.getMessage().contains("[2, 5, 5]"), e.getMessage());
    }
}
