package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hooks, retainGrad, Autograd.grad, in-place modification checks and tie handling, with hand-derived expectations. */
class EngineFeaturesTest {

    private static Var param(float... values) {
        return Var.leaf(Tensor.fromArray(values, values.length), true);
    }

    @Test
    void hookSeesTheGradientAndCanReplaceIt() {
        Var x = param(1f, 2f, 3f);
        Var y = x.mul(x); // dy/dx = 2x
        List<double[]> seen = new ArrayList<>();
        y.registerHook(g -> {
            seen.add(g.toDoubleArray());
            return g.mul(10.0); // scale the gradient flowing into x
        });
        y.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {3, 3, 3}, seen.get(0), 0);
        assertArrayEquals(new double[] {60, 120, 180}, x.grad().toDoubleArray(), 0); // 10 * 3 * 2x
    }

    @Test
    void leafHookRunsBeforeAccumulationAndCanBeRemoved() {
        Var x = param(1f, -1f);
        Var.HookHandle h = x.registerHook(g -> g.neg());
        x.mul(2.0).sum().backward();
        assertArrayEquals(new double[] {-2, -2}, x.grad().toDoubleArray(), 0);
        h.remove();
        x.zeroGrad();
        x.mul(2.0).sum().backward();
        assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void hooksChainInRegistrationOrderAndNullKeepsTheGradient() {
        Var x = param(1f);
        x.registerHook(g -> null);
        x.registerHook(g -> g.add(1.0));
        x.registerHook(g -> g.mul(3.0));
        x.mul(2.0).sum().backward();
        assertArrayEquals(new double[] {9}, x.grad().toDoubleArray(), 0); // (2 + 1) * 3
    }

    @Test
    void hookReturningTheWrongShapeIsAnError() {
        Var x = param(1f, 2f);
        x.registerHook(g -> Tensor.zeros(3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2.0).sum().backward());
        assertTrue(e.getMessage().contains("hook returned shape [3]"), e.getMessage());
    }

    @Test
    void retainGradKeepsAnIntermediateGradient() {
        Var x = param(1f, 2f);
        Var y = x.mul(3.0).retainGrad();
        Var z = y.mul(y).sum(); // dz/dy = 2y = 6x
        z.backward();
        assertArrayEquals(new double[] {6, 12}, y.grad().toDoubleArray(), 0);
        assertArrayEquals(new double[] {18, 36}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void gradReturnsGradientsWithoutTouchingDotGrad() {
        Var x = param(1f, 2f);
        Var w = param(3f, 4f);
        Var loss = x.mul(w).sum();
        List<Tensor> gs = Autograd.grad(loss, List.of(w, x));
        assertArrayEquals(new double[] {1, 2}, gs.get(0).toDoubleArray(), 0); // d/dw = x
        assertArrayEquals(new double[] {3, 4}, gs.get(1).toDoubleArray(), 0); // d/dx = w
        assertNull(x.grad());
        assertNull(w.grad());
    }

    @Test
    void gradWithRespectToAnIntermediate() {
        Var x = param(1f, 2f);
        Var h = x.exp();
        Var loss = h.mul(h).sum(); // d/dh = 2h
        Tensor gh = Autograd.grad(loss, List.of(h)).get(0);
        assertArrayEquals(new double[] {2 * Math.exp(1), 2 * Math.exp(2)}, gh.toDoubleArray(), 1e-5);
        assertNull(x.grad());
    }

    @Test
    void gradOfSeveralOutputsSumsTheirContributions() {
        Var x = param(1f, 2f);
        Var a = x.mul(2.0);
        Var b = x.mul(x);
        List<Tensor> g = Autograd.grad(List.of(a, b),
                List.of(Tensor.fromArray(new float[] {1, 1}, 2), Tensor.fromArray(new float[] {1, 10}, 2)),
                List.of(x), false, false);
        assertArrayEquals(new double[] {2 + 2, 2 + 40}, g.get(0).toDoubleArray(), 0);
    }

    @Test
    void unusedInputIsAnErrorUnlessAllowed() {
        Var x = param(1f);
        Var unused = param(5f);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Autograd.grad(x.mul(2.0).sum(), List.of(x, unused)));
        assertTrue(e.getMessage().contains("inputs[1]"), e.getMessage());
        List<Tensor> g = Autograd.grad(List.of(x.mul(2.0).sum()), List.of(Tensor.scalar(1)), List.of(x, unused), false, true);
        assertArrayEquals(new double[] {2}, g.get(0).toDoubleArray(), 0);
        assertNull(g.get(1));
    }

    @Test
    void gradWithRetainGraphThenBackward() {
        Var x = param(2f);
        Var loss = x.mul(x).sum();
        Tensor g = Autograd.grad(List.of(loss), List.of(Tensor.scalar(1)), List.of(x), true, false).get(0);
        assertArrayEquals(new double[] {4}, g.toDoubleArray(), 0);
        loss.backward();
        assertArrayEquals(new double[] {4}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void modifyingASavedTensorInPlaceBeforeBackwardIsAClearError() {
        Var w = param(1f, 2f);
        Var loss = w.mul(w).sum();
        try (Tensor step = Tensor.fromArray(new float[] {0.5f, 0.5f}, 2)) {
            w.value().addInPlace(step, -1.0);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("modified in place"), e.getMessage());
        assertTrue(e.getMessage().contains("'mul'"), e.getMessage());
    }

    @Test
    void manualSgdStepAfterBackwardIsFine() {
        Var w = param(1f, 2f);
        for (int step = 0; step < 3; step++) {
            Var loss = w.mul(w).sum(); // grad 2w; w <- w - 0.25 * 2w = w / 2
            loss.backward();
            w.value().addInPlace(w.grad(), -0.25);
            w.zeroGrad();
        }
        assertArrayEquals(new double[] {0.125, 0.25}, w.value().toDoubleArray(), 0);
    }

    @Test
    void maxTiesShareTheGradientEvenly() {
        // torch.amax: every element equal to the maximum gets g / count.
        Var x = Var.leaf(Tensor.fromArray(new float[] {1, 3, 3, 0, -2, -2, -2, -5}, 2, 4), true);
        x.max(new int[] {1}, false).sum().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0, 0}, x.grad().toDoubleArray(), 1e-7);
        Var y = Var.leaf(Tensor.fromArray(new float[] {4, 1, 4, 4}, 4), true);
        y.max().backward();
        assertArrayEquals(new double[] {1 / 3.0, 0, 1 / 3.0, 1 / 3.0}, y.grad().toDoubleArray(), 1e-7);
    }
}
