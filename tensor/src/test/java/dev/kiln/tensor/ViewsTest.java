package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Views (reshape, view, permute, transpose, narrow, slice, squeeze, unsqueeze, expand, contiguous)
 * against {@link IxRef}, plus storage sharing: a view must reuse the base's storage object and
 * a copy must not.
 */
class ViewsTest {

    private static Tensor iota(int... shape) {
        return IxRef.iota(shape).toTensor();
    }

    @Test
    void permuteSharesStorageAndPermutesStrides() {
        IxRef ref = IxRef.iota(2, 3, 4, 5);
        try (Tensor x = ref.toTensor(); Tensor p = x.permute(2, 0, -1, 1)) {
            assertSame(x.storage(), p.storage());
            assertArrayEquals(new int[] {4, 2, 5, 3}, p.shape().toArray());
            assertArrayEquals(new int[] {5, 60, 1, 20}, p.strides());
            assertFalse(p.isContiguous());
            IxRef.assertValues(ref.permute(2, 0, 3, 1), p, "permute");
        }
    }

    @Test
    void permuteErrorsNameTheOp() {
        try (Tensor x = iota(2, 3)) {
            var e = assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0));
            assertTrue(e.getMessage().contains("permute"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> x.permute(0));
            assertTrue(e.getMessage().contains("permute") && e.getMessage().contains("[2, 3]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> x.permute(0, 2));
            assertTrue(e.getMessage().contains("permute"), e.getMessage());
        }
    }

    @Test
    void transposeAndT() {
        IxRef ref = IxRef.iota(3, 4, 2);
        try (Tensor x = ref.toTensor(); Tensor t = x.transpose(-1, 0); Tensor m = iota(3, 5); Tensor mt = m.t()) {
            assertSame(x.storage(), t.storage());
            IxRef.assertValues(ref.transpose(2, 0), t, "transpose(-1, 0)");
            IxRef.assertValues(IxRef.iota(3, 5).transpose(0, 1), mt, "t()");
            assertThrows(IllegalArgumentException.class, x::t);
            var e = assertThrows(IllegalArgumentException.class, () -> x.transpose(0, 3));
            assertTrue(e.getMessage().contains("transpose"), e.getMessage());
        }
    }

    @Test
    void narrowNegativeStartAndErrors() {
        IxRef ref = IxRef.iota(4, 6);
        try (Tensor x = ref.toTensor(); Tensor n = x.narrow(1, -4, 3); Tensor n0 = x.narrow(0, 4, 0)) {
            assertSame(x.storage(), n.storage());
            assertEquals(2, n.offset());
            IxRef.assertValues(ref.narrow(1, 2, 3), n, "narrow(1, -4, 3)");
            assertArrayEquals(new int[] {0, 6}, n0.shape().toArray());
            var e = assertThrows(IllegalArgumentException.class, () -> x.narrow(1, 4, 3));
            assertTrue(e.getMessage().contains("narrow") && e.getMessage().contains("6"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> x.narrow(0, 0, -1));
            assertThrows(IllegalArgumentException.class, () -> x.narrow(0, -5, 1));
        }
    }

    @Test
    void sliceMatchesPythonSemanticsForEveryBound() {
        int n = 7;
        IxRef ref = IxRef.iota(3, n);
        try (Tensor x = ref.toTensor(); Tensor xt = x.t()) {
            for (int start = -10; start <= 10; start++) {
                for (int end = -10; end <= 10; end++) {
                    for (int step = 1; step <= 4; step++) {
                        String what = "slice(" + start + ", " + end + ", " + step + ")";
                        try (Tensor s = x.slice(-1, start, end, step); Tensor st = xt.slice(0, start, end, step)) {
                            assertSame(x.storage(), s.storage(), what);
                            IxRef.assertValues(ref.slice(1, start, end, step), s, what);
                            IxRef.assertValues(ref.transpose(0, 1).slice(0, start, end, step), st, "t()." + what);
                        }
                    }
                }
            }
            var e = assertThrows(IllegalArgumentException.class, () -> x.slice(0, 0, 3, 0));
            assertTrue(e.getMessage().contains("slice"), e.getMessage());
        }
    }

    @Test
    void extremeBoundsDoNotOverflow() {
        IxRef ref = IxRef.iota(7);
        try (Tensor x = ref.toTensor(); Tensor all = x.slice(0, Integer.MIN_VALUE, Integer.MAX_VALUE, 1);
             Tensor one = x.slice(0, 0, Integer.MAX_VALUE, Integer.MAX_VALUE); Tensor two = x.slice(0, 1, Integer.MAX_VALUE, 5)) {
            IxRef.assertValues(ref, all, "x[MIN:MAX]");
            IxRef.assertValues(ref.slice(0, 0, 7, 7), one, "x[0:MAX:MAX]");
            IxRef.assertValues(ref.slice(0, 1, 7, 5), two, "x[1:MAX:5]");
            var e = assertThrows(IllegalArgumentException.class, () -> x.narrow(0, 1, Integer.MAX_VALUE));
            assertTrue(e.getMessage().contains("narrow"), e.getMessage());
        }
    }

    @Test
    void reshapeSharesStorageWhenStridesAllow() {
        IxRef ref = IxRef.iota(4, 6);
        try (Tensor x = ref.toTensor(); Tensor r = x.reshape(2, -1, 3); Tensor v = x.view(24)) {
            assertSame(x.storage(), r.storage());
            assertSame(x.storage(), v.storage());
            IxRef.assertValues(ref.reshape(2, 4, 3), r, "reshape(2, -1, 3)");
            IxRef.assertValues(ref.reshape(24), v, "view(24)");
        }
        // A transposed [6, 4] matrix whose last dim splits: still a view (split, no merge).
        try (Tensor x = iota(4, 6); Tensor xt = x.t(); Tensor r = xt.reshape(3, 2, 2, 2); Tensor v = xt.view(6, 2, 2)) {
            assertSame(x.storage(), r.storage());
            assertSame(x.storage(), v.storage());
            IxRef tref = IxRef.iota(4, 6).transpose(0, 1);
            IxRef.assertValues(tref.reshape(3, 2, 2, 2), r, "t().reshape(3, 2, 2, 2)");
            IxRef.assertValues(tref.reshape(6, 2, 2), v, "t().view(6, 2, 2)");
        }
        // Narrowed rows keep row-major order within a row: merging the leading dims is a view.
        try (Tensor x = iota(4, 3, 5); Tensor n = x.narrow(2, 1, 3); Tensor r = n.reshape(12, 3)) {
            assertSame(x.storage(), r.storage());
            IxRef.assertValues(IxRef.iota(4, 3, 5).narrow(2, 1, 3).reshape(12, 3), r, "narrow().reshape");
        }
    }

    @Test
    void reshapeCopiesWhenStridesForbidAndViewThrows() {
        IxRef ref = IxRef.iota(4, 6).transpose(0, 1);
        try (Tensor x = iota(4, 6); Tensor xt = x.t(); Tensor r = xt.reshape(24); Tensor r2 = xt.reshape(2, 12)) {
            assertNotSame(x.storage(), r.storage());
            assertTrue(r.isContiguous());
            IxRef.assertValues(ref.reshape(24), r, "t().reshape(24)");
            IxRef.assertValues(ref.reshape(2, 12), r2, "t().reshape(2, 12)");
            var e = assertThrows(IllegalArgumentException.class, () -> xt.view(24));
            assertTrue(e.getMessage().contains("view") && e.getMessage().contains("[6, 4]")
                    && e.getMessage().contains("reshape"), e.getMessage());
        }
    }

    @Test
    void reshapeErrors() {
        try (Tensor x = iota(4, 6)) {
            var e = assertThrows(IllegalArgumentException.class, () -> x.reshape(5, -1));
            assertTrue(e.getMessage().contains("reshape") && e.getMessage().contains("[4, 6]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> x.reshape(-1, -1));
            assertThrows(IllegalArgumentException.class, () -> x.reshape(5, 5));
            assertThrows(IllegalArgumentException.class, () -> x.view(2, -2, 6));
        }
    }

    @Test
    void reshapeOfExpandedTensor() {
        IxRef ref = IxRef.iota(1, 4).expand(3, 4);
        try (Tensor x = iota(1, 4); Tensor e = x.expand(3, 4); Tensor split = e.reshape(3, 2, 2);
             Tensor flat = e.reshape(12)) {
            assertSame(x.storage(), split.storage());
            assertArrayEquals(new int[] {0, 2, 1}, split.strides());
            IxRef.assertValues(ref.reshape(3, 2, 2), split, "expand().reshape(3, 2, 2)");
            assertNotSame(x.storage(), flat.storage());
            IxRef.assertValues(ref.reshape(12), flat, "expand().reshape(12)");
        }
    }

    @Test
    void squeezeAndUnsqueeze() {
        IxRef ref = IxRef.iota(1, 3, 1, 2);
        try (Tensor x = ref.toTensor(); Tensor all = x.squeeze(); Tensor s2 = x.squeeze(-2); Tensor s1 = x.squeeze(1);
             Tensor u = x.unsqueeze(-1); Tensor u0 = x.unsqueeze(0); Tensor um = all.unsqueeze(1)) {
            assertArrayEquals(new int[] {3, 2}, all.shape().toArray());
            assertArrayEquals(new int[] {1, 3, 2}, s2.shape().toArray());
            assertArrayEquals(new int[] {1, 3, 1, 2}, s1.shape().toArray()); // size 3: unchanged, like torch
            assertArrayEquals(new int[] {1, 3, 1, 2, 1}, u.shape().toArray());
            assertArrayEquals(new int[] {1, 1, 3, 1, 2}, u0.shape().toArray());
            assertArrayEquals(new int[] {3, 1, 2}, um.shape().toArray());
            for (Tensor t : new Tensor[] {all, s2, s1, u, u0, um}) {
                assertSame(x.storage(), t.storage());
                assertArrayEquals(ref.data, t.toDoubleArray(), 0.0);
            }
            assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(5));
            assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(-6));
            assertThrows(IllegalArgumentException.class, () -> x.squeeze(4));
        }
        // unsqueeze of a non-contiguous tensor keeps its values
        IxRef t = IxRef.iota(3, 4).transpose(0, 1);
        try (Tensor x = iota(3, 4); Tensor xt = x.t(); Tensor u = xt.unsqueeze(1); Tensor uu = u.unsqueeze(-1);
             Tensor c = uu.contiguous()) {
            IxRef.assertValues(t.unsqueeze(1).unsqueeze(-1), uu, "t().unsqueeze(1).unsqueeze(-1)");
            IxRef.assertValues(t.unsqueeze(1).unsqueeze(-1), c, "contiguous of it");
        }
    }

    @Test
    void expandUsesStrideZero() {
        IxRef ref = IxRef.iota(3, 1);
        try (Tensor x = ref.toTensor(); Tensor e = x.expand(2, -1, 4)) {
            assertSame(x.storage(), e.storage());
            assertArrayEquals(new int[] {2, 3, 4}, e.shape().toArray());
            assertArrayEquals(new int[] {0, 1, 0}, e.strides());
            IxRef.assertValues(ref.expand(2, 3, 4), e, "expand(2, -1, 4)");
            try (Tensor c = e.contiguous()) {
                assertNotSame(x.storage(), c.storage());
                assertTrue(c.isContiguous());
                IxRef.assertValues(ref.expand(2, 3, 4), c, "expand().contiguous()");
            }
            var err = assertThrows(IllegalArgumentException.class, () -> x.expand(4, 4));
            assertTrue(err.getMessage().contains("expand") && err.getMessage().contains("[3, 1]")
                    && err.getMessage().contains("4"), err.getMessage());
            assertThrows(IllegalArgumentException.class, () -> x.expand(4));
            assertThrows(IllegalArgumentException.class, () -> x.expand(-1, 3, 4));
        }
        try (Tensor s = Tensor.scalar(7); Tensor e = s.expand(2, 3); Tensor z = Tensor.ones(1, 3); Tensor e0 = z.expand(0, 3)) {
            assertArrayEquals(new double[] {7, 7, 7, 7, 7, 7}, e.toDoubleArray(), 0.0);
            assertEquals(0, e0.numel());
        }
    }

    @Test
    void contiguousOfContiguousIsAViewAndCopyIsNot() {
        try (Tensor x = iota(2, 3); Tensor c = x.contiguous(); Tensor k = x.copy(); Tensor xt = x.t(); Tensor ct = xt.contiguous()) {
            assertSame(x.storage(), c.storage());
            assertNotSame(x.storage(), k.storage());
            assertNotSame(x.storage(), ct.storage());
            assertTrue(ct.isContiguous());
            IxRef.assertValues(IxRef.iota(2, 3).transpose(0, 1), ct, "t().contiguous()");
        }
    }

    @Test
    void randomChainsOfViewsMatchTheReference() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int trial = 0; trial < 300; trial++) {
            IxRef ref = IxRef.iota(2, 3, 4);
            Tensor t = ref.toTensor();
            StringBuilder chain = new StringBuilder("iota(2,3,4)");
            try {
                for (int step = 0; step < 6; step++) {
                    int r = ref.shape.length;
                    Tensor next;
                    IxRef nref;
                    int op = rnd.nextInt(r == 0 ? 2 : 7);
                    if (r == 0 || op == 0) {
                        int d = rnd.nextInt(-r - 1, r + 1);
                        chain.append(".unsqueeze(").append(d).append(')');
                        next = t.unsqueeze(d);
                        nref = ref.unsqueeze(d);
                    } else if (op == 1) {
                        int[] order = randomPermutation(rnd, r);
                        chain.append(".permute").append(java.util.Arrays.toString(order));
                        next = t.permute(order);
                        nref = ref.permute(order);
                    } else if (op == 2) {
                        int d = rnd.nextInt(r);
                        int n = ref.shape[d];
                        int s = rnd.nextInt(-n - 2, n + 3);
                        int e = rnd.nextInt(-n - 2, n + 3);
                        int st = rnd.nextInt(1, 4);
                        chain.append(".slice(").append(d).append(',').append(s).append(',').append(e).append(',').append(st).append(')');
                        next = t.slice(d, s, e, st);
                        nref = ref.slice(d, s, e, st);
                    } else if (op == 3) {
                        int[] shape = ref.shape.clone();
                        java.util.List<Integer> dims = new java.util.ArrayList<>();
                        for (int i = 0; i < r; i++) if (shape[i] == 1) dims.add(i);
                        if (dims.isEmpty()) {
                            chain.append(".flip-free transpose");
                            next = t.transpose(0, r - 1);
                            nref = ref.transpose(0, r - 1);
                        } else {
                            int d = dims.get(rnd.nextInt(dims.size()));
                            int[] sizes = shape.clone();
                            sizes[d] = rnd.nextInt(0, 4);
                            chain.append(".expand").append(java.util.Arrays.toString(sizes));
                            next = t.expand(sizes);
                            nref = ref.expand(sizes);
                        }
                    } else if (op == 4) {
                        // reshape to a random factorisation (merge two adjacent dims or split one)
                        int[] ns = randomReshape(rnd, ref.shape);
                        chain.append(".reshape").append(java.util.Arrays.toString(ns));
                        next = t.reshape(ns);
                        nref = ref.reshape(ns);
                    } else if (op == 5) {
                        chain.append(".squeeze()");
                        next = t.squeeze();
                        int cnt = 0;
                        for (int s : ref.shape) if (s != 1) cnt++;
                        int[] ns = new int[cnt];
                        for (int i = 0, j = 0; i < r; i++) if (ref.shape[i] != 1) ns[j++] = ref.shape[i];
                        nref = ref.reshape(ns);
                    } else {
                        int d = rnd.nextInt(r);
                        int n = ref.shape[d];
                        int s = rnd.nextInt(0, n + 1);
                        int len = rnd.nextInt(0, n - s + 1);
                        chain.append(".narrow(").append(d).append(',').append(s).append(',').append(len).append(')');
                        next = t.narrow(d, s, len);
                        nref = ref.narrow(d, s, len);
                    }
                    t.close();
                    t = next;
                    ref = nref;
                    try {
                        IxRef.assertValues(ref, t, chain.toString());
                        try (Tensor c = t.contiguous()) {
                            IxRef.assertValues(ref, c, chain + ".contiguous()");
                        }
                    } catch (RuntimeException e) {
                        throw new AssertionError(chain + " strides " + java.util.Arrays.toString(t.strides())
                                + " offset " + t.offset() + ": " + e, e);
                    }
                }
            } finally {
                t.close();
            }
        }
    }

    private static int[] randomPermutation(SplittableRandom rnd, int r) {
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        for (int i = r - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        if (r > 0 && rnd.nextBoolean()) p[0] -= r; // a negative dim
        return p;
    }

    private static int[] randomReshape(SplittableRandom rnd, int[] shape) {
        int r = shape.length;
        if (r >= 2 && rnd.nextBoolean()) {
            int d = rnd.nextInt(r - 1);
            int[] ns = new int[r - 1];
            for (int i = 0, j = 0; i < r; i++) {
                if (i == d) {
                    ns[j++] = shape[i] * shape[i + 1];
                    i++;
                } else {
                    ns[j++] = shape[i];
                }
            }
            return ns;
        }
        int d = rnd.nextInt(r);
        int n = shape[d];
        int f = 1;
        for (int c = 2; c <= n; c++) if (n % c == 0 && rnd.nextBoolean()) { f = c; break; }
        int[] ns = new int[r + 1];
        for (int i = 0, j = 0; i < r; i++) {
            if (i == d) {
                ns[j++] = f;
                ns[j++] = n == 0 ? 0 : n / f;
            } else {
                ns[j++] = shape[i];
            }
        }
        return ns;
    }

    @Test
    void sizeZeroDims() {
        try (Tensor x = Tensor.zeros(0, 3); Tensor r = x.reshape(3, 0); Tensor p = x.t(); Tensor s = x.slice(1, 1, 3, 1);
             Tensor c = p.contiguous(); Tensor inferred = x.reshape(-1, 3)) {
            assertArrayEquals(new int[] {3, 0}, r.shape().toArray());
            assertArrayEquals(new int[] {3, 0}, p.shape().toArray());
            assertArrayEquals(new int[] {0, 2}, s.shape().toArray());
            assertEquals(0, c.toDoubleArray().length);
            assertArrayEquals(new int[] {0, 3}, inferred.shape().toArray());
            assertThrows(IllegalArgumentException.class, () -> x.reshape(-1, 0));
        }
    }

    @Test
    void rankZero() {
        try (Tensor s = Tensor.scalar(3.5); Tensor r = s.reshape(1, 1); Tensor back = r.reshape(); Tensor u = s.unsqueeze(0);
             Tensor u2 = s.unsqueeze(-1); Tensor sq = u.squeeze(); Tensor sq0 = s.squeeze(0); Tensor t = s.t(); Tensor p = s.permute();
             Tensor c = s.contiguous()) {
            assertEquals(0, s.rank());
            assertEquals(1, s.numel());
            assertArrayEquals(new int[] {1, 1}, r.shape().toArray());
            assertEquals(0, back.rank());
            assertArrayEquals(new int[] {1}, u.shape().toArray());
            assertArrayEquals(new int[] {1}, u2.shape().toArray());
            assertEquals(0, sq.rank());
            assertEquals(0, sq0.rank());
            for (Tensor v : new Tensor[] {s, r, back, u, u2, sq, sq0, t, p, c}) {
                assertEquals(3.5, v.item());
                assertSame(s.storage(), v.storage());
            }
            assertThrows(IllegalArgumentException.class, () -> s.unsqueeze(2));
            var se = assertThrows(IllegalArgumentException.class, () -> s.size(0));
            assertTrue(se.getMessage().contains("size"), se.getMessage());
            // narrow and slice need a dimension: a clear error, not an ArrayIndexOutOfBoundsException
            var e = assertThrows(IllegalArgumentException.class, () -> s.narrow(0, 0, 1));
            assertTrue(e.getMessage().contains("narrow"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.slice(0, 0, 1, 1));
            assertTrue(e.getMessage().contains("slice"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.transpose(3, 5));
            assertTrue(e.getMessage().contains("transpose"), e.getMessage());
        }
    }

    @Test
    void viewsOfOtherDtypesKeepTheirValues() {
        long big = (1L << 60) + 3;
        try (Tensor x = Tensor.fromArray(new long[] {big, -1, 2, 3, 4, 5}, 2, 3); Tensor t = x.t(); Tensor c = t.contiguous();
             Tensor h = Tensor.fromArray(new double[] {0.1, 0.2, 0.3, 0.4}, DType.BF16, 2, 2); Tensor ht = h.t();
             Tensor hc = ht.contiguous()) {
            assertArrayEquals(new long[] {big, 3, -1, 4, 2, 5}, t.toLongArray());
            assertArrayEquals(new long[] {big, 3, -1, 4, 2, 5}, c.toLongArray());
            short[] b = h.toBits();
            assertArrayEquals(new short[] {b[0], b[2], b[1], b[3]}, ht.toBits());
            assertArrayEquals(new short[] {b[0], b[2], b[1], b[3]}, hc.toBits());
            assertEquals(DType.BF16, hc.dtype());
        }
    }
}
