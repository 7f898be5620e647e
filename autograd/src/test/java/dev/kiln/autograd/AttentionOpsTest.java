package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused attention op against the same attention composed from existing Var ops (matmul,
 * maskedFill -inf, softmax, matmul; kv heads repeated for grouped-query attention), evaluated in
 * double precision so the comparison measures the fused kernel's error alone; plus gradchecks.
 */
class AttentionOpsTest {
    private static final double TOL = 1e-5;

    record Case(int b, int h, int hkv, int tq, int tk, int d, boolean causal, int padEvery, boolean padAllOfBatch1) {
        @Override
        public String toString() {
            return "B" + b + " H" + h + "/" + hkv + " Tq" + tq + " Tk" + tk + " D" + d + (causal ? " causal" : "")
                    + (padEvery > 0 ? " pad/" + padEvery : "") + (padAllOfBatch1 ? " batch1-all-padded" : "");
        }

        /** [B, Tk], true = padding; null when the case has none. */
        boolean[] padding() {
            if (padEvery == 0 && !padAllOfBatch1) {
                return null;
            }
            boolean[] m = new boolean[b * tk];
            for (int bi = 0; bi < b; bi++) {
                for (int j = 0; j < tk; j++) {
                    m[bi * tk + j] = (padEvery > 0 && (j + bi) % padEvery == 0) || (padAllOfBatch1 && bi == 1);
                }
            }
            return m;
        }

        Tensor paddingTensor() {
            boolean[] p = padding();
            return p == null ? null : Tensor.fromArray(p, b, tk);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case(2, 2, 2, 9, 9, 5, false, 0, false),
                new Case(1, 2, 2, 70, 70, 16, true, 0, false),       // T past one 64-row block
                new Case(2, 4, 2, 67, 131, 67, false, 3, false),     // GQA, Tq < Tk, D not a multiple of the lanes
                new Case(1, 4, 2, 67, 131, 20, true, 0, false),      // causal aligned to the end
                new Case(1, 4, 1, 100, 40, 33, true, 0, false),      // Tq > Tk: the first 60 rows see no key
                new Case(2, 3, 1, 65, 129, 64, true, 5, false),      // MQA (Hkv = 1), causal + padding
                new Case(2, 2, 1, 30, 50, 8, false, 0, true))        // every key of batch row 1 padded
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchTheComposedOps(Case c) {
        Generator g = new Generator(17);
        Tensor q = Tensor.randn(g, c.b, c.h, c.tq, c.d);
        Tensor k = Tensor.randn(g, c.b, c.hkv, c.tk, c.d);
        Tensor v = Tensor.randn(g, c.b, c.hkv, c.tk, c.d);
        Tensor weights = Tensor.randn(g, c.b, c.h, c.tq, c.d);
        compare(c, q, k, v, weights, Double.NaN);
    }

    @Test
    void nonContiguousInputsFromATranspose() {
        Generator g = new Generator(23);
        // [B, T, H, D] storage viewed as [B, H, T, D], as after a fused QKV projection
        Tensor q = Tensor.randn(g, 2, 75, 4, 24).transpose(1, 2);
        Tensor k = Tensor.randn(g, 2, 90, 2, 24).transpose(1, 2);
        Tensor v = Tensor.randn(g, 2, 24, 2, 90).permute(0, 2, 3, 1);
        assertFalse(q.isContiguous() || k.isContiguous() || v.isContiguous());
        Tensor weights = Tensor.randn(g, 2, 4, 75, 24);
        compare(new Case(2, 4, 2, 75, 90, 24, true, 0, false), q, k, v, weights, 0.25);
    }

    private static void compare(Case c, Tensor q, Tensor k, Tensor v, Tensor weights, double scale) {
        Tensor pad = c.paddingTensor();
        Var fq = Var.leaf(q, true), fk = Var.leaf(k, true), fv = Var.leaf(v, true);
        Var fused = AttentionOps.scaledDotProductAttention(fq, fk, fv, c.causal, pad, scale);
        assertEquals("scaledDotProductAttention", fused.opName());
        fused.mul(Var.constant(weights)).sum().backward();

        Var nq = Var.leaf(q.to(DType.F64), true), nk = Var.leaf(k.to(DType.F64), true), nv = Var.leaf(v.to(DType.F64), true);
        Var naive = naive(c, nq, nk, nv, Double.isNaN(scale) ? 1 / Math.sqrt(c.d) : scale);
        naive.mul(Var.constant(weights.to(DType.F64))).sum().backward();

        assertClose("output", naive.value(), fused.value());
        assertClose("dQ", nq.grad(), fq.grad());
        assertClose("dK", nk.grad(), fk.grad());
        assertClose("dV", nv.grad(), fv.grad());
    }

    /**
     * softmax(q k^T * scale, masked with -inf) v from existing ops. Rows with every key masked
     * would be NaN there (softmax of all -inf); the fused op defines them as 0, so here they are
     * left unmasked and their output multiplied by 0, which also zeroes their gradients.
     */
    private static Var naive(Case c, Var q, Var k, Var v, double scale) {
        Var kr = repeatKv(c, k);
        Var vr = repeatKv(c, v);
        boolean[] pad = c.padding();
        boolean[] masked = new boolean[c.b * c.tq * c.tk];
        double[] alive = new double[c.b * c.tq];
        for (int b = 0; b < c.b; b++) {
            for (int i = 0; i < c.tq; i++) {
                boolean any = false;
                for (int j = 0; j < c.tk; j++) {
                    boolean m = (pad != null && pad[b * c.tk + j]) || (c.causal && j > i + c.tk - c.tq);
                    masked[(b * c.tq + i) * c.tk + j] = m;
                    any |= !m;
                }
                alive[b * c.tq + i] = any ? 1 : 0;
                if (!any) {
                    for (int j = 0; j < c.tk; j++) {
                        masked[(b * c.tq + i) * c.tk + j] = false;
                    }
                }
            }
        }
        Tensor mask = Tensor.fromArray(masked, c.b, 1, c.tq, c.tk);
        Var scores = q.matmul(kr.transpose(2, 3)).mul(scale).maskedFill(mask, Double.NEGATIVE_INFINITY);
        Var out = scores.softmax(-1).matmul(vr);
        return out.mul(Var.constant(Tensor.fromArray(alive, DType.F64, c.b, 1, c.tq, 1)));
    }

    /** [B, Hkv, T, D] -> [B, H, T, D], each kv head repeated for the H / Hkv query heads that share it. */
    private static Var repeatKv(Case c, Var x) {
        int rep = c.h / c.hkv;
        if (rep == 1) {
            return x;
        }
        return x.unsqueeze(2).expand(c.b, c.hkv, rep, c.tk, c.d).reshape(c.b, c.h, c.tk, c.d);
    }

    @Test
    void gradcheckF32() {
        // The kernel computes in F32 (F64 inputs are converted), so the double-precision check's
        // 1e-6 tolerance is out of reach; checkF32 covers the formulas, and the comparisons above
        // check the gradients to 1e-5 against the composed ops evaluated in double.
        Generator g = new Generator(31);
        Tensor pad = Tensor.fromArray(new boolean[] {false, false, true, false, false, false, false, false, false, true,
                false, false, true, true}, 2, 7);
        for (boolean causal : new boolean[] {false, true}) {
            Gradcheck.Result r = Gradcheck.checkF32(
                    in -> AttentionOps.scaledDotProductAttention(in[0], in[1], in[2], causal, pad, Double.NaN),
                    Tensor.randn(g, 2, 2, 5, 3), Tensor.randn(g, 2, 1, 7, 3), Tensor.randn(g, 2, 1, 7, 3));
            assertTrue(r.passed(), "causal " + causal + ": max error " + r.maxError() + " at " + r.worst());
        }
    }

    @Test
    void gradcheckDoubleInputsThroughTheF32Kernel() {
        // F64 inputs work (converted to F32 and back); with an F32-sized step their gradients check.
        Generator g = new Generator(37);
        Gradcheck.Result r = Gradcheck.check(
                in -> AttentionOps.scaledDotProductAttention(in[0], in[1], in[2], true, null, 0.7),
                Gradcheck.F32_EPS, Gradcheck.F32_TOL, Gradcheck.F32_FLOOR,
                Tensor.randn(g, 1, 2, 4, 3).to(DType.F64), Tensor.randn(g, 1, 2, 6, 3).to(DType.F64),
                Tensor.randn(g, 1, 2, 6, 3).to(DType.F64));
        assertTrue(r.passed(), "max error " + r.maxError() + " at " + r.worst());
    }

    @Test
    @SuppressWarnings("try") // the NoGrad scope is used for its effect
    void onlyInputsThatRequireGradientsGetOne() {
        Generator g = new Generator(41);
        Var q = Var.leaf(Tensor.randn(g, 1, 2, 4, 8), true);
        Var k = Var.constant(Tensor.randn(g, 1, 2, 6, 8));
        Var v = Var.leaf(Tensor.randn(g, 1, 2, 6, 8), false);
        AttentionOps.scaledDotProductAttention(q, k, v, false, null, Double.NaN).sum().backward();
        assertEquals(q.shape(), q.grad().shape());
        assertNull(k.grad());
        assertNull(v.grad());
        try (NoGrad ng = NoGrad.enter()) {
            assertFalse(AttentionOps.scaledDotProductAttention(q, k, v, true, null, Double.NaN).requiresGrad());
        }
    }

    private static void assertClose(String name, Tensor ref, Tensor got) {
        assertEquals(ref.shape(), got.shape(), name + " shape");
        double[] r = ref.toDoubleArray();
        double[] x = got.toDoubleArray();
        double scale = 1;
        for (double e : r) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        int at = 0;
        for (int i = 0; i < r.length; i++) {
            double err = Math.abs(x[i] - r[i]);
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        double w = worst, s = scale;
        int where = at;
        assertTrue(worst <= TOL * scale, () -> name + ": max error " + w + " (scale " + s + ") at " + where
                + ": fused " + x[where] + ", composed " + r[where]);
    }
}
