package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused F32 LSTM cell against the same step composed from primitive ops (sigmoid, tanh, mul,
 * add, each with its own tested backward), forward and backward, with gradients flowing into both
 * outputs (h' to the layer output, c' to the next step) — and the composed form itself against
 * finite differences in double precision.
 */
class LstmCellTest {
    private static Var[] composed(Var gates, Var c) {
        List<Var> p = gates.chunk(4, -1);
        Var i = p.get(0).sigmoid(), f = p.get(1).sigmoid(), g = p.get(2).tanh(), o = p.get(3).sigmoid();
        Var c2 = f.mul(c).add(i.mul(g));
        return new Var[] {o.mul(c2.tanh()), c2};
    }

    @Test
    void fusedMatchesTheComposedStepForwardAndBackward() {
        for (int hidden : new int[] {1, 37, 64}) { // 37: vector body and scalar tail
            Generator gen = new Generator(hidden);
            try (Tensor a0 = Tensor.randn(gen, 5, 4 * hidden).mul(2.0); Tensor c0 = Tensor.randn(gen, 5, hidden);
                 Tensor dh = Tensor.randn(gen, 5, hidden); Tensor dc = Tensor.randn(gen, 5, hidden)) {
                Var a1 = Var.leaf(a0, true), c1 = Var.leaf(c0, true);
                Var[] fused = Functional.lstmCell(a1, c1);
                fused[0].mul(Var.constant(dh)).sum().add(fused[1].mul(Var.constant(dc)).sum()).backward();
                Var a2 = Var.leaf(a0, true), c2 = Var.leaf(c0, true);
                Var[] ref = composed(a2, c2);
                ref[0].mul(Var.constant(dh)).sum().add(ref[1].mul(Var.constant(dc)).sum()).backward();
                assertArrayEquals(ref[0].value().toFloatArray(), fused[0].value().toFloatArray(), 1e-6f, "h', H=" + hidden);
                assertArrayEquals(ref[1].value().toFloatArray(), fused[1].value().toFloatArray(), 1e-6f, "c', H=" + hidden);
                assertArrayEquals(a2.grad().toFloatArray(), a1.grad().toFloatArray(), 1e-5f, "dgates, H=" + hidden);
                assertArrayEquals(c2.grad().toFloatArray(), c1.grad().toFloatArray(), 1e-5f, "dc, H=" + hidden);
            }
        }
    }

    @Test
    void theComposedFormPassesDoublePrecisionGradcheck() {
        Generator gen = new Generator(3);
        try (Tensor a = Tensor.randn(gen, 3, 12).to(DType.F64); Tensor c = Tensor.randn(gen, 3, 3).to(DType.F64)) {
            Gradcheck.Result r = Gradcheck.check(in -> {
                Var[] hc = Functional.lstmCell(in[0], in[1]); // F64: the composed path
                return hc[0].sum().add(hc[1].mul(hc[1]).sum());
            }, a, c);
            assertTrue(r.passed(), r.toString());
        }
    }

    @Test
    void badShapesNameBothInputs() {
        try (Tensor a = Tensor.zeros(2, 7); Tensor c = Tensor.zeros(2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Functional.lstmCell(Var.leaf(a, true), Var.leaf(c, true)));
            assertTrue(e.getMessage().contains("gates [N, 4H] and c [N, H], got [2, 7] and [2, 2]"), e.getMessage());
        }
    }
}
