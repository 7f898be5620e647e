package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Binary elementwise ops on every operand layout the kernels fold into runs: contiguous, broadcast
 * (size-1 and missing leading dims), permuted, step-sliced and offset views, scalars and size-1
 * dims with arbitrary strides, in F32, F64 and F16, at one and two threads. The reference reads each
 * operand's element straight from its base array through the view's own shape, strides and offset
 * (the view metadata, not a kernel), then applies the op in double.
 */
class BroadcastBinaryTest {
    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restoreThreads() {
        CpuParallel.setThreads(savedThreads);
    }

    /** An operand: its view and the base array its storage holds. */
    private record Operand(Tensor view, double[] base) {}

    @ParameterizedTest(name = "{0} threads={1}")
    @CsvSource({"F32,1", "F32,2", "F64,1", "F64,2", "F16,1", "F16,2"})
    void randomLayoutsMatchIndexArithmetic(DType dtype, int threads) {
        CpuParallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(1234 + threads);
        for (int trial = 0; trial < 300; trial++) {
            int[] full = randomShape(rnd, trial % 50 == 0);
            Operand a = randomOperand(rnd, full, dtype);
            Operand b = randomOperand(rnd, full, dtype);
            int[] outShape = broadcast(a.view.shape().toArray(), b.view.shape().toArray());
            for (String op : new String[] {"add", "sub", "mul", "lt"}) {
                try (Tensor r = switch (op) {
                    case "add" -> a.view.add(b.view);
                    case "sub" -> a.view.sub(b.view);
                    case "mul" -> a.view.mul(b.view);
                    default -> a.view.lt(b.view);
                }) {
                    check(op, outShape, a, b, r, trial);
                }
            }
            a.view.close();
            b.view.close();
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void convBiasAndScalarShapesMatch(int threads) {
        CpuParallel.setThreads(threads);
        int[] out = {6, 32, 26, 26};
        SplittableRandom rnd = new SplittableRandom(7);
        Operand x = contiguous(rnd, out, DType.F32);
        double[] biasData = values(rnd, 32);
        Tensor biasBase = Tensor.fromArray(biasData, DType.F32, 32, 1, 1);
        Operand bias = new Operand(biasBase, biasData);
        try (Tensor r = x.view.add(bias.view)) {
            check("add", out, x, bias, r, -1);
        }
        double[] scalarData = {0.75};
        Tensor scalar = Tensor.fromArray(scalarData, DType.F32);
        try (Tensor r = x.view.mul(scalar)) {
            check("mul", out, x, new Operand(scalar, scalarData), r, -2);
        }
        try (Tensor r = x.view.add(0.25)) {
            check("add", out, x, new Operand(Tensor.fromArray(new double[] {0.25}, DType.F32), new double[] {0.25}), r, -3);
        }
        x.view.close();
        biasBase.close();
        scalar.close();
    }

    private static void check(String op, int[] outShape, Operand a, Operand b, Tensor r, int trial) {
        assertEquals(Arrays.toString(outShape), Arrays.toString(r.shape().toArray()), "shape, trial " + trial);
        float[] got = r.toFloatArray();
        int n = got.length;
        int[] idx = new int[outShape.length];
        for (int i = 0; i < n; i++) {
            double x = element(a, idx);
            double y = element(b, idx);
            double want = switch (op) {
                case "add" -> x + y;
                case "sub" -> x - y;
                case "mul" -> x * y;
                default -> x < y ? 1 : 0;
            };
            if (got[i] != (float) want) {
                throw new AssertionError(op + " trial " + trial + " out " + Arrays.toString(outShape) + " a "
                        + describe(a.view) + " b " + describe(b.view) + " at " + Arrays.toString(idx)
                        + ": got " + got[i] + ", want " + want);
            }
            for (int d = idx.length - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /** The operand's value at out index idx, right-aligned, size-1 dims broadcast: pure view metadata. */
    private static double element(Operand o, int[] idx) {
        int[] shape = o.view.shape().toArray();
        int[] strides = o.view.strides();
        int shift = idx.length - shape.length;
        int off = o.view.offset();
        for (int j = 0; j < shape.length; j++) {
            if (shape[j] != 1) {
                off += idx[j + shift] * strides[j];
            }
        }
        return o.base[off];
    }

    private static int[] broadcast(int[] x, int[] y) {
        int rank = Math.max(x.length, y.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int xs = i < rank - x.length ? 1 : x[i - (rank - x.length)];
            int ys = i < rank - y.length ? 1 : y[i - (rank - y.length)];
            out[i] = xs == 1 ? ys : xs;
        }
        return out;
    }

    private static String describe(Tensor t) {
        return Arrays.toString(t.shape().toArray()) + "/" + Arrays.toString(t.strides()) + "+" + t.offset();
    }

    private static int[] randomShape(SplittableRandom rnd, boolean large) {
        if (large) {
            return new int[] {4, 1 + rnd.nextInt(12), 24, 25 + rnd.nextInt(10)};
        }
        int rank = rnd.nextInt(5);
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = rnd.nextInt(8) == 0 ? 1 : 1 + rnd.nextInt(6);
        }
        if (rank > 0 && rnd.nextInt(20) == 0) {
            s[rnd.nextInt(rank)] = 0;
        }
        return s;
    }

    /** Values exact in F16 and in their sums, differences and products: multiples of 1/4 in [-8, 8]. */
    private static double[] values(SplittableRandom rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rnd.nextInt(65) - 32) / 4.0;
        }
        return v;
    }

    private static Operand contiguous(SplittableRandom rnd, int[] shape, DType dtype) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] data = values(rnd, n);
        return new Operand(Tensor.fromArray(data, dtype, shape), data);
    }

    /** An operand broadcastable to out: some dims 1 or dropped, built as one of several view kinds. */
    private static Operand randomOperand(SplittableRandom rnd, int[] out, DType dtype) {
        int drop = out.length == 0 ? 0 : rnd.nextInt(4) == 0 ? rnd.nextInt(out.length + 1) : 0;
        int[] shape = Arrays.copyOfRange(out, drop, out.length);
        for (int i = 0; i < shape.length; i++) {
            if (rnd.nextInt(3) == 0) {
                shape[i] = 1;
            }
        }
        int kind = shape.length == 0 ? 0 : rnd.nextInt(4);
        switch (kind) {
            case 1 -> { // a permuted base, permuted back: same shape, non-contiguous strides
                int[] perm = permutation(rnd, shape.length);
                int[] baseShape = new int[shape.length];
                for (int i = 0; i < shape.length; i++) {
                    baseShape[i] = shape[perm[i]];
                }
                Operand base = contiguous(rnd, baseShape, dtype);
                int[] inverse = new int[perm.length];
                for (int i = 0; i < perm.length; i++) {
                    inverse[perm[i]] = i;
                }
                Tensor view = base.view.permute(inverse);
                return new Operand(view, base.base);
            }
            case 2 -> { // every second element of a twice-as-long dim, starting at 1 (offset and step)
                int dim = rnd.nextInt(shape.length);
                int[] baseShape = shape.clone();
                baseShape[dim] = 2 * shape[dim] + 1;
                Operand base = contiguous(rnd, baseShape, dtype);
                Tensor view = base.view.slice(dim, 1, 1 + 2 * shape[dim], 2);
                return new Operand(view, base.base);
            }
            case 3 -> { // size-1 dims expanded (stride 0) up to out's sizes
                Operand base = contiguous(rnd, shape, dtype);
                int[] target = Arrays.copyOfRange(out, drop, out.length);
                Tensor view = base.view.expand(target);
                return new Operand(view, base.base);
            }
            default -> {
                return contiguous(rnd, shape, dtype);
            }
        }
    }

    private static int[] permutation(SplittableRandom rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
