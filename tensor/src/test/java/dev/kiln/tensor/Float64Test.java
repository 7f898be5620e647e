package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.kernels.cpu.HalfConversions;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * F64 end to end: creation and download are bit-exact, conversions to and from every dtype round
 * once (to nearest even) or truncate as torch does, promotion makes F64 win, and the ops that move
 * or combine values (matmul, indexing, sort, where, clamp, im2col...) never round through float.
 * Elementwise ops, reductions and softmax are covered per op by the op registry (test-fixtures: OpInfoSuiteTest, OpConformanceTest) at 1e-14.
 */
class Float64Test {
    /** Doubles no float can hold, and the edge cases. */
    static final double[] SPECIAL = {0.1, 1.0 / 3, -2.0 / 3, 1 + 0x1p-40, 1e-300, Double.MIN_VALUE, -Double.MAX_VALUE,
            1e39, -1e39, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 65519.99, 65520,
            3.4028235e38, 0x1p-140, 1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-8 + 0x1p-40, -(1 + 0x1p-11), 2.5, -2.5};

    static void assertBitsEqual(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]),
                    what + "[" + i + "]: want " + want[i] + " got " + got[i]);
        }
    }

    // ------------------------------------------------------------------ dtype

    @Test
    void dtypePropertiesAndPromotion() {
        assertEquals(8, DType.F64.byteSize());
        assertTrue(DType.F64.isFloatingPoint());
        assertFalse(DType.F64.isHalf());
        assertFalse(DType.F64.isIntegral());
        assertEquals(DType.F64, DType.F64.toFloating());
        assertEquals(DType.F32, DType.I64.toFloating(), "integers still become torch's default float, F32");
        for (DType t : DType.values()) {
            assertEquals(DType.F64, DType.promote(DType.F64, t), "F64 with " + t);
            assertEquals(DType.F64, DType.promote(t, DType.F64), t + " with F64");
        }
        assertEquals(DType.F32, DType.promote(DType.F16, DType.BF16));
        assertEquals(DType.F16, DType.promote(DType.F16, DType.I64));
        assertEquals(DType.F32, DType.promote(DType.F32, DType.BF16));
    }

    @Test
    void mixedArithmeticPromotesToF64AndComputesInDouble() {
        long big = (1L << 53) + 2; // exact in double, not in float
        try (Tensor d = Tensor.fromArray(new double[] {0.1, 1 + 0x1p-40, -0.0}, DType.F64, 3);
             Tensor f = Tensor.fromArray(new float[] {0.1f, 1, 0}, 3);
             Tensor l = Tensor.fromArray(new long[] {big, 3, -7}, 3);
             Tensor b = Tensor.fromArray(new boolean[] {true, false, true}, 3);
             Tensor df = d.add(f); Tensor fd = f.sub(d); Tensor dl = d.mul(l); Tensor ld = l.add(d); Tensor db = d.add(b);
             Tensor lt = d.lt(l); Tensor eq = d.eq(f); Tensor ds = d.mul(3); Tensor dDiv = l.div(d)) {
            for (Tensor t : new Tensor[] {df, fd, dl, ld, db, ds, dDiv}) {
                assertEquals(DType.F64, t.dtype());
            }
            assertBitsEqual(new double[] {0.1 + (double) 0.1f, 1 + 0x1p-40 + 1, -0.0 + 0}, df.toDoubleArray(), "F64 + F32");
            assertBitsEqual(new double[] {(double) 0.1f - 0.1, 1 - (1 + 0x1p-40), 0 - -0.0}, fd.toDoubleArray(), "F32 - F64");
            assertBitsEqual(new double[] {0.1 * big, (1 + 0x1p-40) * 3, -0.0 * -7}, dl.toDoubleArray(), "F64 * I64");
            assertBitsEqual(new double[] {big + 0.1, 3 + 1 + 0x1p-40, -7 + -0.0}, ld.toDoubleArray(), "I64 + F64");
            assertBitsEqual(new double[] {1.1, 1 + 0x1p-40, 1}, db.toDoubleArray(), "F64 + BOOL");
            assertBitsEqual(new double[] {0.1 * 3, (1 + 0x1p-40) * 3, -0.0}, ds.toDoubleArray(), "F64 * scalar");
            assertBitsEqual(new double[] {big / 0.1, 3 / (1 + 0x1p-40), Double.POSITIVE_INFINITY}, dDiv.toDoubleArray(), "I64 / F64");
            assertArrayEquals(new boolean[] {true, true, false}, lt.toBooleanArray());
            // 0.1 != (double) 0.1f and 1 + 2^-40 != 1: compared in double, not after rounding to float
            assertArrayEquals(new boolean[] {false, false, true}, eq.toBooleanArray());
        }
    }

    // ------------------------------------------------------------------ creation and download

    @Test
    void creationAndDownloadAreBitExact() {
        try (Tensor t = Tensor.fromArray(SPECIAL.clone(), DType.F64, SPECIAL.length)) {
            assertEquals(DType.F64, t.dtype());
            assertBitsEqual(SPECIAL, t.toDoubleArray(), "round trip");
            for (int i = 0; i < SPECIAL.length; i++) {
                try (Tensor e = t.narrow(0, i, 1)) {
                    assertEquals(Double.doubleToLongBits(SPECIAL[i]), Double.doubleToLongBits(e.item()), "item " + i);
                }
            }
        }
        try (Tensor z = Tensor.zeros(DType.F64, 2, 3); Tensor o = Tensor.ones(DType.F64, 4);
             Tensor f = Tensor.full(0.1, DType.F64, 2, 2); Tensor s = Tensor.scalar(1.0 / 3, DType.F64);
             Tensor a = Tensor.arange(0, 1, 0.1, DType.F64)) {
            assertArrayEquals(new double[6], z.toDoubleArray(), 0.0);
            assertArrayEquals(new double[] {1, 1, 1, 1}, o.toDoubleArray(), 0.0);
            assertArrayEquals(new double[] {0.1, 0.1, 0.1, 0.1}, f.toDoubleArray(), 0.0);
            assertEquals(1.0 / 3, s.item(), 0.0);
            assertEquals(10, a.numel());
            for (int i = 0; i < 10; i++) {
                assertEquals(i * 0.1, a.toDoubleArray()[i], 0.0);
            }
            assertTrue(s.toString().contains("0.3333333333333333") && s.toString().contains("F64"), s.toString());
        }
        // strided views download exactly (the generic copy path)
        double[] v = new double[12];
        for (int i = 0; i < v.length; i++) v[i] = i + 0.1 + i * 0x1p-45;
        try (Tensor m = Tensor.fromArray(v, DType.F64, 3, 4); Tensor mt = m.t(); Tensor st = m.slice(1, 1, 4, 2)) {
            double[] got = mt.toDoubleArray();
            for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) assertEquals(v[c * 4 + r], got[r * 3 + c], 0.0);
            assertArrayEquals(new double[] {v[1], v[3], v[5], v[7], v[9], v[11]}, st.toDoubleArray(), 0.0);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new double[3], DType.F64, 2, 2));
        assertTrue(e.getMessage().contains("fromArray"), e.getMessage());
    }

    // ------------------------------------------------------------------ conversions

    @Test
    void f64ToF32RoundsOnceOverflowsToInfinityAndKeepsSignedZero() {
        try (Tensor d = Tensor.fromArray(SPECIAL.clone(), DType.F64, SPECIAL.length); Tensor f = d.to(DType.F32);
             Tensor dt = d.reshape(1, -1).t(); Tensor ft = dt.to(DType.F32)) { // contiguous fast path and generic path
            float[] fv = f.toFloatArray();
            float[] ftv = ft.toFloatArray();
            for (int i = 0; i < SPECIAL.length; i++) {
                float want = (float) SPECIAL[i];
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(fv[i]), "F64->F32 of " + SPECIAL[i]);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(ftv[i]), "strided F64->F32 of " + SPECIAL[i]);
            }
            assertEquals(Float.POSITIVE_INFINITY, fv[7], "1e39 is beyond float range");
            assertEquals(Float.NEGATIVE_INFINITY, fv[8]);
            assertEquals(Float.MAX_VALUE, fv[16], "just above FLT_MAX but below the rounding point");
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(fv[12]));
            assertEquals(0f, fv[5], "Double.MIN_VALUE underflows to 0");
        }
        float[] fs = {0.1f, -3.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, Float.NEGATIVE_INFINITY, -0f};
        try (Tensor f = Tensor.fromArray(fs, fs.length); Tensor d = f.to(DType.F64); Tensor ft = f.slice(0, 0, 7, 2);
             Tensor dt = ft.to(DType.F64)) {
            double[] dv = d.toDoubleArray();
            for (int i = 0; i < fs.length; i++) {
                assertEquals(Double.doubleToLongBits(fs[i]), Double.doubleToLongBits(dv[i]), "F32->F64 of " + fs[i]);
            }
            assertArrayEquals(new double[] {0.1f, Float.MIN_VALUE, Float.NaN, -0f}, dt.toDoubleArray(), 0.0);
        }
    }

    @Test
    void f64ToHalvesRoundOnceFromTheDouble() {
        try (Tensor d = Tensor.fromArray(SPECIAL.clone(), DType.F64, SPECIAL.length); Tensor h = d.to(DType.F16);
             Tensor b = d.to(DType.BF16); Tensor hd = h.to(DType.F64); Tensor bd = b.to(DType.F64)) {
            short[] hv = h.toBits();
            short[] bv = b.toBits();
            double[] hdv = hd.toDoubleArray();
            double[] bdv = bd.toDoubleArray();
            for (int i = 0; i < SPECIAL.length; i++) {
                double x = SPECIAL[i];
                if (Double.isNaN(x)) {
                    assertTrue(Float.isNaN(HalfConversions.f16ToF32(hv[i])) && Float.isNaN(HalfConversions.bf16ToF32(bv[i])));
                    assertTrue(Double.isNaN(hdv[i]) && Double.isNaN(bdv[i]));
                    continue;
                }
                assertEquals(HalfConversions.f64ToF16(x), hv[i], "F64->F16 of " + x);
                assertEquals(HalfConversions.f64ToBf16(x), bv[i], "F64->BF16 of " + x);
                assertEquals(HalfConversions.f16ToF32(hv[i]), hdv[i], 0.0, "F16->F64 is exact");
                assertEquals(HalfConversions.bf16ToF32(bv[i]), bdv[i], 0.0, "BF16->F64 is exact");
            }
            // The double-rounding traps: just above a half tie, the float is the tie itself.
            assertEquals((short) 0x3C01, hv[18], "1 + 2^-11 + 2^-40 rounds up to 1 + 2^-10 in F16");
            assertEquals((short) 0x3F81, bv[19], "1 + 2^-8 + 2^-40 rounds up to 1 + 2^-7 in BF16");
            assertEquals((short) 0xBC00, hv[20], "-(1 + 2^-11) is a tie: to even");
            assertEquals((short) 0x7BFF, hv[14], "65519.99 stays the largest F16");
            assertEquals((short) 0x7C00, hv[15], "65520 rounds to infinity");
            assertEquals((short) 0x8000, hv[12], "-0.0");
            assertEquals((short) 0x7C00, hv[7]);
            assertEquals((short) 0xFF80, bv[8], "-1e39 is -inf in BF16");
        }
        // fromArray(double[], F16/BF16) and full() take the same single rounding
        double trap = 1 + 0x1p-11 + 0x1p-40;
        try (Tensor h = Tensor.fromArray(new double[] {trap}, DType.F16, 1); Tensor f = Tensor.full(trap, DType.F16, 1)) {
            assertEquals((short) 0x3C01, h.toBits()[0]);
            assertEquals((short) 0x3C01, f.toBits()[0]);
        }
    }

    @Test
    void f64ToIntegersTruncatesAndIntegersToF64RoundOnce() {
        double[] d = {-2.7, -0.5, -0.0, 0.5, 2.9999999999999996, 1e10, -1e10, 127.9, 300.2, Double.NaN, 4503599627370497.0};
        try (Tensor x = Tensor.fromArray(d, DType.F64, d.length); Tensor l = x.to(DType.I64); Tensor i = x.to(DType.I32);
             Tensor b = x.to(DType.I8); Tensor z = x.to(DType.BOOL)) {
            long[] lv = l.toLongArray();
            long[] iv = i.toLongArray();
            double[] bv = b.toDoubleArray();
            boolean[] zv = z.toBooleanArray();
            for (int k = 0; k < d.length; k++) {
                assertEquals((long) d[k], lv[k], "F64->I64 of " + d[k]);
                assertEquals((int) (long) d[k], iv[k], "F64->I32 of " + d[k]);
                assertEquals((byte) (long) d[k], bv[k], 0.0, "F64->I8 of " + d[k]);
                assertEquals(d[k] != 0 || Double.isNaN(d[k]), zv[k], "F64->BOOL of " + d[k]);
            }
            assertEquals(4503599627370497L, lv[10], "2^52 + 1 survives F64 (not F32)");
        }
        long[] l = {(1L << 53) + 1, (1L << 53) + 3, Long.MAX_VALUE, Long.MIN_VALUE, -((1L << 60) + (1L << 7) + 1), 123};
        try (Tensor x = Tensor.fromArray(l, l.length); Tensor dl = x.to(DType.F64); Tensor xi = Tensor.fromArray(new int[] {Integer.MIN_VALUE, 7}, 2);
             Tensor di = xi.to(DType.F64); Tensor xb = Tensor.fromArray(new byte[] {-128, 5}, 2); Tensor db = xb.to(DType.F64);
             Tensor back = dl.to(DType.I64)) {
            double[] dv = dl.toDoubleArray();
            for (int k = 0; k < l.length; k++) {
                assertEquals((double) l[k], dv[k], 0.0, "I64->F64 of " + l[k]); // Java's long->double is RNE
            }
            assertEquals(0x1p53, dv[0], 0.0, "2^53 + 1 is a tie: to even");
            assertEquals(0x1p53 + 4, dv[1], 0.0, "2^53 + 3 is a tie: to even (up)");
            assertArrayEquals(new double[] {Integer.MIN_VALUE, 7}, di.toDoubleArray(), 0.0);
            assertArrayEquals(new double[] {-128, 5}, db.toDoubleArray(), 0.0);
            assertEquals(Long.MAX_VALUE, back.toLongArray()[2], "2^63 saturates back to Long.MAX_VALUE like a Java cast");
        }
    }

    // ------------------------------------------------------------------ matmul

    static double[] randomDoubles(SplittableRandom rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextDouble(-2, 2);
        return v;
    }

    /** C = A·B for row-major batched arrays, batch dims already equal. */
    static double[][] naive(double[] a, double[] b, int batches, int m, int k, int n) {
        double[] c = new double[batches * m * n];
        double[] abs = new double[c.length];
        for (int bi = 0; bi < batches; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double t = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a[(bi * m + i) * k + p] * b[(bi * k + p) * n + j];
                        s += x;
                        t += Math.abs(x);
                    }
                    c[(bi * m + i) * n + j] = s;
                    abs[(bi * m + i) * n + j] = t;
                }
            }
        }
        return new double[][] {c, abs};
    }

    static void assertMatmul(double[][] want, Tensor got, int k, String what) {
        assertEquals(DType.F64, got.dtype(), what);
        double[] g = got.toDoubleArray();
        assertEquals(want[0].length, g.length, what);
        for (int i = 0; i < g.length; i++) {
            assertEquals(want[0][i], g[i], 2 * Math.max(k, 1) * 0x1p-53 * want[1][i], what + " [" + i + "]");
        }
    }

    @Test
    void matmulMatchesNaiveLoopsForEveryLayout() {
        SplittableRandom rng = new SplittableRandom(17);
        for (int[] mkn : new int[][] {{1, 1, 1}, {5, 7, 3}, {4, 33, 17}, {64, 80, 70}, {3, 1, 4}, {2, 100, 1}}) {
            int m = mkn[0];
            int k = mkn[1];
            int n = mkn[2];
            double[] a = randomDoubles(rng, m * k);
            double[] b = randomDoubles(rng, k * n);
            double[][] want = naive(a, b, 1, m, k, n);
            String dims = m + "x" + k + "x" + n;
            try (Tensor ta = Tensor.fromArray(a, DType.F64, m, k); Tensor tb = Tensor.fromArray(b, DType.F64, k, n);
                 Tensor c = ta.matmul(tb);
                 // the same operands stored transposed, then viewed back with .t()
                 Tensor at = ta.t().contiguous(); Tensor bt = tb.t().contiguous(); Tensor atv = at.t(); Tensor btv = bt.t();
                 Tensor c2 = atv.matmul(tb); Tensor c3 = ta.matmul(btv); Tensor c4 = atv.matmul(btv)) {
                assertMatmul(want, c, k, dims);
                assertMatmul(want, c2, k, dims + " A^T view");
                assertMatmul(want, c3, k, dims + " B^T view");
                assertMatmul(want, c4, k, dims + " both transposed");
            }
        }
        // batches with broadcasting: [2, 1, 4, 5] x [3, 5, 6] -> [2, 3, 4, 6]
        double[] a = randomDoubles(rng, 2 * 4 * 5);
        double[] b = randomDoubles(rng, 3 * 5 * 6);
        double[] ae = new double[6 * 20];
        double[] be = new double[6 * 30];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                System.arraycopy(a, i * 20, ae, (i * 3 + j) * 20, 20);
                System.arraycopy(b, j * 30, be, (i * 3 + j) * 30, 30);
            }
        }
        try (Tensor ta = Tensor.fromArray(a, DType.F64, 2, 1, 4, 5); Tensor tb = Tensor.fromArray(b, DType.F64, 3, 5, 6);
             Tensor c = ta.matmul(tb)) {
            assertArrayEquals(new int[] {2, 3, 4, 6}, c.shape().toArray());
            assertMatmul(naive(ae, be, 6, 4, 5, 6), c, 5, "broadcast batches");
        }
        // a stepped (non-unit inner stride) operand, vectors, and k = 0
        double[] wide = randomDoubles(rng, 4 * 10);
        double[] bb = randomDoubles(rng, 5 * 3);
        double[] stepped = new double[20];
        for (int i = 0; i < 4; i++) for (int p = 0; p < 5; p++) stepped[i * 5 + p] = wide[i * 10 + 2 * p];
        try (Tensor w = Tensor.fromArray(wide, DType.F64, 4, 10); Tensor s = w.slice(1, 0, 10, 2);
             Tensor tb = Tensor.fromArray(bb, DType.F64, 5, 3); Tensor c = s.matmul(tb)) {
            assertMatmul(naive(stepped, bb, 1, 4, 5, 3), c, 5, "stepped A");
        }
        double[] v = randomDoubles(rng, 9);
        double[] u = randomDoubles(rng, 9);
        try (Tensor tv = Tensor.fromArray(v, DType.F64, 9); Tensor tu = Tensor.fromArray(u, DType.F64, 9);
             Tensor dot = tv.matmul(tu); Tensor e1 = Tensor.zeros(DType.F64, 3, 0); Tensor e2 = Tensor.zeros(DType.F64, 0, 2);
             Tensor z = e1.matmul(e2)) {
            assertEquals(0, dot.rank());
            assertMatmul(naive(v, u, 1, 1, 9, 1), dot, 9, "vector dot");
            assertArrayEquals(new double[6], z.toDoubleArray(), 0.0);
        }
        // the check can fail: an F32 product of the same operands is off by far more than F64 allows
        double[] x = randomDoubles(rng, 8 * 8);
        try (Tensor t = Tensor.fromArray(x, DType.F64, 8, 8); Tensor t32 = t.to(DType.F32); Tensor p32 = t32.matmul(t32);
             Tensor p = p32.to(DType.F64)) {
            assertThrows(AssertionError.class, () -> assertMatmul(naive(x, x, 1, 8, 8, 8), p, 8, "F32 product"));
        }
    }

    // ------------------------------------------------------------------ ops that move values

    @Test
    void indexingSortWhereClampAndWindowsKeepEveryBit() {
        double base = 1 + 0x1p-40; // differences below float resolution
        double[] v = {base + 0x1p-50, base, base + 0x1p-48, 0.1, base + 0x1p-49, -0.0};
        try (Tensor x = Tensor.fromArray(v, DType.F64, 2, 3); Tensor idx = Tensor.fromArray(new long[] {2, 0}, 2);
             Tensor sel = x.indexSelect(1, idx); Tensor gi = Tensor.fromArray(new long[] {1, 1, 0, 0, 0, 1}, 2, 3);
             Tensor g = x.gather(1, gi); Tensor zero = Tensor.zeros(DType.F64, 2, 3); Tensor sa = zero.scatterAdd(1, gi, x);
             Tensor flat = x.reshape(-1); Tensor order = flat.argsort(0, false);
             Tensor mask = x.gt(base); Tensor w = Tensor.where(mask, x, zero); Tensor c = x.clamp(base + 0x1p-49, Double.NaN);
             Tensor f32 = Tensor.fromArray(new float[] {7}, 1, 1); Tensor cat = Tensor.cat(List.of(x, f32.expand(2, 1)), 1)) {
            assertArrayEquals(new double[] {v[2], v[0], v[5], v[3]}, sel.toDoubleArray(), 0.0);
            assertArrayEquals(new double[] {v[1], v[1], v[0], v[3], v[3], v[4]}, g.toDoubleArray(), 0.0);
            assertArrayEquals(new double[] {v[2], v[0] + v[1], 0, v[3] + v[4], v[5], 0}, sa.toDoubleArray(), 0.0);
            assertArrayEquals(new long[] {5, 3, 1, 0, 4, 2}, order.toLongArray(), "sorted by exact double value");
            assertArrayEquals(new boolean[] {true, false, true, false, true, false}, mask.toBooleanArray());
            assertArrayEquals(new double[] {v[0], 0, v[2], 0, v[4], 0}, w.toDoubleArray(), 0.0);
            double lo = base + 0x1p-49;
            assertArrayEquals(new double[] {lo, lo, v[2], lo, lo, lo}, c.toDoubleArray(), 0.0);
            assertEquals(DType.F64, cat.dtype());
            assertArrayEquals(new double[] {v[0], v[1], v[2], 7, v[3], v[4], v[5], 7}, cat.toDoubleArray(), 0.0);
        }
        try (Tensor x = Tensor.fromArray(v, DType.F64, 6); Tensor tk = x.topk(2, 0, true).values();
             Tensor am = x.argmax(); Tensor mx = x.max(); Tensor s = x.sum()) {
            assertArrayEquals(new double[] {v[2], v[4]}, tk.toDoubleArray(), 0.0);
            assertEquals(2, am.item());
            assertEquals(v[2], mx.item(), 0.0);
            assertEquals(((v[0] + v[1]) + v[2]) + ((v[3] + v[4]) + v[5]), s.item(), 2e-16 * 6);
        }
        // im2col/col2im: the generic path moves and sums doubles exactly
        double[] img = new double[9];
        for (int i = 0; i < 9; i++) img[i] = i + 0x1p-45 * i;
        Window2d win = Window2d.of(2, 1, 0);
        try (Tensor im = Tensor.fromArray(img, DType.F64, 1, 1, 3, 3); Tensor cols = im.im2col(win, 0);
             Tensor back = cols.col2im(3, 3, win)) {
            assertEquals(DType.F64, cols.dtype());
            double[] cv = cols.toDoubleArray(); // row (i*2 + j), column (oh*2 + ow) holds img[(oh + i)*3 + ow + j]
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) for (int oh = 0; oh < 2; oh++) for (int ow = 0; ow < 2; ow++) {
                assertEquals(img[(oh + i) * 3 + ow + j], cv[(i * 2 + j) * 4 + oh * 2 + ow], 0.0);
            }
            int[] counts = {1, 2, 1, 2, 4, 2, 1, 2, 1};
            double[] bv = back.toDoubleArray();
            for (int p = 0; p < 9; p++) assertEquals(counts[p] * img[p], bv[p], 0.0, "col2im at " + p);
        }
    }

    @Test
    void softmaxAndVarianceInDouble() {
        double[] r = {1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4};
        try (Tensor x = Tensor.fromArray(r, DType.F64, 4); Tensor var = x.var(); Tensor sm = x.softmax(0);
             Tensor lsm = x.logSoftmax(0); Tensor mean = x.mean()) {
            assertEquals(5.0 / 3, var.item(), 1e-15, "F32 could not even hold the data");
            assertEquals(1e8 + 2.5, mean.item(), 0.0);
            double[] s = sm.toDoubleArray();
            double z = 1 + Math.exp(1) + Math.exp(2) + Math.exp(3);
            for (int i = 0; i < 4; i++) {
                assertEquals(Math.exp(i) / z, s[i], 1e-16);
                assertEquals(i - Math.log(z), lsm.toDoubleArray()[i], 1e-15);
            }
        }
    }

    // ------------------------------------------------------------------ erf and random

    @Test
    void erfMatchesHighPrecisionValues() {
        // 30-digit mpmath values
        double[] x = {0.5, 1e-10, 1.7, 2.5, -3.3, 5, 0.1, 7, -0.0};
        double[] want = {0.52049987781304653768, 1.1283791670955125739e-10, 0.98379045859077456363,
                0.99959304798255504106, -0.99999694229020356184, 0.99999999999846254021, 0.1124629160182848922, 1, -0.0};
        try (Tensor t = Tensor.fromArray(x, DType.F64, x.length); Tensor e = t.erf(); Tensor t32 = t.to(DType.F32);
             Tensor e32 = t32.erf(); Tensor ti = Tensor.fromArray(new long[] {0, 1, -2}, 3); Tensor ei = ti.erf();
             Tensor h = t.to(DType.BF16); Tensor eh = h.erf()) {
            double[] got = e.toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(want[i], got[i], 2 * Math.ulp(want[i]), "erf(" + x[i] + ")");
            }
            assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(got[8]), "erf(-0.0) is -0.0");
            float[] g32 = e32.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals((float) dev.kiln.tensor.kernels.cpu.Erf.erf((float) x[i]), g32[i], 0f, "F32 erf rounds the double once");
            }
            assertEquals(DType.F32, ei.dtype(), "integers give F32, like torch.erf");
            assertArrayEquals(new float[] {0f, 0.8427008f, -0.9953223f}, ei.toFloatArray(), 1e-7f);
            assertEquals(DType.BF16, eh.dtype());
        }
        try (Tensor s = Tensor.fromArray(new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, DType.F64, 3);
             Tensor e = s.erf()) {
            double[] g = e.toDoubleArray();
            assertTrue(Double.isNaN(g[0]));
            assertEquals(1, g[1]);
            assertEquals(-1, g[2]);
        }
    }

    @Test
    void randomF64IsTheF32StreamWidened() {
        try (Tensor a = Tensor.rand(new Generator(42), DType.F64, 1000); Tensor b = Tensor.rand(new Generator(42), 1000);
             Tensor c = Tensor.randn(new Generator(7), DType.F64, 10, 10); Tensor d = Tensor.randn(new Generator(7), 10, 10);
             Tensor h = Tensor.rand(new Generator(42), DType.BF16, 3)) {
            assertEquals(DType.F64, a.dtype());
            float[] bv = b.toFloatArray();
            double[] av = a.toDoubleArray();
            for (int i = 0; i < av.length; i++) {
                assertEquals(bv[i], av[i], 0.0);
                assertTrue(av[i] >= 0 && av[i] < 1);
            }
            float[] dv = d.toFloatArray();
            double[] cv = c.toDoubleArray();
            for (int i = 0; i < cv.length; i++) assertEquals(dv[i], cv[i], 0.0);
            assertEquals(DType.BF16, h.dtype());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.rand(new Generator(1), DType.I64, 3));
        assertTrue(e.getMessage().contains("rand") && e.getMessage().contains("I64"), e.getMessage());
        try (Tensor r = Tensor.randint(new Generator(3), -5, 5, 100); Tensor rd = r.to(DType.F64)) {
            long[] rv = r.toLongArray();
            double[] dv = rd.toDoubleArray();
            for (int i = 0; i < rv.length; i++) assertEquals(rv[i], dv[i], 0.0);
        }
    }
}
