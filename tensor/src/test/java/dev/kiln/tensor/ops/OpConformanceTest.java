package dev.kiln.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.OpSpecs.Domain;
import dev.kiln.tensor.ops.OpSpecs.Family;
import dev.kiln.tensor.ops.OpSpecs.Params;
import dev.kiln.tensor.ops.OpSpecs.Spec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op in {@link OpSpecs} through the same checks: random shapes (rank 0, size-1 and size-0
 * dims), every layout (contiguous, permuted, stepped slice with an offset, expanded, transposed),
 * broadcasting, every dtype the op accepts (result dtype per torch promotion) and rejection of the
 * ones it must not accept, against naive double references with dtype-aware tolerances.
 */
class OpConformanceTest {

    static Stream<Spec> specs() {
        return OpSpecs.all().stream();
    }

    // ================================================================== tolerances and comparison

    /**
     * Relative error allowed for a result of this dtype (F64: ~45 ulp, room for a few-ulp reference
     * and kernel on either side; F32: ~16 ulp; halves: one ulp of the rounding). F64 at 1e-14 is
     * what proves that no F64 kernel rounds through float (that costs ~6e-8).
     */
    static double eps(DType t) {
        return switch (t) {
            case F64 -> 1e-14;
            case F32 -> 2e-6;
            case F16 -> 0.00098;
            case BF16 -> 0.0078;
            default -> 0;
        };
    }

    static double atol(DType t) {
        return switch (t) {
            case F64 -> 1e-15;
            case F32 -> 1e-6;
            case F16, BF16 -> 1e-5;
            default -> 0;
        };
    }

    /**
     * Accumulation error per unit of Σ|terms| (reductions, matmul): F64 computes in double (k·2⁻⁵³
     * bounds a k-term naive dot product; the longest here is k = 100), every other float dtype in F32.
     */
    static double accumEps(DType t) {
        return t == DType.F64 ? 2e-14 : 2e-6;
    }

    /** allowed = atol + |ref|·eps(dtype) (+ accumulation slack for reductions/matmul); NaN matches NaN. */
    static boolean withinTolerance(DType t, double actual, double ref, double scale) {
        if (t.isFloatingPoint() && Double.isFinite(ref) && Double.isInfinite(roundTo(t, ref))) {
            ref = roundTo(t, ref); // the exact result overflows the dtype
        }
        if (Double.isNaN(ref) || Double.isNaN(actual)) {
            return Double.isNaN(ref) && Double.isNaN(actual);
        }
        if (Double.isInfinite(ref) || Double.isInfinite(actual)) {
            return actual == ref;
        }
        if (!t.isFloatingPoint()) {
            return actual == wrap(t, ref);
        }
        return Math.abs(actual - ref) <= atol(t) + eps(t) * Math.abs(ref) + accumEps(t) * scale;
    }

    /** Integer results wrap like Java/C two's complement (torch does the same). */
    static double wrap(DType t, double v) {
        return switch (t) {
            case I8 -> (byte) (long) v;
            case I32 -> (int) (long) v;
            case BOOL -> v != 0 ? 1 : 0;
            default -> v;
        };
    }

    /** Collects failures so one spec reports every mismatch it saw, not only the first. */
    static final class Checker {
        final List<String> failures = new ArrayList<>();
        int cases;

        void fail(String msg) {
            failures.add(msg);
        }

        void compare(String ctx, Tensor out, DType dt, int[] shape, double[] ref, double[] scale) {
            cases++;
            if (out.dtype() != dt) {
                fail(ctx + ": dtype " + out.dtype() + ", expected " + dt);
                return;
            }
            if (!Arrays.equals(out.shape().toArray(), shape)) {
                fail(ctx + ": shape " + out.shape() + ", expected " + Arrays.toString(shape));
                return;
            }
            double[] got = read(out);
            int bad = 0;
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ref.length; i++) {
                if (!withinTolerance(dt, got[i], ref[i], scale == null ? 0 : scale[i])) {
                    if (bad++ < 3) {
                        sb.append(" [").append(i).append("] got ").append(got[i]).append(" want ").append(ref[i]);
                    }
                }
            }
            if (bad > 0) {
                fail(ctx + ": " + bad + "/" + ref.length + " elements off:" + sb);
            }
        }

        void assertClean(String what) {
            assertTrue(cases > 0 || failures.isEmpty(), what + ": no cases ran");
            if (!failures.isEmpty()) {
                fail2(what + ": " + failures.size() + " failing cases of " + cases + ":\n  "
                        + String.join("\n  ", failures.subList(0, Math.min(25, failures.size()))));
            }
        }

        private static void fail2(String m) {
            org.junit.jupiter.api.Assertions.fail(m);
        }
    }

    /** Reads a tensor back without Kiln's half conversions. */
    static double[] read(Tensor t) {
        if (t.dtype() == DType.F16 || t.dtype() == DType.BF16) {
            short[] bits = t.toBits();
            double[] out = new double[bits.length];
            for (int i = 0; i < bits.length; i++) {
                out[i] = t.dtype() == DType.F16 ? Float.float16ToFloat(bits[i]) : Float.intBitsToFloat((bits[i] & 0xFFFF) << 16);
            }
            return out;
        }
        return t.toDoubleArray();
    }

    // ================================================================== inputs

    static short bf16Bits(float f) {
        int b = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** v rounded to what a tensor of dtype t stores. */
    static double roundTo(DType t, double v) {
        return switch (t) {
            case F64 -> v;
            case F32 -> (float) v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case BF16 -> Float.intBitsToFloat((bf16Bits((float) v) & 0xFFFF) << 16);
            case I64 -> (long) v;
            case I32 -> (int) (long) v;
            case I8 -> (byte) (long) v;
            case BOOL -> v != 0 ? 1 : 0;
        };
    }

    /** A contiguous tensor holding {@code v} (already representable in t), built without Kiln conversions. */
    static Tensor upload(DType t, double[] v, int[] shape) {
        int n = v.length;
        return switch (t) {
            case F64 -> Tensor.fromArray(v.clone(), DType.F64, shape); // exact: F64 holds any double
            case F32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float) v[i];
                yield Tensor.fromArray(f, shape);
            }
            case F16, BF16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) s[i] = t == DType.F16 ? Float.floatToFloat16((float) v[i]) : bf16Bits((float) v[i]);
                yield Tensor.fromBits(s, t, shape);
            }
            case I64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = (long) v[i];
                yield Tensor.fromArray(l, shape);
            }
            case I32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = (int) v[i];
                yield Tensor.fromArray(a, shape);
            }
            case I8 -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) b[i] = (byte) v[i];
                yield Tensor.fromArray(b, shape);
            }
            case BOOL -> {
                boolean[] b = new boolean[n];
                for (int i = 0; i < n; i++) b[i] = v[i] != 0;
                yield Tensor.fromArray(b, shape);
            }
        };
    }

    static double[] generate(Domain d, DType t, int n, SplittableRandom rng) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x;
            if (t == DType.BOOL) {
                x = rng.nextInt(2);
            } else if (!t.isFloatingPoint()) {
                x = switch (d) {
                    case DISCRETE -> rng.nextInt(-2, 3);
                    case POSITIVE -> rng.nextInt(1, 11);
                    case LOG1P -> rng.nextInt(0, 11);
                    case DENOM -> rng.nextInt(1, 4) * (rng.nextBoolean() ? 1 : -1);
                    case POW_BASE -> rng.nextInt(-3, 4);
                    case POW_EXP, SMALL_INT_EXP -> rng.nextInt(0, 5);
                    case WIDE -> rng.nextInt(-8, 9);
                    case ANY -> rng.nextInt(-5, 6);
                };
            } else if (d == Domain.DISCRETE) {
                x = rng.nextInt(9) / 2.0 - 2;
            } else if (d == Domain.DENOM) {
                x = (d.lo + rng.nextDouble() * (d.hi - d.lo)) * (rng.nextBoolean() ? 1 : -1);
            } else {
                x = d.lo + rng.nextDouble() * (d.hi - d.lo);
            }
            v[i] = roundTo(t, x);
        }
        return v;
    }

    enum Layout { CONTIGUOUS, PERMUTED, TRANSPOSED, STEPPED, EXPANDED }

    /** A Kiln tensor with the given logical shape and layout, and the logical values it holds. */
    record Input(Tensor t, double[] v, int[] shape, String desc) {
        @Override
        public String toString() {
            return desc;
        }
    }

    static int numel(int[] s) {
        int n = 1;
        for (int d : s) n *= d;
        return n;
    }

    static int[] rowMajorStrides(int[] s) {
        int[] st = new int[s.length];
        int k = 1;
        for (int i = s.length - 1; i >= 0; i--) {
            st[i] = k;
            k *= Math.max(s[i], 1);
        }
        return st;
    }

    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    static int ravel(int[] idx, int[] shape) {
        int f = 0;
        for (int i = 0; i < shape.length; i++) f = f * shape[i] + idx[i];
        return f;
    }

    /** Builds a layout; null when the layout does not apply to the shape (e.g. permute of rank 1). */
    static Input make(Layout layout, DType t, Domain d, int[] shape, SplittableRandom rng) {
        int n = numel(shape);
        double[] v = generate(d, t, n, rng);
        int rank = shape.length;
        String desc = t + Arrays.toString(shape) + "/" + layout;
        switch (layout) {
            case CONTIGUOUS:
                return new Input(upload(t, v, shape), v, shape, desc);
            case PERMUTED:
            case TRANSPOSED: {
                if (rank < 2) return null;
                int[] q = new int[rank]; // result dim i = base dim q[i]
                for (int i = 0; i < rank; i++) q[i] = layout == Layout.PERMUTED ? rank - 1 - i : i;
                if (layout == Layout.TRANSPOSED) {
                    q[rank - 1] = rank - 2;
                    q[rank - 2] = rank - 1;
                }
                int[] base = new int[rank];
                for (int i = 0; i < rank; i++) base[q[i]] = shape[i];
                double[] bv = new double[n];
                int[] bi = new int[rank];
                for (int f = 0; f < n; f++) {
                    int[] si = unravel(f, shape);
                    for (int i = 0; i < rank; i++) bi[q[i]] = si[i];
                    bv[ravel(bi, base)] = v[f];
                }
                try (Tensor b = upload(t, bv, base)) {
                    return new Input(b.permute(q), v, shape, desc);
                }
            }
            case STEPPED: {
                if (rank < 1) return null;
                int dim = rng.nextInt(rank);
                int[] base = shape.clone();
                base[dim] = 2 * shape[dim] + 1;
                double junk = t.isFloatingPoint() ? Double.NaN : (t == DType.BOOL ? 1 : 99);
                double[] bv = new double[numel(base)];
                Arrays.fill(bv, junk);
                for (int f = 0; f < n; f++) {
                    int[] si = unravel(f, shape);
                    si[dim] = 1 + 2 * si[dim];
                    bv[ravel(si, base)] = v[f];
                }
                try (Tensor b = upload(t, bv, base)) {
                    return new Input(b.slice(dim, 1, base[dim], 2), v, shape, desc + "(dim " + dim + ")");
                }
            }
            case EXPANDED: {
                int dim = -1;
                for (int i = 0; i < rank; i++) {
                    if (shape[i] > 1) {
                        dim = i;
                        break;
                    }
                }
                if (dim < 0) return null;
                int[] base = shape.clone();
                base[dim] = 1;
                double[] bv = new double[numel(base)];
                for (int f = 0; f < n; f++) {
                    int[] si = unravel(f, shape);
                    int e = si[dim];
                    si[dim] = 0;
                    if (e == 0) bv[ravel(si, base)] = v[f];
                }
                for (int f = 0; f < n; f++) {
                    int[] si = unravel(f, shape);
                    si[dim] = 0;
                    v[f] = bv[ravel(si, base)];
                }
                try (Tensor b = upload(t, bv, base)) {
                    return new Input(b.expand(shape), v, shape, desc + "(dim " + dim + ")");
                }
            }
            default:
                throw new IllegalStateException();
        }
    }

    /** Independent NumPy broadcast; null when the shapes do not broadcast. */
    static int[] broadcast(int[]... shapes) {
        int rank = 0;
        for (int[] s : shapes) rank = Math.max(rank, s.length);
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = rank - s.length + i;
                if (s[i] == out[o] || s[i] == 1) continue;
                if (out[o] != 1) return null;
                out[o] = s[i];
            }
        }
        return out;
    }

    /** Flat index into an input of shape {@code s} for output multi-index {@code oi} (broadcast). */
    static int broadcastIndex(int[] oi, int[] s) {
        int f = 0;
        for (int i = 0; i < s.length; i++) {
            int o = oi[oi.length - s.length + i];
            f = f * s[i] + (s[i] == 1 ? 0 : o);
        }
        return f;
    }

    static void closeAll(Input... in) {
        for (Input i : in) if (i != null) i.t().close();
    }

    // ================================================================== the harness

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void conforms(Spec spec) {
        Checker c = new Checker();
        SplittableRandom rng = new SplittableRandom(spec.name().hashCode());
        switch (spec.family()) {
            case UNARY, CLAMP -> elementwise(spec, c, rng);
            case BINARY -> binary(spec, c, rng);
            case WHERE -> where(spec, c, rng);
            case MASKED_FILL -> maskedFill(spec, c, rng);
            case REDUCE, ARG_REDUCE -> reduce(spec, c, rng);
            case SOFTMAX -> softmax(spec, c, rng);
            case MATMUL -> matmul(spec, c, rng);
        }
        c.assertClean(spec.name());
    }

    static final int[][] UNARY_SHAPES = {{}, {1}, {0}, {7}, {3, 4}, {2, 0, 3}, {2, 3, 5}, {1, 5, 1}, {33}, {4, 1, 3, 2},
            {200, 200}};

    static List<DType> testedDtypes(Spec spec) {
        List<DType> l = new ArrayList<>(spec.accepts());
        for (DType t : spec.rejects()) if (!l.contains(t)) l.add(t);
        return l;
    }

    /** Runs the op, expecting IllegalArgumentException when the spec says the dtype is rejected. */
    static Tensor run(Spec spec, Checker c, String ctx, DType expect, Tensor[] in, Params p) {
        if (expect == null) {
            try {
                Tensor r = spec.kiln().apply(in, p);
                r.close();
                c.fail(ctx + ": expected a dtype error, got a result");
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().contains(opWord(spec))) c.fail(ctx + ": error does not name the op: " + e.getMessage());
            }
            return null;
        }
        try {
            return spec.kiln().apply(in, p);
        } catch (RuntimeException e) {
            c.fail(ctx + ": threw " + e);
            return null;
        }
    }

    /** The op's name as Kiln messages spell it. */
    static String opWord(Spec spec) {
        return switch (spec.name()) {
            case "gelu" -> "gelu";
            case "geluTanh" -> "gelu_tanh";
            case "std" -> "var";
            default -> spec.name();
        };
    }

    static void elementwise(Spec spec, Checker c, SplittableRandom rng) {
        List<Params> params = spec.family() == Family.CLAMP
                ? List.of(new Params(null, false, null, 0, -1, 1), new Params(null, false, null, 0, Double.NaN, 0.5),
                        new Params(null, false, null, 0, -0.5, Double.NaN), new Params(null, false, null, 0, 0, 0),
                        new Params(null, false, null, 0, -2, 2), new Params(null, false, null, 0, -1.5, 2.5))
                : List.of(Params.NONE);
        for (DType t : testedDtypes(spec)) {
            DType rt = spec.rejects().contains(t) ? null : spec.resultType().of(new DType[] {t});
            for (int[] shape : UNARY_SHAPES) {
                for (Layout layout : Layout.values()) {
                    if (shape.length > 2 && shape[0] == 200 && (layout != Layout.CONTIGUOUS || t != DType.F32)) continue;
                    for (Params p : params) {
                        // clamp of an integer tensor with a fractional bound promotes to F32, as torch does
                        boolean frac = (p.s0() != Math.rint(p.s0()) && !Double.isNaN(p.s0()))
                                || (p.s1() != Math.rint(p.s1()) && !Double.isNaN(p.s1()));
                        DType prt = rt != null && frac && !t.isFloatingPoint() ? DType.F32 : rt;
                        Input x = make(layout, t, spec.domains()[0], shape, rng);
                        if (x == null) continue;
                        String ctx = spec.name() + "(" + x + (params.size() > 1 ? ", " + p.s0() + ", " + p.s1() : "") + ")";
                        try (Tensor out = run(spec, c, ctx, prt, new Tensor[] {x.t()}, p)) {
                            if (out == null) continue;
                            double[] ref = new double[x.v().length];
                            for (int i = 0; i < ref.length; i++) ref[i] = spec.elem().apply(new double[] {x.v()[i]}, p);
                            c.compare(ctx, out, prt, shape, ref, null);
                            // the input must not be modified
                            double[] after = read(x.t());
                            if (!Arrays.equals(after, x.v())) c.fail(ctx + ": input was modified");
                        } finally {
                            closeAll(x);
                        }
                    }
                }
            }
        }
    }

    static final int[][][] BINARY_SHAPES = {{{3, 4}, {3, 4}}, {{}, {5}}, {{5}, {}}, {{}, {}}, {{3, 1, 5}, {4, 1}},
            {{2, 0, 3}, {3}}, {{0}, {1}}, {{1}, {0}}, {{4, 1}, {1, 6}}, {{2, 3, 17}, {17}}, {{2, 3, 4}, {2, 1, 4}},
            {{1, 5, 1}, {5, 1}}, {{40}, {40}}, {{300, 200}, {200}}, {{300, 200}, {300, 200}}};

    static final DType[][] MIXED = {{DType.I32, DType.F32}, {DType.F16, DType.I64}, {DType.BF16, DType.F16},
            {DType.I8, DType.I32}, {DType.BOOL, DType.I64}, {DType.F32, DType.BF16}, {DType.BOOL, DType.F16},
            {DType.I8, DType.F32}, {DType.I64, DType.I8}, {DType.F64, DType.F32}, {DType.I64, DType.F64},
            {DType.F64, DType.BF16}, {DType.F16, DType.F64}, {DType.BOOL, DType.F64}, {DType.F64, DType.I32}};

    static List<DType[]> dtypePairs(Spec spec) {
        List<DType[]> pairs = new ArrayList<>();
        for (DType t : spec.accepts()) pairs.add(new DType[] {t, t});
        for (DType t : spec.rejects()) if (!spec.accepts().contains(t)) pairs.add(new DType[] {t, t});
        for (DType[] m : MIXED) {
            if (spec.accepts().contains(m[0]) && spec.accepts().contains(m[1])) pairs.add(m);
        }
        return pairs;
    }

    static void binary(Spec spec, Checker c, SplittableRandom rng) {
        Layout[][] layouts = {{Layout.CONTIGUOUS, Layout.CONTIGUOUS}, {Layout.PERMUTED, Layout.CONTIGUOUS},
                {Layout.CONTIGUOUS, Layout.STEPPED}, {Layout.TRANSPOSED, Layout.TRANSPOSED}, {Layout.EXPANDED, Layout.PERMUTED},
                {Layout.STEPPED, Layout.EXPANDED}};
        for (DType[] dt : dtypePairs(spec)) {
            DType rt = spec.resultType().of(dt);
            for (int[][] shapes : BINARY_SHAPES) {
                int[] os = broadcast(shapes[0], shapes[1]);
                boolean big = numel(os) > 10000; // the multi-threaded paths; F32 and a few layouts only
                if (big && dt[0] != dt[1]) continue;
                if (big && dt[0] != DType.F32 && dt[0] != DType.F16 && dt[0] != DType.F64) continue;
                for (Layout[] lay : layouts) {
                    if (big && lay[0] != lay[1] && lay[0] != Layout.CONTIGUOUS) continue;
                    Input a = make(lay[0], dt[0], spec.domains()[0], shapes[0], rng);
                    Input b = make(lay[1], dt[1], spec.domains()[1], shapes[1], rng);
                    if (a == null || b == null) {
                        closeAll(a, b);
                        continue;
                    }
                    String ctx = spec.name() + "(" + a + ", " + b + ")";
                    try (Tensor out = run(spec, c, ctx, rt, new Tensor[] {a.t(), b.t()}, Params.NONE)) {
                        if (out == null) continue;
                        double[] ref = new double[numel(os)];
                        for (int f = 0; f < ref.length; f++) {
                            int[] oi = unravel(f, os);
                            ref[f] = spec.elem().apply(new double[] {a.v()[broadcastIndex(oi, a.shape())],
                                    b.v()[broadcastIndex(oi, b.shape())]}, Params.NONE);
                        }
                        c.compare(ctx, out, rt, os, ref, null);
                    } finally {
                        closeAll(a, b);
                    }
                }
            }
        }
    }

    static void where(Spec spec, Checker c, SplittableRandom rng) {
        int[][][] shapes = {{{3, 4}, {3, 4}, {3, 4}}, {{3, 1}, {1, 4}, {4}}, {{}, {2, 3}, {}}, {{2, 0, 3}, {3}, {1}},
                {{5}, {}, {5}}, {{2, 3, 4}, {2, 1, 4}, {3, 1}}, {{}, {}, {}}};
        DType[][] pairs = {{DType.F32, DType.F32}, {DType.F16, DType.F16}, {DType.BF16, DType.BF16}, {DType.I64, DType.I64},
                {DType.I32, DType.F32}, {DType.I8, DType.I8}, {DType.BOOL, DType.BOOL}, {DType.F16, DType.BF16},
                {DType.BOOL, DType.I32}, {DType.I64, DType.F16}, {DType.F64, DType.F64}, {DType.F64, DType.I64},
                {DType.F32, DType.F64}};
        for (DType[] dt : pairs) {
            DType rt = spec.resultType().of(new DType[] {DType.BOOL, dt[0], dt[1]});
            for (int[][] s : shapes) {
                int[] os = broadcast(s);
                for (Layout layout : Layout.values()) {
                    Input cond = make(layout, DType.BOOL, Domain.ANY, s[0], rng);
                    Input a = make(layout, dt[0], Domain.ANY, s[1], rng);
                    Input b = make(layout, dt[1], Domain.ANY, s[2], rng);
                    if (cond == null || a == null || b == null) {
                        closeAll(cond, a, b);
                        continue;
                    }
                    String ctx = "where(" + cond + ", " + a + ", " + b + ")";
                    try (Tensor out = run(spec, c, ctx, rt, new Tensor[] {cond.t(), a.t(), b.t()}, Params.NONE)) {
                        if (out == null) continue;
                        double[] ref = new double[numel(os)];
                        for (int f = 0; f < ref.length; f++) {
                            int[] oi = unravel(f, os);
                            ref[f] = spec.elem().apply(new double[] {cond.v()[broadcastIndex(oi, s[0])],
                                    a.v()[broadcastIndex(oi, s[1])], b.v()[broadcastIndex(oi, s[2])]}, Params.NONE);
                        }
                        c.compare(ctx, out, rt, os, ref, null);
                    } finally {
                        closeAll(cond, a, b);
                    }
                }
            }
        }
    }

    static void maskedFill(Spec spec, Checker c, SplittableRandom rng) {
        int[][][] shapes = {{{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 3, 4}, {3, 1}}, {{}, {}}, {{0, 3}, {3}}, {{5}, {}},
                {{2, 5}, {1, 5}}};
        for (DType t : DType.values()) {
            double value = t.isFloatingPoint() ? -7.25 : (t == DType.BOOL ? 1 : -7);
            Params p = new Params(null, false, null, 0, value, Double.NaN);
            for (int[][] s : shapes) {
                for (Layout layout : Layout.values()) {
                    Input x = make(layout, t, Domain.ANY, s[0], rng);
                    Input m = make(layout == Layout.EXPANDED ? Layout.CONTIGUOUS : layout, DType.BOOL, Domain.ANY, s[1], rng);
                    if (x == null || m == null) {
                        closeAll(x, m);
                        continue;
                    }
                    String ctx = "maskedFill(" + x + ", " + m + ", " + value + ")";
                    try (Tensor out = run(spec, c, ctx, t, new Tensor[] {x.t(), m.t()}, p)) {
                        if (out == null) continue;
                        double[] ref = new double[x.v().length];
                        for (int f = 0; f < ref.length; f++) {
                            int[] oi = unravel(f, s[0]);
                            ref[f] = spec.elem().apply(new double[] {x.v()[f], m.v()[broadcastIndex(oi, s[1])]}, p);
                        }
                        c.compare(ctx, out, t, s[0], ref, null);
                    } finally {
                        closeAll(x, m);
                    }
                }
            }
        }
    }

    static final int[][] REDUCE_SHAPES = {{}, {0}, {5}, {3, 4}, {2, 3, 4}, {2, 0, 3}, {1, 7, 1}, {3, 1, 4, 2}, {130},
            {4, 37}, {160, 256}};

    /** Dim sets to reduce over: null (all), each dim (positive and negative), pairs, all explicitly, unsorted. */
    static List<int[]> dimSets(int rank, SplittableRandom rng) {
        List<int[]> l = new ArrayList<>();
        l.add(null);
        for (int d = 0; d < Math.max(rank, 1); d++) {
            l.add(new int[] {d});
            l.add(new int[] {d - Math.max(rank, 1)});
        }
        if (rank >= 2) {
            l.add(new int[] {0, rank - 1});
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = rank - 1 - i;
            l.add(all);
        }
        if (rank >= 3) {
            int a = rng.nextInt(rank);
            int b = (a + 1 + rng.nextInt(rank - 1)) % rank;
            l.add(new int[] {b, -(rank - a)});
        }
        return l;
    }

    static void reduce(Spec spec, Checker c, SplittableRandom rng) {
        boolean arg = spec.family() == Family.ARG_REDUCE;
        boolean var = spec.name().equals("var") || spec.name().equals("std");
        for (DType t : testedDtypes(spec)) {
            DType rt = spec.rejects().contains(t) ? null : spec.resultType().of(new DType[] {t});
            for (int[] shape : REDUCE_SHAPES) {
                int rank = shape.length;
                boolean big = numel(shape) > 10000;
                for (Layout layout : Layout.values()) {
                    if (big && layout != Layout.CONTIGUOUS && layout != Layout.TRANSPOSED) continue;
                    List<Params> ps = new ArrayList<>();
                    if (arg) {
                        ps.add(new Params(null, false, null, 0, 0, 0));
                        for (int d = -Math.max(rank, 1); d < Math.max(rank, 1); d++) {
                            ps.add(new Params(null, false, d, 0, 0, 0));
                            ps.add(new Params(null, true, d, 0, 0, 0));
                        }
                    } else {
                        for (int[] dims : dimSets(rank, rng)) {
                            for (boolean keep : new boolean[] {false, true}) {
                                if (var) {
                                    ps.add(new Params(dims, keep, null, 0, 0, 0));
                                    ps.add(new Params(dims, keep, null, 1, 0, 0));
                                } else {
                                    ps.add(new Params(dims, keep, null, 0, 0, 0));
                                }
                            }
                        }
                    }
                    if (big) ps = ps.subList(0, Math.min(ps.size(), 4));
                    Input x = make(layout, t, spec.domains()[0], shape, rng);
                    if (x == null) continue;
                    try {
                        for (Params p : ps) {
                            reduceCase(spec, c, x, rt, p, arg);
                        }
                    } finally {
                        closeAll(x);
                    }
                }
            }
        }
    }

    static void reduceCase(Spec spec, Checker c, Input x, DType rt, Params p, boolean arg) {
        int[] shape = x.shape();
        int rank = shape.length;
        // Reduced dims (sorted, distinct); arg ops with no dim reduce the flattened tensor.
        boolean[] red = new boolean[rank];
        if (arg) {
            if (p.dim() == null) Arrays.fill(red, true);
            else if (rank > 0) red[Math.floorMod(p.dim(), rank)] = true;
        } else if (p.dims() == null) {
            Arrays.fill(red, true);
        } else {
            for (int d : p.dims()) if (rank > 0) red[Math.floorMod(d, rank)] = true;
        }
        int[] kept = shape.clone();
        List<Integer> outDims = new ArrayList<>();
        List<Integer> redDims = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (red[i]) {
                kept[i] = 1;
                redDims.add(i);
                if (p.keepdim() && !(arg && p.dim() == null)) outDims.add(1);
            } else {
                outDims.add(shape[i]);
            }
        }
        int[] outShape = outDims.stream().mapToInt(Integer::intValue).toArray();
        int rowLen = 1;
        for (int d : redDims) rowLen *= shape[d];
        String ctx = spec.name() + "(" + x + ", " + p + ")";
        boolean emptyRowErr = rowLen == 0 && numel(kept) > 0
                && (spec.name().equals("max") || spec.name().equals("min") || arg);
        if (arg && p.dim() == null && numel(shape) == 0) emptyRowErr = true;
        if (emptyRowErr || rt == null) {
            try (Tensor r = spec.kiln().apply(new Tensor[] {x.t()}, p)) {
                c.fail(ctx + ": expected IllegalArgumentException, got " + r.shape());
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().contains(opWord(spec))) c.fail(ctx + ": error does not name the op: " + e.getMessage());
            } catch (RuntimeException e) {
                c.fail(ctx + ": expected IllegalArgumentException, got " + e);
            }
            return;
        }
        try (Tensor out = run(spec, c, ctx, rt, new Tensor[] {x.t()}, p)) {
            if (out == null) return;
            int outN = numel(kept);
            double[] ref = new double[outN];
            double[] scale = new double[outN];
            int[] redShape = redDims.stream().mapToInt(d -> shape[d]).toArray();
            for (int o = 0; o < outN; o++) {
                int[] oi = unravel(o, kept);
                double[] row = new double[rowLen];
                double abs = 0;
                for (int r = 0; r < rowLen; r++) {
                    int[] ri = unravel(r, redShape);
                    int[] xi = oi.clone();
                    for (int j = 0; j < ri.length; j++) xi[redDims.get(j)] = ri[j];
                    row[r] = x.v()[ravel(xi, shape)];
                    abs += Math.abs(row[r]);
                }
                ref[o] = spec.row().apply(row, p);
                if (spec.accumulates()) {
                    scale[o] = switch (spec.name()) {
                        case "mean", "logsumexp" -> abs / Math.max(rowLen, 1) + maxAbs(row);
                        case "var" -> 4 * maxAbs(row) * maxAbs(row);
                        case "std" -> 4 * maxAbs(row);
                        default -> abs;
                    };
                }
            }
            c.compare(ctx, out, rt, outShape, ref, scale);
        }
    }

    static double maxAbs(double[] r) {
        double m = 0;
        for (double v : r) m = Math.max(m, Math.abs(v));
        return m;
    }

    static void softmax(Spec spec, Checker c, SplittableRandom rng) {
        int[][] shapes = {{}, {5}, {3, 4}, {2, 3, 4}, {2, 0, 3}, {1, 7, 1}, {4, 37}, {0}, {300, 130}};
        for (DType t : testedDtypes(spec)) {
            DType rt = spec.rejects().contains(t) ? null : spec.resultType().of(new DType[] {t});
            for (int[] shape : shapes) {
                int rank = shape.length;
                for (Layout layout : Layout.values()) {
                    if (numel(shape) > 10000 && (layout == Layout.PERMUTED || layout == Layout.EXPANDED)) continue;
                    Input x = make(layout, t, spec.domains()[0], shape, rng);
                    if (x == null) continue;
                    try {
                        for (int d = -Math.max(rank, 1); d < Math.max(rank, 1); d++) {
                            Params p = new Params(null, false, d, 0, 0, 0);
                            String ctx = spec.name() + "(" + x + ", dim " + d + ")";
                            try (Tensor out = run(spec, c, ctx, rt, new Tensor[] {x.t()}, p)) {
                                if (out == null) continue;
                                double[] ref = new double[x.v().length];
                                double[] scale = new double[ref.length];
                                if (rank == 0) {
                                    double[] r = spec.rowMap().apply(new double[] {x.v()[0]});
                                    ref[0] = r[0];
                                } else {
                                    int dd = Math.floorMod(d, rank);
                                    int[] kept = shape.clone();
                                    kept[dd] = 1;
                                    for (int o = 0; o < numel(kept); o++) {
                                        int[] oi = unravel(o, kept);
                                        double[] row = new double[shape[dd]];
                                        int[] pos = new int[shape[dd]];
                                        for (int j = 0; j < row.length; j++) {
                                            oi[dd] = j;
                                            pos[j] = ravel(oi, shape);
                                            row[j] = x.v()[pos[j]];
                                        }
                                        double[] r = spec.rowMap().apply(row);
                                        for (int j = 0; j < row.length; j++) {
                                            ref[pos[j]] = r[j];
                                            scale[pos[j]] = spec.accumulates() ? 2 * maxAbs(row) + 1 : 0;
                                        }
                                    }
                                }
                                c.compare(ctx, out, rt, shape, ref, scale);
                            }
                        }
                    } finally {
                        closeAll(x);
                    }
                }
            }
        }
    }

    static final int[][][] MATMUL_SHAPES = {{{3}, {3}}, {{2, 3}, {3}}, {{3}, {3, 4}}, {{2, 3}, {3, 4}},
            {{5, 2, 3}, {3, 4}}, {{2, 3}, {5, 3, 4}}, {{2, 1, 2, 3}, {3, 3, 4}}, {{4}, {2, 4, 3}}, {{2, 3, 4}, {4}},
            {{2, 0}, {0, 3}}, {{0, 3}, {3, 2}}, {{0, 2, 3}, {3, 4}}, {{17, 33}, {33, 65}}, {{1, 5}, {5, 1}},
            {{3, 1}, {1, 4}}, {{2, 1, 9}, {1, 9, 7}}, {{0}, {0}},
            // multi-threaded paths: many small batched products, and products above the per-batch threshold
            {{512, 16, 16}, {512, 16, 16}}, {{2, 150, 100}, {100, 140}}};

    static void matmul(Spec spec, Checker c, SplittableRandom rng) {
        List<DType[]> pairs = new ArrayList<>();
        for (DType t : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.I8}) {
            pairs.add(new DType[] {t, t});
        }
        for (DType[] dt : pairs) {
            for (int[][] s : MATMUL_SHAPES) {
                boolean big = numel(s[0]) * numel(s[1]) > 1_000_000;
                if (big && dt[0] != DType.F32 && dt[0] != DType.BF16 && dt[0] != DType.F64) continue;
                for (Layout la : Layout.values()) {
                    if (big && la != Layout.CONTIGUOUS && la != Layout.TRANSPOSED) continue;
                    for (Layout lb : big ? new Layout[] {Layout.TRANSPOSED} : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STEPPED, la}) {
                        Input a = make(la, dt[0], Domain.ANY, s[0], rng);
                        Input b = make(lb, dt[1], Domain.ANY, s[1], rng);
                        if (a == null || b == null) {
                            closeAll(a, b);
                            continue;
                        }
                        String ctx = "matmul(" + a + ", " + b + ")";
                        try (Tensor out = run(spec, c, ctx, dt[0], new Tensor[] {a.t(), b.t()}, Params.NONE)) {
                            if (out == null) continue;
                            matmulRef(ctx, c, a, b, out, dt[0]);
                        } finally {
                            closeAll(a, b);
                        }
                    }
                }
            }
        }
    }

    /** Naive torch.matmul: vectors promoted to matrices, batch dims broadcast, added dims dropped. */
    static void matmulRef(String ctx, Checker c, Input a, Input b, Tensor out, DType rt) {
        int[] as = a.shape().length == 1 ? new int[] {1, a.shape()[0]} : a.shape();
        int[] bs = b.shape().length == 1 ? new int[] {b.shape()[0], 1} : b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        int[] ba = Arrays.copyOf(as, as.length - 2);
        int[] bb = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = broadcast(ba, bb);
        int nb = numel(batch);
        double[] ref = new double[nb * m * n];
        double[] scale = new double[ref.length];
        for (int bi = 0; bi < nb; bi++) {
            int[] idx = unravel(bi, batch);
            int aBase = broadcastIndex(idx, ba) * m * k;
            int bBase = broadcastIndex(idx, bb) * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = a.v()[aBase + i * k + p] * b.v()[bBase + p * n + j];
                        acc += t;
                        abs += Math.abs(t);
                    }
                    ref[(bi * m + i) * n + j] = acc;
                    scale[(bi * m + i) * n + j] = abs;
                }
            }
        }
        List<Integer> os = new ArrayList<>();
        for (int d : batch) os.add(d);
        if (a.shape().length > 1) os.add(m);
        if (b.shape().length > 1) os.add(n);
        c.compare(ctx, out, rt, os.stream().mapToInt(Integer::intValue).toArray(), ref, scale);
    }

    // ================================================================== special values

    static final double[] SPECIAL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1, -1,
            100, -100, 0.5};
    static final java.util.Set<String> NO_SPECIALS = java.util.Set.of("sign", "gelu", "geluTanh", "silu");

    /** NaN, ±inf and ±0 through every float op: NaN propagates, comparisons with NaN are false (ne true). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void specialValues(Spec spec) {
        Checker c = new Checker();
        for (DType t : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16}) {
            double[] v = new double[SPECIAL.length];
            for (int i = 0; i < v.length; i++) v[i] = roundTo(t, SPECIAL[i]);
            int n = v.length;
            String ctx = spec.name() + "(" + t + " specials)";
            switch (spec.family()) {
                case UNARY -> {
                    if (NO_SPECIALS.contains(spec.name())) return;
                    try (Tensor x = upload(t, v, new int[] {n}); Tensor out = spec.kiln().apply(new Tensor[] {x}, Params.NONE)) {
                        double[] ref = new double[n];
                        for (int i = 0; i < n; i++) ref[i] = spec.elem().apply(new double[] {v[i]}, Params.NONE);
                        c.compare(ctx, out, spec.resultType().of(new DType[] {t}), new int[] {n}, ref, null);
                    }
                }
                case BINARY -> {
                    if (spec.name().equals("pow")) return;
                    // every special against every special
                    double[] a = new double[n * n];
                    double[] b = new double[n * n];
                    for (int i = 0; i < n * n; i++) {
                        a[i] = v[i / n];
                        b[i] = v[i % n];
                    }
                    try (Tensor x = upload(t, a, new int[] {n * n}); Tensor y = upload(t, b, new int[] {n * n});
                         Tensor out = spec.kiln().apply(new Tensor[] {x, y}, Params.NONE)) {
                        double[] ref = new double[n * n];
                        for (int i = 0; i < n * n; i++) ref[i] = spec.elem().apply(new double[] {a[i], b[i]}, Params.NONE);
                        c.compare(ctx, out, spec.resultType().of(new DType[] {t, t}), new int[] {n * n}, ref, null);
                    }
                }
                case REDUCE, ARG_REDUCE, SOFTMAX -> {
                    // rows: [NaN, 1], [inf, 1], [-inf, 1], [-inf, -inf], [inf, -inf], [-0.0, 0.0], [100, -100]
                    double[][] rows = {{v[0], 1}, {v[1], 1}, {v[2], 1}, {v[2], v[2]}, {v[1], v[2]}, {v[3], v[4]}, {v[7], v[8]}};
                    double[] flat = new double[rows.length * 2];
                    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, 2 * i, 2);
                    Params p = spec.family() == Family.REDUCE ? new Params(new int[] {1}, false, null, 1, 0, 0)
                            : new Params(null, false, 1, 0, 0, 0);
                    try (Tensor x = upload(t, flat, new int[] {rows.length, 2});
                         Tensor out = spec.kiln().apply(new Tensor[] {x}, p)) {
                        if (spec.family() == Family.SOFTMAX) {
                            double[] ref = new double[flat.length];
                            for (int i = 0; i < rows.length; i++) System.arraycopy(spec.rowMap().apply(rows[i]), 0, ref, 2 * i, 2);
                            c.compare(ctx, out, t, new int[] {rows.length, 2}, ref, null);
                        } else {
                            double[] ref = new double[rows.length];
                            for (int i = 0; i < rows.length; i++) ref[i] = spec.row().apply(rows[i], p);
                            c.compare(ctx, out, spec.resultType().of(new DType[] {t}), new int[] {rows.length}, ref, null);
                        }
                    }
                }
                default -> {
                    return;
                }
            }
        }
        c.assertClean(spec.name() + " special values");
    }

    // ================================================================== dtype rejection that needs no spec loop

    @Test
    void largeInt64ComparisonsAreExact() {
        // 2^53 + 1 is not a double; comparing through double would call these equal.
        long big = (1L << 53) + 1;
        try (Tensor a = Tensor.fromArray(new long[] {big, big, Long.MAX_VALUE}, 3);
             Tensor b = Tensor.fromArray(new long[] {big - 1, big, Long.MAX_VALUE - 1}, 3);
             Tensor eq = a.eq(b); Tensor ne = a.ne(b); Tensor gt = a.gt(b); Tensor le = a.le(b)) {
            assertEquals("[false, true, false]", Arrays.toString(eq.toBooleanArray()));
            assertEquals("[true, false, true]", Arrays.toString(ne.toBooleanArray()));
            assertEquals("[true, false, true]", Arrays.toString(gt.toBooleanArray()));
            assertEquals("[false, true, false]", Arrays.toString(le.toBooleanArray()));
        }
    }

    @Test
    void matmulRejectsMixedAndBoolDtypes() {
        try (Tensor a = Tensor.zeros(DType.F32, 2, 3); Tensor b = Tensor.zeros(DType.F16, 3, 2);
             Tensor x = Tensor.zeros(DType.BOOL, 2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
            assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("F32") && e.getMessage().contains("F16"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> x.matmul(x));
            assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("BOOL"), e.getMessage());
        }
    }

    @Test
    void whereAndMaskedFillRequireBoolMasks() {
        try (Tensor c = Tensor.zeros(DType.I64, 3); Tensor a = Tensor.zeros(3); Tensor m = Tensor.zeros(DType.I8, 3);
             Tensor big = Tensor.zeros(DType.BOOL, 2, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.where(c, a, a));
            assertTrue(e.getMessage().startsWith("where:") && e.getMessage().contains("I64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> a.maskedFill(m, 1));
            assertTrue(e.getMessage().startsWith("maskedFill:") && e.getMessage().contains("I8"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> a.maskedFill(big, 1));
            assertTrue(e.getMessage().startsWith("maskedFill:") && e.getMessage().contains("[2, 3]")
                    && e.getMessage().contains("[3]"), e.getMessage());
        }
    }

    // ================================================================== shape and dim errors

    static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message \"" + e.getMessage() + "\" lacks \"" + p + "\"");
        }
    }

    @Test
    void shapeMismatchMessagesNameOpAndShapes() {
        try (Tensor a = Tensor.zeros(3, 2); Tensor b = Tensor.zeros(4); Tensor m1 = Tensor.zeros(2, 3);
             Tensor m2 = Tensor.zeros(4, 5); Tensor b1 = Tensor.zeros(2, 3, 4); Tensor b2 = Tensor.zeros(5, 4, 3);
             Tensor s = Tensor.scalar(1); Tensor v3 = Tensor.zeros(3); Tensor cond = Tensor.zeros(DType.BOOL, 3, 2)) {
            for (String op : new String[] {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "lt", "ge"}) {
                Runnable r = switch (op) {
                    case "add" -> () -> a.add(b);
                    case "sub" -> () -> a.sub(b);
                    case "mul" -> () -> a.mul(b);
                    case "div" -> () -> a.div(b);
                    case "pow" -> () -> a.pow(b);
                    case "maximum" -> () -> a.maximum(b);
                    case "minimum" -> () -> a.minimum(b);
                    case "eq" -> () -> a.eq(b);
                    case "lt" -> () -> a.lt(b);
                    default -> () -> a.ge(b);
                };
                assertMessage(r, op + ":", "[3, 2]", "[4]");
            }
            assertMessage(() -> Tensor.where(cond, a, b), "where:", "[4]");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m1.matmul(m2));
            assertEquals("matmul: shapes [2, 3] and [4, 5] are not compatible: 3 != 4", e.getMessage());
            assertMessage(() -> v3.matmul(m2), "matmul:", "[3]", "[4, 5]", "3 != 4");
            assertMessage(() -> b1.matmul(b2), "matmul:", "[2, 3, 4]", "[5, 4, 3]");
            assertMessage(() -> s.matmul(m1), "matmul:", "[]", "[2, 3]");
        }
    }

    @Test
    void badDimsAreRejectedNamingTheOp() {
        try (Tensor x = Tensor.zeros(2, 3)) {
            assertMessage(() -> x.sum(new int[] {2}, false), "sum:", "dimension 2");
            assertMessage(() -> x.mean(new int[] {-3}, true), "mean:", "dimension -3");
            assertMessage(() -> x.max(new int[] {0, 0}, false), "max:", "more than once");
            assertMessage(() -> x.sum(new int[] {1, -1}, false), "sum:", "more than once");
            assertMessage(() -> x.var(new int[] {5}, 1, false), "var:", "dimension 5");
            assertMessage(() -> x.logsumexp(new int[] {2}, false), "logsumexp:", "dimension 2");
            assertMessage(() -> x.argmax(2, false), "argmax:", "dimension 2");
            assertMessage(() -> x.argmin(-3, true), "argmin:", "dimension -3");
            assertMessage(() -> x.softmax(2), "softmax:", "dimension 2");
            assertMessage(() -> x.logSoftmax(-3), "logSoftmax:", "dimension -3");
            assertMessage(() -> x.var(new int[] {0}, -1, false), "var:", "correction");
            assertMessage(() -> x.clamp(1, 0), "clamp:");
        }
    }

    // ================================================================== the checks can fail

    @Test
    void comparisonRejectsPerturbedResultsAndWrongReferences() {
        SplittableRandom rng = new SplittableRandom(1);
        for (DType t : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16}) {
            Input x = make(Layout.CONTIGUOUS, t, Domain.ANY, new int[] {64}, rng);
            try (Tensor out = x.t().exp()) {
                double[] ref = new double[64];
                for (int i = 0; i < 64; i++) ref[i] = Math.exp(x.v()[i]);
                Checker ok = new Checker();
                ok.compare("exp", out, t, new int[] {64}, ref, null);
                assertTrue(ok.failures.isEmpty(), ok.failures.toString());

                // one element perturbed by 3 tolerances must be caught
                double[] wrong = ref.clone();
                wrong[17] += 3 * (atol(t) + eps(t) * Math.abs(ref[17]));
                Checker bad = new Checker();
                bad.compare("exp", out, t, new int[] {64}, wrong, null);
                assertEquals(1, bad.failures.size(), "a perturbed reference must fail for " + t);

                // wrong dtype and wrong shape are failures too
                Checker dt = new Checker();
                dt.compare("exp", out, t == DType.F32 ? DType.F16 : DType.F32, new int[] {64}, ref, null);
                assertEquals(1, dt.failures.size());
                Checker sh = new Checker();
                sh.compare("exp", out, t, new int[] {8, 8}, ref, null);
                assertEquals(1, sh.failures.size());
            } finally {
                closeAll(x);
            }
        }
        // an F64 result that went through float anywhere is rejected: F64's tolerance is ~1e-14
        Input x64 = make(Layout.CONTIGUOUS, DType.F64, Domain.ANY, new int[] {64}, rng);
        try (Tensor viaF32 = x64.t().to(DType.F32); Tensor e32 = viaF32.exp(); Tensor out = e32.to(DType.F64)) {
            double[] ref = new double[64];
            for (int i = 0; i < 64; i++) ref[i] = Math.exp(x64.v()[i]);
            Checker c = new Checker();
            c.compare("exp", out, DType.F64, new int[] {64}, ref, null);
            assertEquals(1, c.failures.size(), "an F32 computation must not pass as F64");
        } finally {
            closeAll(x64);
        }
        // a subtly wrong reference (tanh-GELU used for erf-GELU) is rejected at F32
        Input x = make(Layout.CONTIGUOUS, DType.F32, Domain.WIDE, new int[] {256}, rng);
        try (Tensor out = x.t().gelu()) {
            double[] ref = new double[256];
            for (int i = 0; i < 256; i++) {
                double v = x.v()[i];
                ref[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            }
            Checker c = new Checker();
            c.compare("gelu", out, DType.F32, new int[] {256}, ref, null);
            assertEquals(1, c.failures.size(), "the tanh approximation must not pass as erf-GELU at F32");
        } finally {
            closeAll(x);
        }
        assertThrows(AssertionError.class, () -> {
            Checker c = new Checker();
            c.fail("x");
            c.assertClean("deliberate");
        });
    }

    @Test
    void referenceErfIsAccurate() {
        // Known values (Abramowitz & Stegun table 7.1 / high-precision): erf(0.5), erf(1), erf(2), erf(3.5)
        assertEquals(0.5204998778130465, OpSpecs.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, OpSpecs.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, OpSpecs.erf(-2), 1e-15);
        assertEquals(0.9999992569016276, OpSpecs.erf(3.5), 1e-15);
        assertEquals(0, OpSpecs.erf(0), 0);
    }
}
