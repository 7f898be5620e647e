package dev.kiln.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * clip_grad_norm_ against torch for norm types 1, 2, 3 and inf (total norm and clipped gradients,
 * fixture clip.txt), and its error_if_nonfinite and argument checks.
 */
class GradClipTest {

    private static List<Var> withGrads(List<Tensor> grads) {
        List<Var> ps = new ArrayList<>();
        for (Tensor g : grads) {
            Var p = Var.leaf(Tensor.zeros(g.shape().toArray()), true);
            p.mul(Var.constant(g)).sum().backward(); // p.grad() == g exactly
            ps.add(p);
        }
        return ps;
    }

    @Test
    void clipGradNormMatchesPytorchForEveryNormType() throws IOException {
        GoldenFixture f = GoldenFixture.load(GradClipTest.class, "/golden/clip.txt");
        String[] labels = {"1", "2", "3", "inf"};
        double[] types = {1, 2, 3, Double.POSITIVE_INFINITY};
        for (int t = 0; t < labels.length; t++) {
            List<Var> ps = withGrads(List.of(f.f32("grad0"), f.f32("grad1"), f.f32("grad2")));
            double norm = GradClip.clipGradNorm(ps, 1.5, types[t], true);
            double want = f.entry("norm" + labels[t]).values()[0];
            assertEquals(want, norm, 1e-6 * want, "total norm of order " + labels[t]);
            for (int i = 0; i < ps.size(); i++) {
                f.assertMatches("clipped" + labels[t] + "." + i, ps.get(i).grad(), 1e-6);
            }
        }
    }

    @Test
    void nonFiniteNormThrowsWhenAskedAndOtherwiseLeavesGradientsAlone() {
        for (double p : new double[] {1, 2, 3, Double.POSITIVE_INFINITY}) {
            List<Var> ps = withGrads(List.of(Tensor.fromArray(new float[] {1, Float.POSITIVE_INFINITY, 2}, 3), Tensor.fromArray(new float[] {3}, 1)));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GradClip.clipGradNorm(ps, 1, p, true));
            assertTrue(e.getMessage().contains("Infinity") && e.getMessage().contains("order " + p), e.getMessage());
            double norm = GradClip.clipGradNorm(ps, 1, p, false);
            assertEquals(Double.POSITIVE_INFINITY, norm, "order " + p);
            assertArrayEquals(new float[] {1, Float.POSITIVE_INFINITY, 2}, ps.get(0).grad().toFloatArray(), "order " + p);
        }
        List<Var> nan = withGrads(List.of(Tensor.fromArray(new float[] {1, Float.NaN}, 2)));
        for (double p : new double[] {1, 2, 3}) {
            assertTrue(Double.isNaN(GradClip.clipGradNorm(nan, 1, p, false)), "NaN norm of order " + p);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GradClip.clipGradNorm(nan, 1, p, true));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
    }

    @Test
    void badArgumentsAreRejectedByName() {
        List<Var> ps = withGrads(List.of(Tensor.fromArray(new float[] {1, 2}, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, 1, 0, false));
        assertTrue(e.getMessage().contains("normType") && e.getMessage().contains("0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, 1, -2, false));
        assertTrue(e.getMessage().contains("normType"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, -1, 2, false));
        assertTrue(e.getMessage().contains("maxNorm"), e.getMessage());
    }
}
