package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.random.Generator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused attention kernel (forward and backward) against a naive double-precision loop that
 * builds the whole score matrix, over shapes that hit every tail: T not a multiple of the 64-row
 * blocks, D not a multiple of the vector length, Tq != Tk both ways, grouped-query heads, causal
 * and padding masks and rows that see no key at all.
 */
class AttentionTest {
    private static final double TOL = 1e-5;

    /** One attention problem; padEvery = k marks every k-th key of batch row b (shifted by b) as padding. */
    record Case(int b, int h, int hkv, int tq, int tk, int d, boolean causal, int padEvery, boolean padAllOfBatch1) {
        @Override
        public String toString() {
            return "B" + b + " H" + h + "/" + hkv + " Tq" + tq + " Tk" + tk + " D" + d + (causal ? " causal" : "")
                    + (padEvery > 0 ? " pad/" + padEvery : "") + (padAllOfBatch1 ? " batch1-all-padded" : "");
        }

        boolean[] mask() {
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
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, 1, false, 0, false),
                new Case(2, 2, 2, 5, 5, 3, false, 0, false),
                new Case(1, 2, 2, 70, 70, 16, true, 0, false),
                new Case(2, 4, 2, 67, 131, 67, false, 3, false),     // GQA, Tq < Tk, D tail
                new Case(1, 4, 2, 67, 131, 20, true, 0, false),      // causal aligned to the end
                new Case(1, 4, 1, 130, 40, 33, true, 0, false),      // Tq > Tk: first 90 rows see nothing
                new Case(2, 3, 1, 65, 129, 64, true, 5, false),      // MQA, causal + padding
                new Case(2, 2, 1, 64, 128, 64, false, 0, true),      // a batch row with every key padded
                new Case(1, 1, 1, 200, 200, 7, true, 2, false),
                new Case(3, 2, 2, 1, 150, 9, true, 0, false))        // decode: one query, all keys visible
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheNaiveReference(Case c) {
        Generator g = new Generator(42);
        try (Tensor q = Tensor.randn(g, c.b, c.h, c.tq, c.d); Tensor k = Tensor.randn(g, c.b, c.hkv, c.tk, c.d);
             Tensor v = Tensor.randn(g, c.b, c.hkv, c.tk, c.d); Tensor dO = Tensor.randn(g, c.b, c.h, c.tq, c.d);
             Tensor mask = c.mask() == null ? null : Tensor.fromArray(c.mask(), c.b, c.tk)) {
            double scale = 1.0 / Math.sqrt(c.d);
            Naive ref = Naive.run(c, q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), dO.toDoubleArray(), c.mask(), scale);
            try (Attention.Output out = Attention.forward(q, k, v, c.causal, mask, Double.NaN);
                 Attention.Gradients grads = Attention.backward(dO, q, k, v, out.output(), out.logSumExp(), c.causal, mask, Double.NaN)) {
                assertClose("output", ref.out, out.output());
                assertLse(ref.lse, out.logSumExp());
                assertClose("dQ", ref.dq, grads.query());
                assertClose("dK", ref.dk, grads.key());
                assertClose("dV", ref.dv, grads.value());
            }
        }
    }

    @Test
    void nonContiguousInputsGiveTheSameResult() {
        Generator g = new Generator(7);
        // q, k, v stored as [B, T, H, D] (the layout a projection produces) and viewed as [B, H, T, D]
        try (Tensor qs = Tensor.randn(g, 2, 75, 4, 24); Tensor ks = Tensor.randn(g, 2, 90, 2, 24);
             Tensor vs = Tensor.randn(g, 2, 90, 2, 24); Tensor dO = Tensor.randn(g, 2, 4, 75, 24);
             Tensor q = qs.transpose(1, 2); Tensor k = ks.transpose(1, 2); Tensor v = vs.transpose(1, 2);
             Tensor qc = q.contiguous(); Tensor kc = k.contiguous(); Tensor vc = v.contiguous();
             Tensor dOt = dO.transpose(2, 3).contiguous(); Tensor dOv = dOt.transpose(2, 3)) {
            assertTrue(!q.isContiguous() && !dOv.isContiguous());
            Case c = new Case(2, 4, 2, 75, 90, 24, true, 0, false);
            Naive ref = Naive.run(c, qc.toDoubleArray(), kc.toDoubleArray(), vc.toDoubleArray(), dO.toDoubleArray(), null, 0.3);
            try (Attention.Output out = Attention.forward(q, k, v, true, null, 0.3);
                 Attention.Gradients grads = Attention.backward(dOv, q, k, v, out.output(), out.logSumExp(), true, null, 0.3)) {
                assertClose("output", ref.out, out.output());
                assertClose("dQ", ref.dq, grads.query());
                assertClose("dK", ref.dk, grads.key());
                assertClose("dV", ref.dv, grads.value());
            }
        }
    }

    @Test
    void resultsAreBitwiseTheSameAtOneAndTwoThreads() {
        // B*Hkv = 1 takes the two-pass dQ schedule with 2 threads and the single pass with 1.
        for (int hkv : new int[] {1, 2}) {
            Generator g = new Generator(3);
            try (Tensor q = Tensor.randn(g, 1, 2, 150, 40); Tensor k = Tensor.randn(g, 1, hkv, 170, 40);
                 Tensor v = Tensor.randn(g, 1, hkv, 170, 40); Tensor dO = Tensor.randn(g, 1, 2, 150, 40)) {
                // the first call also runs in the interpreter: results must not depend on the JIT tier
                float[][] one = runAll(q, k, v, dO, 1);
                float[][] two = runAll(q, k, v, dO, 2);
                float[][] again = runAll(q, k, v, dO, 1);
                for (int i = 0; i < one.length; i++) {
                    assertArrayEquals(one[i], two[i], "result " + i + " with hkv " + hkv);
                    assertArrayEquals(one[i], again[i], "result " + i + " with hkv " + hkv + ", second run");
                }
            }
        }
    }

    private static float[][] runAll(Tensor q, Tensor k, Tensor v, Tensor dO, int threads) {
        int saved = CpuParallel.threads();
        CpuParallel.setThreads(threads);
        try (Attention.Output out = Attention.forward(q, k, v, true, null, Double.NaN);
             Attention.Gradients gr = Attention.backward(dO, q, k, v, out.output(), out.logSumExp(), true, null, Double.NaN)) {
            return new float[][] {out.output().toFloatArray(), out.logSumExp().toFloatArray(),
                    gr.query().toFloatArray(), gr.key().toFloatArray(), gr.value().toFloatArray()};
        } finally {
            CpuParallel.setThreads(saved);
        }
    }

    @Test
    void otherFloatDtypesComputeInF32AndRoundBack() {
        Generator g = new Generator(11);
        try (Tensor q = Tensor.randn(g, 1, 2, 33, 8); Tensor k = Tensor.randn(g, 1, 1, 40, 8);
             Tensor v = Tensor.randn(g, 1, 1, 40, 8); Tensor dO = Tensor.randn(g, 1, 2, 33, 8);
             Attention.Output ref = Attention.forward(q, k, v, false, null, Double.NaN);
             Attention.Gradients refG = Attention.backward(dO, q, k, v, ref.output(), ref.logSumExp(), false, null, Double.NaN)) {
            for (DType t : new DType[] {DType.F64, DType.BF16, DType.F16}) {
                double eps = t == DType.F64 ? 1e-6 : t == DType.F16 ? 2e-3 : 2e-2;
                try (Tensor qt = q.to(t); Tensor kt = k.to(t); Tensor vt = v.to(t); Tensor dt = dO.to(t);
                     Attention.Output out = Attention.forward(qt, kt, vt, false, null, Double.NaN);
                     Attention.Gradients gr = Attention.backward(dt, qt, kt, vt, out.output(), out.logSumExp(), false, null, Double.NaN)) {
                    assertEquals(t, out.output().dtype());
                    assertEquals(DType.F32, out.logSumExp().dtype());
                    assertEquals(t, gr.key().dtype());
                    assertWithin(t + " output", ref.output().toDoubleArray(), out.output().toDoubleArray(), eps);
                    assertWithin(t + " dQ", refG.query().toDoubleArray(), gr.query().toDoubleArray(), 4 * eps);
                    assertWithin(t + " dK", refG.key().toDoubleArray(), gr.key().toDoubleArray(), 4 * eps);
                    assertWithin(t + " dV", refG.value().toDoubleArray(), gr.value().toDoubleArray(), 4 * eps);
                }
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirShapes() {
        try (Tensor q = Tensor.zeros(1, 4, 5, 8); Tensor k = Tensor.zeros(1, 3, 6, 8); Tensor k2 = Tensor.zeros(1, 2, 6, 8);
             Tensor v3 = Tensor.zeros(1, 2, 6, 7); Tensor q3 = Tensor.zeros(4, 5, 8);
             Tensor kd = Tensor.zeros(DType.F64, 1, 2, 6, 8); Tensor badMask = Tensor.zeros(1, 6);
             Tensor shortMask = Tensor.fromArray(new boolean[5], 1, 5)) {
            assertMessage("multiple of the number of kv heads (3)", () -> Attention.forward(q, k, k, false, null, Double.NaN));
            assertMessage("same shape", () -> Attention.forward(q, k2, v3, false, null, Double.NaN));
            assertMessage("must be 4-D", () -> Attention.forward(q3, k2, k2, false, null, Double.NaN));
            assertMessage("share one floating-point dtype", () -> Attention.forward(q, kd, kd, false, null, Double.NaN));
            assertMessage("BOOL [1, 6]", () -> Attention.forward(q, k2, k2, false, badMask, Double.NaN));
            assertMessage("got BOOL [1, 5]", () -> Attention.forward(q, k2, k2, false, shortMask, Double.NaN));
            assertMessage("scale must be finite", () -> Attention.forward(q, k2, k2, false, null, Double.POSITIVE_INFINITY));
            try (Attention.Output out = Attention.forward(q, k2, k2, false, null, Double.NaN)) {
                assertMessage("gradOutput must be", () -> Attention.backward(k2, q, k2, k2, out.output(), out.logSumExp(),
                        false, null, Double.NaN));
                assertMessage("logSumExp must be F32 [1, 4, 5]", () -> Attention.backward(q, q, k2, k2, out.output(),
                        out.output(), false, null, Double.NaN));
            }
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    // ---------------------------------------------------------------------------- comparisons

    /** max |got - ref| <= TOL * max(1, max |ref|): the error relative to the tensor's scale. */
    private static void assertClose(String name, double[] ref, Tensor got) {
        assertWithin(name, ref, got.toDoubleArray(), TOL);
    }

    private static void assertWithin(String name, double[] ref, double[] got, double tol) {
        assertEquals(ref.length, got.length, name + " size");
        double scale = 1;
        for (double r : ref) {
            scale = Math.max(scale, Math.abs(r));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        int where = at;
        double w = worst;
        double s = scale;
        assertTrue(worst <= tol * scale, () -> name + ": max error " + w + " (scale " + s + ") at " + where
                + ": got " + got[where] + ", expected " + ref[where]);
    }

    private static void assertLse(double[] ref, Tensor got) {
        float[] g = got.toFloatArray();
        for (int i = 0; i < ref.length; i++) {
            if (ref[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, g[i], "lse of a fully masked row, index " + i);
            } else {
                assertEquals(ref[i], g[i], TOL * Math.max(1, Math.abs(ref[i])), "lse at " + i);
            }
        }
    }

    /** The textbook algorithm in double: the full score matrix per (b, h), softmax, then its backward. */
    static final class Naive {
        double[] out;
        double[] lse;
        double[] dq;
        double[] dk;
        double[] dv;

        static Naive run(Case c, double[] q, double[] k, double[] v, double[] dO, boolean[] mask, double scale) {
            Naive r = new Naive();
            int d = c.d;
            r.out = new double[c.b * c.h * c.tq * d];
            r.lse = new double[c.b * c.h * c.tq];
            r.dq = new double[r.out.length];
            r.dk = new double[c.b * c.hkv * c.tk * d];
            r.dv = new double[r.dk.length];
            for (int b = 0; b < c.b; b++) {
                for (int h = 0; h < c.h; h++) {
                    int kvh = h / (c.h / c.hkv);
                    int qBase = (b * c.h + h) * c.tq * d;
                    int kBase = (b * c.hkv + kvh) * c.tk * d;
                    for (int i = 0; i < c.tq; i++) {
                        double[] p = new double[c.tk];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < c.tk; j++) {
                            boolean masked = (mask != null && mask[b * c.tk + j]) || (c.causal && j > i + c.tk - c.tq);
                            double s = 0;
                            for (int e = 0; e < d; e++) {
                                s += q[qBase + i * d + e] * k[kBase + j * d + e];
                            }
                            p[j] = masked ? Double.NEGATIVE_INFINITY : s * scale;
                            max = Math.max(max, p[j]);
                        }
                        int row = (b * c.h + h) * c.tq + i;
                        if (max == Double.NEGATIVE_INFINITY) {
                            r.lse[row] = Double.NEGATIVE_INFINITY;
                            continue; // output and gradients stay 0
                        }
                        double sum = 0;
                        for (int j = 0; j < c.tk; j++) {
                            p[j] = Math.exp(p[j] - max);
                            sum += p[j];
                        }
                        r.lse[row] = max + Math.log(sum);
                        double[] dp = new double[c.tk];
                        double delta = 0;
                        for (int j = 0; j < c.tk; j++) {
                            p[j] /= sum;
                            for (int e = 0; e < d; e++) {
                                r.out[qBase + i * d + e] += p[j] * v[kBase + j * d + e];
                                dp[j] += dO[qBase + i * d + e] * v[kBase + j * d + e];
                            }
                            delta += p[j] * dp[j];
                        }
                        for (int j = 0; j < c.tk; j++) {
                            double ds = p[j] * (dp[j] - delta) * scale;
                            for (int e = 0; e < d; e++) {
                                r.dq[qBase + i * d + e] += ds * k[kBase + j * d + e];
                                r.dk[kBase + j * d + e] += ds * q[qBase + i * d + e];
                                r.dv[kBase + j * d + e] += p[j] * dO[qBase + i * d + e];
                            }
                        }
                    }
                }
            }
            return r;
        }
    }
}
