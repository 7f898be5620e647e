package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every op in {@link Indexing} against loops over multi-indices, on strided inputs and I32/I64 indices. */
class IndexingTest {
    private static final SplittableRandom RND = new SplittableRandom(11);

    /** A random-valued [2,3,4] reference and a non-contiguous tensor with the same values (a permuted base). */
    private static IxRef randomRef(int... shape) {
        double[] d = new double[IxRef.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = RND.nextInt(-50, 50) / 4.0;
        }
        return new IxRef(shape, d);
    }

    /** A tensor equal to {@code ref} but laid out transposed in memory (not contiguous). */
    private static Tensor strided(IxRef ref) {
        int r = ref.shape.length;
        if (r < 2) {
            try (Tensor t = ref.toTensor()) {
                return t.contiguous();
            }
        }
        IxRef swapped = ref.transpose(0, r - 1);
        try (Tensor base = swapped.toTensor()) {
            Tensor t = base.transpose(0, r - 1);
            assertTrue(!t.isContiguous() || ref.shape[0] == 1 || ref.shape[r - 1] == 1);
            return t;
        }
    }

    /** An index tensor with the given values, I32 or I64, optionally non-contiguous (every other element of a longer one). */
    private static Tensor index(long[] values, int[] shape, boolean i32, boolean strided) {
        long[] v = values;
        int[] s = shape;
        if (strided) {
            v = new long[values.length * 2];
            for (int i = 0; i < values.length; i++) {
                v[2 * i] = values[i];
                v[2 * i + 1] = -999;
            }
            s = Arrays.copyOf(shape, shape.length + 1);
            s[shape.length] = 2;
        }
        Tensor t;
        if (i32) {
            int[] iv = new int[v.length];
            for (int i = 0; i < v.length; i++) iv[i] = (int) v[i];
            t = Tensor.fromArray(iv, s);
        } else {
            t = Tensor.fromArray(v, s);
        }
        if (!strided) {
            return t;
        }
        try (t; Tensor n = t.narrow(-1, 0, 1)) {
            return n.squeeze(-1);
        }
    }

    @Test
    void indexSelectEveryDimStridedAndBothIndexTypes() {
        IxRef ref = randomRef(3, 4, 5);
        for (int dim = -3; dim < 3; dim++) {
            int d = IxRef.norm(dim, 3);
            int n = ref.shape[d];
            long[] idx = {n - 1, 0, n - 1, 1, 0};
            int[] iidx = Arrays.stream(idx).mapToInt(x -> (int) x).toArray();
            for (boolean i32 : new boolean[] {false, true}) {
                for (boolean stridedIdx : new boolean[] {false, true}) {
                    try (Tensor x = strided(ref); Tensor ix = index(idx, new int[] {5}, i32, stridedIdx);
                         Tensor out = x.indexSelect(dim, ix)) {
                        IxRef.assertValues(ref.select(d, iidx), out, "indexSelect dim " + dim);
                    }
                }
            }
        }
        try (Tensor x = strided(ref); Tensor ix0 = Tensor.scalar(2, DType.I64); Tensor out = x.indexSelect(1, ix0);
             Tensor empty = Tensor.zeros(DType.I64, 0); Tensor none = x.indexSelect(0, empty)) {
            IxRef.assertValues(ref.select(1, new int[] {2}), out, "indexSelect with 0-D index");
            assertArrayEquals(new int[] {0, 4, 5}, none.shape().toArray());
        }
        try (Tensor x = Tensor.fromArray(new long[] {Long.MAX_VALUE, 1, Long.MIN_VALUE}, 3); Tensor ix = Tensor.fromArray(new int[] {2, 0}, 2);
             Tensor out = x.indexSelect(0, ix)) {
            assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, out.toLongArray());
        }
        try (Tensor s = Tensor.scalar(4); Tensor i0 = Tensor.fromArray(new long[] {0}, 1); Tensor out = s.indexSelect(0, i0);
             Tensor i2 = Tensor.fromArray(new long[] {0, 0}, 2)) {
            assertEquals(0, out.rank());
            assertEquals(4.0, out.item());
            var e = assertThrows(IllegalArgumentException.class, () -> s.indexSelect(0, i2));
            assertTrue(e.getMessage().contains("indexSelect") && e.getMessage().contains("[2]"), e.getMessage());
        }
    }

    @Test
    void indexErrorsNameOpIndexAndSize() {
        try (Tensor x = Tensor.zeros(3, 4); Tensor bad = Tensor.fromArray(new long[] {0, 4}, 2); Tensor neg = Tensor.fromArray(new int[] {-1}, 1);
             Tensor f = Tensor.zeros(2); Tensor two = Tensor.zeros(DType.I64, 1, 1); Tensor g = Tensor.fromArray(new long[] {0, 5, 1}, 3, 1)) {
            var e = assertThrows(IndexOutOfBoundsException.class, () -> x.indexSelect(1, bad));
            assertTrue(e.getMessage().contains("indexSelect") && e.getMessage().contains("index 4")
                    && e.getMessage().contains("size 4"), e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class, () -> x.indexSelect(0, neg));
            assertTrue(e.getMessage().contains("-1") && e.getMessage().contains("size 3"), e.getMessage());
            var a = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(0, f));
            assertTrue(a.getMessage().contains("indexSelect") && a.getMessage().contains("F32"), a.getMessage());
            a = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(0, two));
            assertTrue(a.getMessage().contains("indexSelect") && a.getMessage().contains("[1, 1]"), a.getMessage());
            a = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(2, bad));
            assertTrue(a.getMessage().contains("indexSelect"), a.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class, () -> x.gather(0, g));
            assertTrue(e.getMessage().contains("gather") && e.getMessage().contains("index 5") && e.getMessage().contains("size 3"),
                    e.getMessage());
            try (Tensor src = Tensor.ones(3, 1)) {
                e = assertThrows(IndexOutOfBoundsException.class, () -> x.scatterAdd(0, g, src));
                assertTrue(e.getMessage().contains("scatterAdd") && e.getMessage().contains("index 5"), e.getMessage());
            }
            a = assertThrows(IllegalArgumentException.class, () -> x.gather(0, bad));
            assertTrue(a.getMessage().contains("gather") && a.getMessage().contains("rank"), a.getMessage());
            try (Tensor w = Tensor.zeros(5, 2); Tensor big = Tensor.fromArray(new long[] {1, 7}, 2)) {
                e = assertThrows(IndexOutOfBoundsException.class, () -> Tensor.embedding(w, big));
                assertTrue(e.getMessage().contains("7") && e.getMessage().contains("size 5"), e.getMessage());
                a = assertThrows(IllegalArgumentException.class, () -> Tensor.embedding(x.reshape(12), big));
                assertTrue(a.getMessage().contains("embedding"), a.getMessage());
            }
            try (Tensor cls = Tensor.fromArray(new long[] {0, 3}, 2)) {
                e = assertThrows(IndexOutOfBoundsException.class, () -> cls.oneHot(3));
                assertTrue(e.getMessage().contains("oneHot") && e.getMessage().contains("3"), e.getMessage());
            }
        }
    }

    /** torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0), etc. */
    private static IxRef gatherRef(IxRef x, int d, IxRef index) {
        double[] out = new double[index.data.length];
        int[] k = {0};
        IxRef.forEach(index.shape, idx -> {
            int[] src = idx.clone();
            src[d] = (int) index.get(idx);
            out[k[0]++] = x.get(src);
        });
        return new IxRef(index.shape, out);
    }

    private static IxRef scatterAddRef(IxRef x, int d, IxRef index, IxRef src) {
        double[] out = x.data.clone();
        IxRef.forEach(index.shape, idx -> {
            int[] dst = idx.clone();
            dst[d] = (int) index.get(idx);
            out[x.flat(dst)] += src.get(idx);
        });
        return new IxRef(x.shape, out);
    }

    @Test
    void gatherAndScatterAddMatchTheReference() {
        IxRef x = randomRef(3, 4, 5);
        for (int dim = 0; dim < 3; dim++) {
            int[] ishape = {2, 3, 4};
            ishape[dim] = 6; // longer than the input along dim: repeats
            long[] iv = new long[IxRef.numel(ishape)];
            double[] ivd = new double[iv.length];
            for (int i = 0; i < iv.length; i++) {
                iv[i] = RND.nextInt(x.shape[dim]);
                ivd[i] = iv[i];
            }
            IxRef iref = new IxRef(ishape, ivd);
            IxRef src = randomRef(3, 4, 6);
            int[] ss = src.shape.clone();
            // src must cover index: grow it where needed
            for (int i = 0; i < 3; i++) ss[i] = Math.max(ss[i], ishape[i]);
            src = randomRef(ss);
            for (boolean i32 : new boolean[] {false, true}) {
                for (boolean stridedIdx : new boolean[] {false, true}) {
                    String what = "dim " + dim + (i32 ? " I32" : " I64") + (stridedIdx ? " strided index" : "");
                    try (Tensor xt = strided(x); Tensor ix = index(iv, ishape, i32, stridedIdx); Tensor g = xt.gather(dim, ix);
                         Tensor st = strided(src); Tensor sa = xt.scatterAdd(dim, ix, st); Tensor gneg = xt.gather(dim - 3, ix)) {
                        IxRef.assertValues(gatherRef(x, dim, iref), g, "gather " + what);
                        IxRef.assertValues(gatherRef(x, dim, iref), gneg, "gather negative " + what);
                        IxRef.assertValues(scatterAddRef(x, dim, iref, src), sa, "scatterAdd " + what);
                    }
                }
            }
        }
    }

    @Test
    void scatterAddIntegersAndHalfAccumulate() {
        try (Tensor x = Tensor.fromArray(new long[] {1L << 60, 0, 0}, 3); Tensor ix = Tensor.fromArray(new long[] {0, 0, 2, 0}, 4);
             Tensor src = Tensor.fromArray(new long[] {1, 2, 3, 4}, 4); Tensor out = x.scatterAdd(0, ix, src)) {
            assertArrayEquals(new long[] {(1L << 60) + 7, 0, 3}, out.toLongArray());
            assertArrayEquals(new long[] {1L << 60, 0, 0}, x.toLongArray()); // out of place
        }
        try (Tensor x = Tensor.zeros(DType.F32, 2); Tensor ix = Tensor.fromArray(new long[] {0}, 1); Tensor src = Tensor.zeros(DType.I64, 1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> x.scatterAdd(0, ix, src));
            assertTrue(e.getMessage().contains("scatterAdd") && e.getMessage().contains("I64"), e.getMessage());
        }
    }

    @Test
    void embeddingPicksRows() {
        IxRef w = randomRef(6, 3);
        long[] ids = {5, 0, 2, 2, 1, 5};
        try (Tensor wt = strided(w); Tensor ix = index(ids, new int[] {2, 3}, true, true); Tensor e = Tensor.embedding(wt, ix)) {
            assertArrayEquals(new int[] {2, 3, 3}, e.shape().toArray());
            double[] v = e.toDoubleArray();
            for (int i = 0; i < ids.length; i++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(w.get((int) ids[i], j), v[i * 3 + j], 0.0);
                }
            }
        }
    }

    @Test
    void catPromotesAndHandlesStridedInputs() {
        IxRef a = randomRef(2, 3);
        IxRef b = randomRef(2, 4);
        try (Tensor at = strided(a); Tensor bt = strided(b); Tensor c = Tensor.cat(List.of(at, bt), -1)) {
            double[] want = new double[14];
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 7; j++) {
                    want[i * 7 + j] = j < 3 ? a.get(i, j) : b.get(i, j - 3);
                }
            }
            assertArrayEquals(new int[] {2, 7}, c.shape().toArray());
            assertArrayEquals(want, c.toDoubleArray(), 0.0);
        }
        try (Tensor i = Tensor.fromArray(new int[] {1, 2}, 2); Tensor f = Tensor.fromArray(new float[] {0.5f}, 1);
             Tensor l = Tensor.fromArray(new long[] {1L << 40}, 1); Tensor z = Tensor.fromArray(new boolean[] {true, false}, 2);
             Tensor h = Tensor.fromArray(new double[] {1.5}, DType.F16, 1); Tensor bf = Tensor.fromArray(new double[] {2.5}, DType.BF16, 1);
             Tensor c1 = Tensor.cat(List.of(i, f), 0); Tensor c2 = Tensor.cat(List.of(z, l, i), 0);
             Tensor c3 = Tensor.cat(List.of(h, bf), 0); Tensor c4 = Tensor.cat(List.of(z, i), 0); Tensor c5 = Tensor.cat(List.of(h, i), 0)) {
            assertEquals(DType.F32, c1.dtype());
            assertArrayEquals(new float[] {1, 2, 0.5f}, c1.toFloatArray());
            assertEquals(DType.I64, c2.dtype());
            assertArrayEquals(new long[] {1, 0, 1L << 40, 1, 2}, c2.toLongArray());
            assertEquals(DType.F32, c3.dtype());
            assertArrayEquals(new float[] {1.5f, 2.5f}, c3.toFloatArray());
            assertEquals(DType.I32, c4.dtype());
            assertEquals(DType.F16, c5.dtype());
            assertArrayEquals(new float[] {1.5f, 1, 2}, c5.toFloatArray());
        }
        try (Tensor a2 = Tensor.zeros(2, 3); Tensor b2 = Tensor.zeros(3, 3); Tensor e0 = Tensor.zeros(0, 3); Tensor s = Tensor.scalar(1);
             Tensor c = Tensor.cat(List.of(a2, e0, b2), 0)) {
            assertArrayEquals(new int[] {5, 3}, c.shape().toArray());
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(a2, b2), 1));
            assertTrue(e.getMessage().contains("cat") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 3]"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(), 0));
            assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(s, s), 0));
            assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(a2, s), 0));
        }
    }

    @Test
    void stackEveryPosition() {
        IxRef a = randomRef(2, 3);
        IxRef b = randomRef(2, 3);
        try (Tensor at = strided(a); Tensor bt = b.toTensor()) {
            for (int dim = -3; dim < 3; dim++) {
                int d = IxRef.norm(dim, 3);
                try (Tensor s = Tensor.stack(List.of(at, bt), dim)) {
                    int[] shape = {2, 3};
                    int[] want = new int[3];
                    for (int i = 0, j = 0; i < 3; i++) want[i] = i == d ? 2 : shape[j++];
                    assertArrayEquals(want, s.shape().toArray(), "stack dim " + dim);
                    double[] v = s.toDoubleArray();
                    int[] k = {0};
                    IxRef.forEach(want, idx -> {
                        int[] src = new int[2];
                        for (int i = 0, j = 0; i < 3; i++) if (i != d) src[j++] = idx[i];
                        double expected = (idx[d] == 0 ? a : b).get(src);
                        assertEquals(expected, v[k[0]++], 0.0);
                    });
                }
            }
            try (Tensor c = Tensor.zeros(3, 2)) {
                var e = assertThrows(IllegalArgumentException.class, () -> Tensor.stack(List.of(at, c), 0));
                assertTrue(e.getMessage().contains("stack") && e.getMessage().contains("[3, 2]"), e.getMessage());
            }
        }
    }

    @Test
    void splitAndChunkUneven() {
        IxRef ref = IxRef.iota(7, 2);
        try (Tensor x = ref.toTensor()) {
            List<Tensor> parts = x.split(3, 0);
            assertEquals(List.of(3, 3, 1), parts.stream().map(p -> p.size(0)).toList());
            int at = 0;
            for (Tensor p : parts) {
                assertSame(x.storage(), p.storage());
                IxRef.assertValues(ref.narrow(0, at, p.size(0)), p, "split part at " + at);
                at += p.size(0);
                p.close();
            }
            List<Tensor> chunks = x.chunk(3, 0);
            assertEquals(List.of(3, 3, 1), chunks.stream().map(p -> p.size(0)).toList());
            chunks.forEach(Tensor::close);
            List<Tensor> c4 = x.chunk(4, 0); // torch: ceil(7/4)=2 -> 2,2,2,1
            assertEquals(List.of(2, 2, 2, 1), c4.stream().map(p -> p.size(0)).toList());
            c4.forEach(Tensor::close);
            List<Tensor> many = x.chunk(10, -2); // more chunks than rows: 7 of size 1
            assertEquals(7, many.size());
            many.forEach(Tensor::close);
            List<Tensor> cols = x.split(1, -1);
            assertEquals(2, cols.size());
            IxRef.assertValues(ref.narrow(1, 1, 1), cols.get(1), "split(1, -1)[1]");
            cols.forEach(Tensor::close);
            List<Tensor> big = x.split(100, 0);
            assertEquals(1, big.size());
            big.forEach(Tensor::close);
            var e = assertThrows(IllegalArgumentException.class, () -> x.split(0, 0));
            assertTrue(e.getMessage().contains("split"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> x.chunk(0, 0));
        }
        try (Tensor s = Tensor.scalar(1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.split(1, 0));
            assertTrue(e.getMessage().contains("split"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.chunk(1, 0));
            assertTrue(e.getMessage().contains("chunk"), e.getMessage());
        }
        try (Tensor x = IxRef.iota(5, 6).toTensor(); Tensor xt = x.t()) {
            List<Tensor> parts = xt.chunk(4, 0); // on a transposed tensor: size 6 -> 2,2,2
            assertEquals(List.of(2, 2, 2), parts.stream().map(p -> p.size(0)).toList());
            IxRef.assertValues(IxRef.iota(5, 6).transpose(0, 1).narrow(0, 4, 2), parts.get(2), "chunk of t()");
            parts.forEach(Tensor::close);
        }
    }

    @Test
    void oneHotMatchesLoops() {
        long[] v = {2, 0, 1, 4, 4, 3};
        for (boolean i32 : new boolean[] {false, true}) {
            try (Tensor ix = index(v, new int[] {2, 3}, i32, true); Tensor oh = ix.oneHot(5)) {
                assertEquals(DType.I64, oh.dtype());
                assertArrayEquals(new int[] {2, 3, 5}, oh.shape().toArray());
                long[] got = oh.toLongArray();
                for (int i = 0; i < v.length; i++) {
                    for (int c = 0; c < 5; c++) {
                        assertEquals(v[i] == c ? 1 : 0, got[i * 5 + c]);
                    }
                }
            }
        }
        try (Tensor s = Tensor.scalar(1, DType.I64); Tensor oh = s.oneHot(3); Tensor f = Tensor.zeros(2)) {
            assertArrayEquals(new long[] {0, 1, 0}, oh.toLongArray());
            assertThrows(IllegalArgumentException.class, () -> s.oneHot(0));
            var e = assertThrows(IllegalArgumentException.class, () -> f.oneHot(3));
            assertTrue(e.getMessage().contains("oneHot"), e.getMessage());
        }
    }

    @Test
    void trilTriuBatchedStrided() {
        IxRef ref = randomRef(2, 3, 4);
        for (int diag = -3; diag <= 4; diag++) {
            try (Tensor x = strided(ref); Tensor lo = x.tril(diag); Tensor up = x.triu(diag)) {
                double[] l = lo.toDoubleArray();
                double[] u = up.toDoubleArray();
                int[] k = {0};
                int dg = diag;
                IxRef.forEach(ref.shape, idx -> {
                    double v = ref.get(idx);
                    int j = idx[2] - idx[1];
                    assertEquals(j <= dg ? v : 0, l[k[0]], 0.0, "tril(" + dg + ") at " + Arrays.toString(idx));
                    assertEquals(j >= dg ? v : 0, u[k[0]], 0.0, "triu(" + dg + ") at " + Arrays.toString(idx));
                    k[0]++;
                });
            }
        }
        try (Tensor i = Tensor.fromArray(new long[] {1, 2, 3, 4}, 2, 2); Tensor t = i.triu(1); Tensor v = Tensor.zeros(3)) {
            assertEquals(DType.I64, t.dtype());
            assertArrayEquals(new long[] {0, 2, 0, 0}, t.toLongArray());
            var e = assertThrows(IllegalArgumentException.class, () -> v.tril(0));
            assertTrue(e.getMessage().contains("tril") && e.getMessage().contains("[3]"), e.getMessage());
        }
    }

    /** Stable argsort of a row: NaN after every number ascending, before every number descending (torch). */
    private static int[] argsortRef(double[] row, boolean descending) {
        Integer[] p = new Integer[row.length];
        for (int i = 0; i < p.length; i++) p[i] = i;
        Arrays.sort(p, (a, b) -> {
            double x = row[a];
            double y = row[b];
            int c;
            if (Double.isNaN(x) || Double.isNaN(y)) {
                c = Boolean.compare(Double.isNaN(x), Double.isNaN(y));
            } else {
                c = x < y ? -1 : x > y ? 1 : 0;
            }
            return descending ? -c : c;
        });
        return Arrays.stream(p).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void argsortStableWithNaNAlongEveryDim() {
        double[] pool = {1, 2, 2, -1, Double.NaN, 0, -0.0, 3, Double.NEGATIVE_INFINITY};
        int[] shape = {3, 4, 5};
        double[] d = new double[60];
        for (int i = 0; i < d.length; i++) d[i] = pool[RND.nextInt(pool.length)];
        IxRef ref = new IxRef(shape, d);
        for (int dim = 0; dim < 3; dim++) {
            for (boolean desc : new boolean[] {false, true}) {
                try (Tensor x = strided(ref); Tensor idx = x.argsort(dim - (dim == 2 ? 3 : 0), desc)) {
                    assertEquals(DType.I64, idx.dtype());
                    long[] got = idx.toLongArray();
                    int dd = dim;
                    int[] outer = shape.clone();
                    outer[dd] = 1;
                    IxRef.forEach(outer, o -> {
                        double[] row = new double[shape[dd]];
                        int[] at = o.clone();
                        for (int i = 0; i < row.length; i++) {
                            at[dd] = i;
                            row[i] = ref.get(at);
                        }
                        int[] want = argsortRef(row, desc);
                        for (int i = 0; i < row.length; i++) {
                            at[dd] = i;
                            int flat = new IxRef(shape, new double[60]).flat(at);
                            assertEquals(want[i], got[flat], "argsort dim " + dd + " desc=" + desc + " row " + Arrays.toString(row));
                        }
                    });
                }
            }
        }
        try (Tensor ints = Tensor.fromArray(new int[] {3, -1, 3, Integer.MIN_VALUE, 0}, 5); Tensor a = ints.argsort(0, false);
             Tensor b = ints.argsort(0, true)) {
            assertArrayEquals(new long[] {3, 1, 4, 0, 2}, a.toLongArray());
            assertArrayEquals(new long[] {0, 2, 4, 1, 3}, b.toLongArray());
        }
    }

    @Test
    void topkLargestSmallestAndTies() {
        try (Tensor x = Tensor.fromArray(new float[] {5, 1, 5, 3, 1, 7, 3}, 7); Tensor.TopK big = x.topk(3, 0, true);
             Tensor.TopK small = x.topk(4, -1, false); Tensor.TopK none = x.topk(0, 0, true)) {
            assertArrayEquals(new float[] {7, 5, 5}, big.values().toFloatArray());
            assertArrayEquals(new long[] {5, 0, 2}, big.indices().toLongArray());
            assertArrayEquals(new float[] {1, 1, 3, 3}, small.values().toFloatArray());
            assertArrayEquals(new long[] {1, 4, 3, 6}, small.indices().toLongArray());
            assertEquals(0, none.values().numel());
            var e = assertThrows(IllegalArgumentException.class, () -> x.topk(8, 0, true));
            assertTrue(e.getMessage().contains("topk") && e.getMessage().contains("8") && e.getMessage().contains("7"), e.getMessage());
        }
        // along dim 0 of a strided matrix, with the reference from loops
        IxRef ref = randomRef(6, 3);
        try (Tensor x = strided(ref); Tensor.TopK tk = x.topk(2, 0, true)) {
            assertArrayEquals(new int[] {2, 3}, tk.values().shape().toArray());
            double[] v = tk.values().toDoubleArray();
            long[] ix = tk.indices().toLongArray();
            for (int c = 0; c < 3; c++) {
                double[] col = new double[6];
                for (int r = 0; r < 6; r++) col[r] = ref.get(r, c);
                int[] order = argsortRef(col, true);
                for (int k = 0; k < 2; k++) {
                    assertEquals(col[order[k]], v[k * 3 + c], 0.0);
                    assertEquals(col[order[k]], col[(int) ix[k * 3 + c]], 0.0);
                }
            }
        }
        try (Tensor x = Tensor.fromArray(new long[] {1L << 60, (1L << 60) + 1, 3}, 3); Tensor.TopK tk = x.topk(1, 0, true)) {
            assertArrayEquals(new long[] {(1L << 60) + 1}, tk.values().toLongArray());
            assertEquals(DType.I64, tk.values().dtype());
        }
    }

    @Test
    void usingAClosedTensorInIndexingThrows() {
        Tensor x = Tensor.zeros(3);
        x.close();
        try (Tensor ix = Tensor.fromArray(new long[] {0}, 1)) {
            var e = assertThrows(IllegalStateException.class, () -> x.indexSelect(0, ix));
            assertTrue(e.getMessage().contains("indexSelect") && e.getMessage().contains("closed"), e.getMessage());
            List<Tensor> list = new ArrayList<>(List.of(ix, x));
            assertThrows(IllegalStateException.class, () -> Tensor.cat(list, 0));
        }
    }
}
