package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.HalfConversions;
import dev.kiln.tensor.random.Generator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Creation (zeros/ones/full/arange/linspace/eye/random/fromArray) and dtype conversion via to(). */
class CreationTest {

    /** What a double becomes when stored in {@code dtype}, computed here from the dtype's definition. */
    private static double stored(double v, DType dtype) {
        return switch (dtype) {
            case F64 -> v;
            case F32 -> (float) v;
            case F16 -> HalfConversions.f16ToF32(HalfConversions.f64ToF16(v)); // one rounding, from the double
            case BF16 -> HalfConversions.bf16ToF32(HalfConversions.f64ToBf16(v));
            case I64 -> (long) v;
            case I32 -> (int) (long) v;
            case I8 -> (byte) (long) v;
            case BOOL -> v != 0 ? 1 : 0;
        };
    }

    @Test
    void zerosOnesFullForEveryDtype() {
        for (DType dt : DType.values()) {
            for (double value : new double[] {0, 1, -1.7, 2.5, 0.1, 300}) {
                try (Tensor t = Tensor.full(value, dt, 2, 3)) {
                    assertEquals(dt, t.dtype());
                    assertArrayEquals(new int[] {2, 3}, t.shape().toArray());
                    double[] v = t.toDoubleArray();
                    for (double x : v) {
                        assertEquals(stored(value, dt), x, 0.0, "full(" + value + ", " + dt + ")");
                    }
                }
            }
            try (Tensor z = Tensor.zeros(dt, 4); Tensor o = Tensor.ones(dt, 2, 2); Tensor s = Tensor.scalar(1, dt);
                 Tensor e = Tensor.zeros(dt, 0, 3)) {
                assertArrayEquals(new double[4], z.toDoubleArray(), 0.0, "zeros " + dt);
                assertArrayEquals(new double[] {1, 1, 1, 1}, o.toDoubleArray(), 0.0, "ones " + dt);
                assertEquals(0, s.rank());
                assertEquals(1.0, s.item());
                assertEquals(0, e.numel());
            }
        }
        try (Tensor z = Tensor.zeros(3); Tensor o = Tensor.ones(3)) {
            assertEquals(DType.F32, z.dtype());
            assertEquals(DType.F32, o.dtype());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void arangeFloatIntNegativeStepAndEmpty() {
        try (Tensor a = Tensor.arange(0, 1, 0.1, DType.F32)) {
            assertEquals(10, a.numel());
            float[] v = a.toFloatArray();
            for (int i = 0; i < 10; i++) {
                assertEquals((float) (i * 0.1), v[i], 0f);
            }
        }
        try (Tensor a = Tensor.arange(5, 0, -1.5, DType.F32)) {
            assertArrayEquals(new float[] {5, 3.5f, 2, 0.5f}, a.toFloatArray());
        }
        try (Tensor a = Tensor.arange(0, 10, 3, DType.I64); Tensor b = Tensor.arange(10, -3, -4, DType.I32);
             Tensor c = Tensor.arange(6)) {
            assertEquals(DType.I64, a.dtype());
            assertArrayEquals(new long[] {0, 3, 6, 9}, a.toLongArray());
            assertEquals(DType.I32, b.dtype());
            assertArrayEquals(new long[] {10, 6, 2, -2}, b.toLongArray());
            assertEquals(DType.I64, c.dtype());
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, c.toLongArray());
        }
        try (Tensor e1 = Tensor.arange(0, 0, 1, DType.F32); Tensor e2 = Tensor.arange(5, 0, 1, DType.I64);
             Tensor e3 = Tensor.arange(0, 5, -1, DType.F32); Tensor e4 = Tensor.arange(0)) {
            assertEquals(0, e1.numel());
            assertEquals(0, e2.numel());
            assertEquals(0, e3.numel());
            assertEquals(0, e4.numel());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0, DType.F32));
        assertTrue(e.getMessage().contains("arange") && e.getMessage().contains("step"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, Double.POSITIVE_INFINITY, 1, DType.F32));
    }

    @Test
    void linspaceEndpointsExact() {
        double[][] cases = {{0, 1, 5}, {-1, 1, 7}, {0.1, 0.7, 7}, {3, -2.2, 11}, {1e-3, 123.456, 1000}};
        for (double[] c : cases) {
            int steps = (int) c[2];
            try (Tensor t = Tensor.linspace(c[0], c[1], steps)) {
                float[] v = t.toFloatArray();
                assertEquals(steps, v.length);
                assertEquals((float) c[0], v[0], 0f, "first of linspace" + java.util.Arrays.toString(c));
                assertEquals((float) c[1], v[steps - 1], 0f, "last of linspace" + java.util.Arrays.toString(c));
                double step = (c[1] - c[0]) / (steps - 1);
                for (int i = 0; i < steps; i++) {
                    double want = c[0] + i * step;
                    assertEquals(want, v[i], 1e-6 * Math.max(1, Math.abs(want)), "linspace[" + i + "]");
                }
            }
        }
        try (Tensor one = Tensor.linspace(2.5, 9, 1); Tensor none = Tensor.linspace(0, 1, 0)) {
            assertArrayEquals(new float[] {2.5f}, one.toFloatArray());
            assertEquals(0, none.numel());
        }
        assertThrows(IllegalArgumentException.class, () -> Tensor.linspace(0, 1, -1));
    }

    @Test
    void eyeRectangular() {
        int[][] shapes = {{3, 3}, {3, 5}, {5, 3}, {0, 2}, {1, 1}};
        for (int[] s : shapes) {
            try (Tensor e = Tensor.eye(s[0], s[1])) {
                assertArrayEquals(s, e.shape().toArray());
                double[] v = e.toDoubleArray();
                for (int i = 0; i < s[0]; i++) {
                    for (int j = 0; j < s[1]; j++) {
                        assertEquals(i == j ? 1 : 0, v[i * s[1] + j], 0.0);
                    }
                }
            }
        }
        try (Tensor e = Tensor.eye(4)) {
            assertArrayEquals(new int[] {4, 4}, e.shape().toArray());
        }
    }

    @Test
    void randomIsDeterministicAcrossThreadCounts() {
        int before = CpuParallel.threads();
        int n = 300_001; // large enough to be split across threads
        try {
            float[][] u = new float[2][];
            float[][] g = new float[2][];
            long[][] r = new long[2][];
            int[] threads = {1, Math.max(2, CpuParallel.cores())};
            for (int k = 0; k < 2; k++) {
                CpuParallel.setThreads(threads[k]);
                Generator gen = new Generator(1234);
                try (Tensor a = Tensor.rand(gen, n); Tensor b = Tensor.randn(gen, 7, n / 7);
                     Tensor c = Tensor.randint(gen, -5, 17, n)) {
                    u[k] = a.toFloatArray();
                    g[k] = b.toFloatArray();
                    r[k] = c.toLongArray();
                }
            }
            assertArrayEquals(u[0], u[1], "rand at 1 vs many threads");
            assertArrayEquals(g[0], g[1], "randn at 1 vs many threads");
            assertArrayEquals(r[0], r[1], "randint at 1 vs many threads");
            // a different seed gives different numbers; the same seed the same ones
            try (Tensor a = Tensor.rand(new Generator(1235), n); Tensor b = Tensor.rand(new Generator(1234), n)) {
                assertFalse(java.util.Arrays.equals(u[0], a.toFloatArray()));
                assertArrayEquals(u[0], b.toFloatArray());
            }
            // ranges and rough moments
            double mean = 0;
            for (float x : u[0]) {
                assertTrue(x >= 0 && x < 1, "rand out of [0, 1): " + x);
                mean += x;
            }
            assertEquals(0.5, mean / n, 0.01);
            double m1 = 0, m2 = 0;
            for (float x : g[0]) {
                m1 += x;
                m2 += (double) x * x;
            }
            m1 /= g[0].length;
            assertEquals(0, m1, 0.01);
            assertEquals(1, m2 / g[0].length - m1 * m1, 0.02);
            boolean[] hit = new boolean[22];
            for (long x : r[0]) {
                assertTrue(x >= -5 && x < 17, "randint out of [-5, 17): " + x);
                hit[(int) (x + 5)] = true;
            }
            for (int i = 0; i < hit.length; i++) {
                assertTrue(hit[i], "randint never produced " + (i - 5));
            }
        } finally {
            CpuParallel.setThreads(before);
        }
    }

    @Test
    void randAtHalfPrecisionStaysBelowOne() {
        // 2^20 draws: about 256 of the F32 draws lie above 1 - 2^-12 and round to 1.0 in F16, about
        // 2048 above 1 - 2^-9 in BF16; each must become the largest half value below 1 instead.
        int n = 1 << 20;
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            float largestBelowOne = dtype == DType.F16 ? 1 - 0x1p-11f : 1 - 0x1p-8f;
            float[] half;
            float[] f32;
            try (Tensor h = Tensor.rand(new Generator(42), dtype, n);
                 Tensor f = Tensor.rand(new Generator(42), DType.F32, n);
                 Tensor fh = f.to(dtype)) {
                half = h.toFloatArray();
                f32 = fh.toFloatArray();
            }
            int carried = 0;
            for (int i = 0; i < n; i++) {
                assertTrue(half[i] >= 0 && half[i] < 1, dtype + " rand[" + i + "] = " + half[i]);
                if (f32[i] == 1f) {
                    carried++;
                    assertEquals(largestBelowOne, half[i], dtype + " rand[" + i + "]");
                } else {
                    assertEquals(f32[i], half[i], dtype + " rand[" + i + "] is the F32 draw rounded");
                }
            }
            assertTrue(carried > 0, dtype + ": the test must hit draws that round up to 1");
        }
    }

    @Test
    void randintShapesAndErrors() {
        Generator gen = new Generator(7);
        try (Tensor t = Tensor.randint(gen, 0, 1, 2, 3)) {
            assertEquals(DType.I64, t.dtype());
            assertArrayEquals(new long[6], t.toLongArray());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.randint(gen, 3, 3, 2));
        assertTrue(e.getMessage().contains("randint"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.rand(null, 2));
    }

    @Test
    void randintExactForBoundsBeyondDoublePrecision() {
        long low = (1L << 53) + 1;
        long high = (1L << 53) + 3;
        try (Tensor t = Tensor.randint(new Generator(3), low, high, 1000)) {
            boolean[] hit = new boolean[2];
            for (long v : t.toLongArray()) {
                assertTrue(v >= low && v < high, "randint(" + low + ", " + high + ") gave " + v);
                hit[(int) (v - low)] = true;
            }
            assertTrue(hit[0] && hit[1]);
        }
        try (Tensor t = Tensor.randint(new Generator(3), Long.MIN_VALUE, Long.MAX_VALUE, 1000)) {
            long neg = java.util.Arrays.stream(t.toLongArray()).filter(v -> v < 0).count();
            assertTrue(neg > 400 && neg < 600, "full-range randint should be half negative, got " + neg);
        }
    }

    @Test
    void fromArrayRoundTrips() {
        float[] f = {1.5f, -2, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN, -0f};
        long[] l = {Long.MAX_VALUE, Long.MIN_VALUE, 0, (1L << 53) + 1, -7, 42};
        int[] i = {Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 1, -1, 5};
        byte[] b = {127, -128, 0, 1, -1, 9};
        boolean[] z = {true, false, true, true, false, false};
        short[] h = {0x3c00, (short) 0xfc00, 0x7e00, 0x0001, (short) 0x8000, 0x7bff};
        try (Tensor tf = Tensor.fromArray(f, 2, 3); Tensor tl = Tensor.fromArray(l, 3, 2); Tensor ti = Tensor.fromArray(i, 6);
             Tensor tb = Tensor.fromArray(b, 1, 6); Tensor tz = Tensor.fromArray(z, 6); Tensor th = Tensor.fromBits(h, DType.F16, 6);
             Tensor tbf = Tensor.fromBits(h, DType.BF16, 2, 3)) {
            assertEquals(DType.F32, tf.dtype());
            assertArrayEquals(f, tf.toFloatArray());
            assertEquals(DType.I64, tl.dtype());
            assertArrayEquals(l, tl.toLongArray());
            assertEquals(DType.I32, ti.dtype());
            assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 1, -1, 5}, ti.toLongArray());
            assertEquals(DType.I8, tb.dtype());
            assertArrayEquals(new double[] {127, -128, 0, 1, -1, 9}, tb.toDoubleArray(), 0.0);
            assertEquals(DType.BOOL, tz.dtype());
            assertArrayEquals(z, tz.toBooleanArray());
            assertArrayEquals(h, th.toBits());
            assertArrayEquals(h, tbf.toBits());
            assertEquals(HalfConversions.f16ToF32(h[0]), th.toDoubleArray()[0], 0.0);
            assertEquals(HalfConversions.bf16ToF32(h[1]), tbf.toDoubleArray()[1], 0.0);
        }
        // fromArray copies its input
        float[] src = {1, 2, 3};
        try (Tensor t = Tensor.fromArray(src, 3)) {
            src[0] = 99;
            assertEquals(1f, t.toFloatArray()[0]);
        }
        double[] d = {0.1, 1e-8, 70000, -3.3};
        for (DType dt : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16}) {
            try (Tensor t = Tensor.fromArray(d, dt, 2, 2)) {
                assertEquals(dt, t.dtype());
                for (int k = 0; k < d.length; k++) {
                    assertEquals(stored(d[k], dt), t.toDoubleArray()[k], 0.0, dt + " " + d[k]);
                }
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("fromArray") && e.getMessage().contains("5") && e.getMessage().contains("[2, 3]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromBits(new short[1], DType.F32, 1));
        // doubles are not silently squeezed through float into an integer dtype
        var de = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new double[] {(1L << 40) + 1}, DType.I64, 1));
        assertTrue(de.getMessage().contains("fromArray") && de.getMessage().contains("I64"), de.getMessage());
        try (Tensor x = Tensor.ones(2)) {
            assertThrows(IllegalArgumentException.class, x::toBits);
            var ie = assertThrows(IllegalArgumentException.class, x::item);
            assertTrue(ie.getMessage().contains("item") && ie.getMessage().contains("[2]"), ie.getMessage());
        }
    }

    @Test
    void floatToIntegerTruncatesTowardZero() {
        float[] f = {-2.7f, -0.5f, -0f, 0.5f, 2.9f, 1e10f, -1e10f, 127.9f, 300.2f};
        try (Tensor x = Tensor.fromArray(f, f.length); Tensor l = x.to(DType.I64); Tensor i = x.to(DType.I32);
             Tensor b = x.to(DType.I8)) {
            long[] lv = l.toLongArray();
            long[] iv = i.toLongArray();
            double[] bv = b.toDoubleArray();
            for (int k = 0; k < f.length; k++) {
                assertEquals((long) f[k], lv[k], "F32->I64 of " + f[k]);
                if (Math.abs(f[k]) < 1e9) {
                    assertEquals((int) f[k], iv[k], "F32->I32 of " + f[k]);
                    assertEquals((byte) (int) f[k], bv[k], 0.0, "F32->I8 of " + f[k]);
                }
            }
        }
    }

    @Test
    void toBoolIsNonzero() {
        float[] f = {0, -0f, 1e-30f, -3, Float.NaN, Float.POSITIVE_INFINITY};
        boolean[] want = {false, false, true, true, true, true};
        long[] l = {0, 1, -1, Long.MIN_VALUE, 256, 0};
        boolean[] wantL = {false, true, true, true, true, false};
        try (Tensor x = Tensor.fromArray(f, f.length); Tensor b = x.to(DType.BOOL); Tensor xl = Tensor.fromArray(l, l.length);
             Tensor bl = xl.to(DType.BOOL); Tensor h = x.to(DType.BF16); Tensor bh = h.to(DType.BOOL); Tensor back = b.to(DType.F32)) {
            assertEquals(DType.BOOL, b.dtype());
            assertArrayEquals(want, b.toBooleanArray());
            assertArrayEquals(wantL, bl.toBooleanArray());
            assertArrayEquals(want, bh.toBooleanArray());
            assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1}, back.toFloatArray());
            assertArrayEquals(new double[] {0, 0, 1, 1, 1, 1}, b.toDoubleArray(), 0.0); // stored as 0/1
        }
    }

    @Test
    void integerNarrowingWrapsAndWideningIsExact() {
        long[] l = {(1L << 40) + 5, -1, 1L << 31, -(1L << 31) - 1, Long.MAX_VALUE, 200};
        try (Tensor x = Tensor.fromArray(l, l.length); Tensor i = x.to(DType.I32); Tensor b = x.to(DType.I8);
             Tensor back = i.to(DType.I64)) {
            long[] iv = i.toLongArray();
            double[] bv = b.toDoubleArray();
            for (int k = 0; k < l.length; k++) {
                assertEquals((int) l[k], iv[k], "I64->I32 of " + l[k]);
                assertEquals((byte) l[k], bv[k], 0.0, "I64->I8 of " + l[k]);
            }
            assertArrayEquals(iv, back.toLongArray());
        }
    }

    @Test
    void int64ToFloatRoundsOnce() {
        // 2^60 + 2^36 + 1 lies just above the midpoint between two floats: it must round up.
        // Rounding through double first lands exactly on the midpoint and then rounds to even (down).
        long[] l = {(1L << 60) + (1L << 36) + 1, (1L << 24) + 1, -((1L << 60) + (1L << 36) + 1), Long.MAX_VALUE, 123};
        try (Tensor x = Tensor.fromArray(l, l.length); Tensor f = x.to(DType.F32); Tensor h = x.to(DType.BF16);
             Tensor xi = Tensor.fromArray(new int[] {(1 << 24) + 1, Integer.MAX_VALUE}, 2); Tensor fi = xi.to(DType.F32)) {
            float[] fv = f.toFloatArray();
            short[] hv = h.toBits();
            for (int k = 0; k < l.length; k++) {
                assertEquals((float) l[k], fv[k], 0f, "I64->F32 of " + l[k]);
                assertEquals(HalfConversions.f32ToBf16((float) l[k]), hv[k], "I64->BF16 of " + l[k]);
            }
            assertArrayEquals(new float[] {(float) ((1 << 24) + 1), (float) Integer.MAX_VALUE}, fi.toFloatArray());
        }
    }

    @Test
    void floatToHalfRoundsLikeHalfConversions() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 4097;
        float[] f = new float[n];
        for (int k = 0; k < n; k++) {
            f[k] = switch (k % 5) {
                case 0 -> (float) rnd.nextDouble(-1, 1);
                case 1 -> Float.intBitsToFloat(rnd.nextInt()); // any bit pattern, NaN and Inf included
                case 2 -> (float) rnd.nextDouble(-70000, 70000);
                case 3 -> (float) (rnd.nextDouble(-1, 1) * 1e-6); // F16 subnormals
                default -> (float) rnd.nextDouble(-3e38, 3e38);
            };
        }
        try (Tensor x = Tensor.fromArray(f, 17, 241); Tensor h = x.to(DType.F16); Tensor b = x.to(DType.BF16);
             Tensor xt = x.t(); Tensor ht = xt.to(DType.F16); Tensor bt = xt.to(DType.BF16);
             Tensor hb = h.to(DType.BF16); Tensor bh = b.to(DType.F16); Tensor h32 = h.to(DType.F32)) {
            short[] hv = h.toBits();
            short[] bv = b.toBits();
            short[] hbv = hb.toBits();
            short[] bhv = bh.toBits();
            float[] h32v = h32.toFloatArray();
            for (int k = 0; k < n; k++) {
                short wantH = HalfConversions.f32ToF16(f[k]);
                short wantB = HalfConversions.f32ToBf16(f[k]);
                if (Float.isNaN(f[k])) {
                    assertTrue(Float.isNaN(HalfConversions.f16ToF32(hv[k])), "F16 of NaN");
                    assertTrue(Float.isNaN(HalfConversions.bf16ToF32(bv[k])), "BF16 of NaN");
                    continue;
                }
                assertEquals(wantH, hv[k], "F32->F16 of " + f[k]);
                assertEquals(wantB, bv[k], "F32->BF16 of " + f[k]);
                assertEquals(HalfConversions.f32ToBf16(HalfConversions.f16ToF32(wantH)), hbv[k], "F16->BF16 of " + f[k]);
                assertEquals(HalfConversions.f32ToF16(HalfConversions.bf16ToF32(wantB)), bhv[k], "BF16->F16 of " + f[k]);
                assertEquals(HalfConversions.f16ToF32(wantH), h32v[k], 0f);
            }
            // contiguous views that start at an offset take the same fast paths
            try (Tensor flat = x.reshape(-1); Tensor tail = flat.narrow(0, 3, n - 8); Tensor th = tail.to(DType.F16);
                 Tensor tb = tail.to(DType.BF16); Tensor hflat = h.reshape(-1); Tensor htail = hflat.narrow(0, 5, n - 9);
                 Tensor bflat = b.reshape(-1); Tensor btail = bflat.narrow(0, 7, n - 9);
                 Tensor h2f = htail.to(DType.F32); Tensor b2f = btail.to(DType.F32)) {
                short[] thv = th.toBits();
                short[] tbv = tb.toBits();
                float[] h2fv = h2f.toFloatArray();
                float[] b2fv = b2f.toFloatArray();
                for (int k = 0; k < n - 9; k++) {
                    if (!Float.isNaN(f[k + 3])) {
                        assertEquals(hv[k + 3], thv[k], "offset F32->F16");
                        assertEquals(bv[k + 3], tbv[k], "offset F32->BF16");
                    }
                    assertEquals(Float.floatToIntBits(HalfConversions.f16ToF32(hv[k + 5])), Float.floatToIntBits(h2fv[k]), "offset F16->F32");
                    assertEquals(Float.floatToIntBits(HalfConversions.bf16ToF32(bv[k + 7])), Float.floatToIntBits(b2fv[k]), "offset BF16->F32");
                }
            }
            // the strided (generic) path agrees with the contiguous one
            short[] htv = ht.toBits();
            short[] btv = bt.toBits();
            for (int r = 0; r < 241; r++) {
                for (int c = 0; c < 17; c++) {
                    int src = c * 241 + r;
                    if (Float.isNaN(f[src])) continue;
                    assertEquals(hv[src], htv[r * 17 + c], "strided F32->F16");
                    assertEquals(bv[src], btv[r * 17 + c], "strided F32->BF16");
                }
            }
        }
    }

    @Test
    void toSameDtypeIsAView() {
        try (Tensor x = Tensor.ones(DType.I32, 3); Tensor y = x.to(DType.I32)) {
            assertTrue(x.storage() == y.storage());
        }
    }
}
