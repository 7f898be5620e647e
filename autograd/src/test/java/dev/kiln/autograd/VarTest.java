package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The graph engine: accumulation, freeing, retainGraph, deep graphs, NoGrad, detach, errors. */
class VarTest {

    private static Var param(float... values) {
        return Var.leaf(Tensor.fromArray(values, values.length), true);
    }

    @Test
    void splitAndChunkOfAnEmptyDimGiveTorchsPieces() {
        // torch 1.13: zeros(0, 3).split(2, 0) is one [0, 3] piece, zeros(0, 3).chunk(3, 0) three;
        // Var and Tensor must agree with it and with each other.
        Var x = Var.leaf(Tensor.zeros(0, 3), true);
        assertEquals(1, x.split(2, 0).size());
        assertEquals(1, x.value().split(2, 0).size());
        assertEquals(3, x.chunk(3, 0).size());
        assertEquals(3, x.value().chunk(3, 0).size());
        for (Var piece : x.chunk(3, 0)) {
            assertArrayEquals(new int[] {0, 3}, piece.value().shape().toArray());
        }
        Var scalar = Var.leaf(Tensor.scalar(1f), true);
        assertThrows(IllegalArgumentException.class, () -> scalar.split(1, 0));
        assertThrows(IllegalArgumentException.class, () -> scalar.chunk(1, 0));
    }

    @Test
    void squareHasGradientTwoX() {
        Var x = param(1f, -2f, 3f);
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {2, -4, 6}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void gradientsAccumulateUntilZeroGrad() {
        Var x = param(1f, 2f);
        x.mul(3.0).sum().backward();
        x.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {6, 6}, x.grad().toDoubleArray(), 0);
        x.zeroGrad();
        assertNull(x.grad());
        x.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {3, 3}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void constantsGetNoGradient() {
        Var x = param(1f, 2f);
        Var c = Var.constant(Tensor.fromArray(new float[] {5f, 7f}, 2));
        x.mul(c).sum().backward();
        assertArrayEquals(new double[] {5, 7}, x.grad().toDoubleArray(), 0);
        assertNull(c.grad());
    }

    @Test
    void secondBackwardThroughFreedGraphThrows() {
        Var x = param(1f, 2f);
        Var loss = x.exp().sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void freedIntermediateIsDetectedFromANewGraph() {
        Var x = param(1f, 2f);
        Var h = x.exp();
        h.sum().backward();
        Var loss2 = h.mul(2.0).sum(); // new ops on top of h, whose own node was freed
        assertThrows(IllegalStateException.class, loss2::backward);
    }

    @Test
    void retainGraphAllowsASecondBackward() {
        Var x = param(1f, 2f);
        Var loss = x.mul(x).sum();
        Tensor one = Tensor.ones(loss.shape().toArray());
        loss.backward(one, true);
        loss.backward(one, false);
        assertArrayEquals(new double[] {4, 8}, x.grad().toDoubleArray(), 0);
        assertThrows(IllegalStateException.class, loss::backward);
    }

    @Test
    void explicitGradientForNonScalarOutput() {
        Var x = param(1f, 2f, 3f);
        Var y = x.mul(2.0);
        assertThrows(IllegalArgumentException.class, y::backward);
        assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(2)));
        y.backward(Tensor.fromArray(new float[] {1f, 10f, 100f}, 3));
        assertArrayEquals(new double[] {2, 20, 200}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void diamondSumsBothPaths() {
        // y = exp(x); z = y*y + y: dz/dx = (2y + 1) * y
        Var x = param(0.5f);
        Var y = x.exp();
        y.mul(y).add(y).sum().backward();
        double e = Math.exp(0.5);
        assertEquals((2 * e + 1) * e, x.grad().toDoubleArray()[0], 1e-5);
    }

    @Test
    void tenThousandOpChainDoesNotRecurse() throws Exception {
        // A small thread stack proves backward is iterative (a recursive walk would need ~10k frames).
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<double[]> grad = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                Var x = param(1f, 2f);
                Var y = x;
                for (int i = 0; i < 10_000; i++) {
                    y = y.add(0.5);
                }
                y.mul(3.0).sum().backward();
                grad.set(x.grad().toDoubleArray());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError("deep chain failed", failure.get());
        }
        assertArrayEquals(new double[] {3, 3}, grad.get(), 0);
    }

    @Test
    @SuppressWarnings("try") // the NoGrad scopes are used for their effect, not referenced
    void noGradRecordsNothing() {
        Var x = param(1f, 2f);
        Var y;
        try (NoGrad ng = NoGrad.enter()) {
            assertFalse(NoGrad.isGradEnabled());
            try (NoGrad inner = NoGrad.enter()) {
                assertFalse(NoGrad.isGradEnabled());
            }
            assertFalse(NoGrad.isGradEnabled());
            y = x.mul(x).exp();
        }
        assertTrue(NoGrad.isGradEnabled());
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertNull(y.opName());
        assertThrows(IllegalStateException.class, () -> y.sum().backward());
        Var z = x.mul(x);
        assertTrue(z.requiresGrad());
        assertEquals("mul", z.opName());
    }

    @Test
    void opsOnConstantsRecordNothing() {
        Var c = Var.constant(Tensor.ones(2));
        Var y = c.add(c).exp();
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
    }

    @Test
    void detachCutsTheGraph() {
        Var x = param(1f, 2f);
        Var y = x.mul(x);
        Var d = y.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        // loss = x * detach(x*x): gradient treats the detached factor as a constant.
        x.mul(d).sum().backward();
        assertArrayEquals(new double[] {1, 4}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void leafRejectsIntegerTensorsThatRequireGrad() {
        assertThrows(IllegalArgumentException.class, () -> Var.leaf(Tensor.fromArray(new long[] {1, 2}, 2), true));
    }

    @Test
    void broadcastGradientHasTheLeafShape() {
        Var w = Var.leaf(Tensor.ones(3, 4), true);
        Var b = Var.leaf(Tensor.zeros(4), true);
        w.add(b).sum().backward();
        assertEquals(w.value().shape(), w.grad().shape());
        assertEquals(b.value().shape(), b.grad().shape());
        assertArrayEquals(new double[] {3, 3, 3, 3}, b.grad().toDoubleArray(), 0);
    }
}
