package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A naive n-d array for the view/indexing tests: a row-major {@code double[]} and a shape, with
 * every op written as plain loops over multi-indices (torch semantics), sharing no code with Kiln.
 */
final class IxRef {
    final int[] shape;
    final double[] data;

    IxRef(int[] shape, double[] data) {
        this.shape = shape.clone();
        this.data = data;
        assertEquals(numel(shape), data.length, "IxRef: data does not fill shape");
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** 0, 1, 2, ... in the given shape. */
    static IxRef iota(int... shape) {
        double[] d = new double[numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return new IxRef(shape, d);
    }

    static IxRef of(Tensor t) {
        return new IxRef(t.shape().toArray(), t.toDoubleArray());
    }

    Tensor toTensor() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return Tensor.fromArray(f, shape);
    }

    int flat(int[] idx) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("IxRef: " + Arrays.toString(idx) + " in " + Arrays.toString(shape));
            }
            f = f * shape[d] + idx[d];
        }
        return f;
    }

    double get(int... idx) {
        return data[flat(idx)];
    }

    /** Calls {@code body} with every multi-index of {@code shape} in row-major order (same array, mutated). */
    static void forEach(int[] shape, Consumer<int[]> body) {
        if (numel(shape) == 0) {
            return;
        }
        int[] idx = new int[shape.length];
        while (true) {
            body.accept(idx);
            int d = shape.length - 1;
            while (d >= 0 && ++idx[d] == shape[d]) {
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }

    interface IndexMap {
        /** Fills {@code src} with the source multi-index of output element {@code out}. */
        void map(int[] out, int[] src);
    }

    IxRef remap(int[] outShape, IndexMap m) {
        double[] out = new double[numel(outShape)];
        int[] src = new int[shape.length];
        int[] k = {0};
        forEach(outShape, idx -> {
            m.map(idx, src);
            out[k[0]++] = get(src);
        });
        return new IxRef(outShape, out);
    }

    static int norm(int dim, int rank) {
        return dim < 0 ? dim + rank : dim;
    }

    IxRef permute(int... order) {
        int[] os = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            os[i] = shape[norm(order[i], shape.length)];
        }
        return remap(os, (o, s) -> {
            for (int i = 0; i < order.length; i++) {
                s[norm(order[i], shape.length)] = o[i];
            }
        });
    }

    IxRef transpose(int a, int b) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        a = norm(a, shape.length);
        b = norm(b, shape.length);
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Python's range of indices picked by {@code [start:end:step]} on a dimension of size n. */
    static int[] pySlice(int n, int start, int end, int step) {
        int s = start < 0 ? start + n : start;
        if (s < 0) s = 0;
        if (s > n) s = n;
        int e = end < 0 ? end + n : end;
        if (e < 0) e = 0;
        if (e > n) e = n;
        List<Integer> picked = new ArrayList<>();
        for (int i = s; i < e; i += step) {
            picked.add(i);
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    IxRef select(int dim, int[] indices) {
        int d = norm(dim, shape.length);
        int[] os = shape.clone();
        os[d] = indices.length;
        return remap(os, (o, s) -> {
            System.arraycopy(o, 0, s, 0, o.length);
            s[d] = indices[o[d]];
        });
    }

    IxRef slice(int dim, int start, int end, int step) {
        return select(dim, pySlice(shape[norm(dim, shape.length)], start, end, step));
    }

    IxRef narrow(int dim, int start, int length) {
        int d = norm(dim, shape.length);
        int s = start < 0 ? start + shape[d] : start;
        int[] idx = new int[length];
        for (int i = 0; i < length; i++) {
            idx[i] = s + i;
        }
        return select(d, idx);
    }

    IxRef reshape(int... newShape) {
        return new IxRef(newShape, data.clone());
    }

    IxRef unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        int[] ns = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            ns[i] = i == d ? 1 : shape[j++];
        }
        return reshape(ns);
    }

    /** Broadcast to {@code sizes} (same rank or more; -1 keeps a size). */
    IxRef expand(int... sizes) {
        int lead = sizes.length - shape.length;
        int[] os = sizes.clone();
        for (int i = lead; i < os.length; i++) {
            if (os[i] == -1) {
                os[i] = shape[i - lead];
            }
        }
        return remap(os, (o, s) -> {
            for (int i = 0; i < shape.length; i++) {
                s[i] = shape[i] == 1 ? 0 : o[i + lead];
            }
        });
    }

    static void assertValues(IxRef expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape, actual.shape().toArray(), what + ": shape");
        assertArrayEquals(expected.data, actual.toDoubleArray(), 0.0, what + ": values");
    }
}
