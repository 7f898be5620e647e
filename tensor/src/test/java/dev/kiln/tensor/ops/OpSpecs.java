package dev.kiln.tensor.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The op-spec registry that drives {@link OpConformanceTest}: one entry per Kiln op, with how to call
 * it, an independent double-precision reference computed from plain arrays, the dtypes it accepts
 * (and those it must reject), and the result dtype torch's promotion rules give.
 *
 * <p>References never call Kiln: erf is this file's own series and continued fraction (evaluated
 * differently from Kiln's kernel), dtype promotion is this file's own
 * table, and half rounding is done by the test harness with the JDK's {@code Float.floatToFloat16}
 * and a hand-written bf16 round-to-nearest-even.
 */
final class OpSpecs {
    private OpSpecs() {}

    /** Which harness drives the spec (how inputs are shaped and how the reference is applied). */
    enum Family { UNARY, BINARY, CLAMP, WHERE, MASKED_FILL, REDUCE, ARG_REDUCE, SOFTMAX, MATMUL }

    /** Value ranges for generated inputs (floats; integer dtypes use the integral version). */
    enum Domain {
        ANY(-3, 3), WIDE(-8, 8), POSITIVE(0.05, 10), LOG1P(-0.9, 10), DENOM(0.5, 3), POW_BASE(0.25, 3),
        POW_EXP(-2, 2), DISCRETE(-2, 2), SMALL_INT_EXP(0, 4);

        final double lo;
        final double hi;

        Domain(double lo, double hi) {
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** Extra arguments: reduction dims, keepdim, a single dim, var correction, clamp bounds / fill value. */
    record Params(int[] dims, boolean keepdim, Integer dim, int correction, double s0, double s1) {
        static final Params NONE = new Params(null, false, null, 0, Double.NaN, Double.NaN);

        @Override
        public String toString() {
            return "dims=" + (dims == null ? "null" : java.util.Arrays.toString(dims)) + " keepdim=" + keepdim
                    + " dim=" + dim + " correction=" + correction + " s0=" + s0 + " s1=" + s1;
        }
    }

    @FunctionalInterface
    interface Call {
        Tensor apply(Tensor[] in, Params p);
    }

    /** Elementwise reference: one output value from one value per input. */
    @FunctionalInterface
    interface ElemRef {
        double apply(double[] args, Params p);
    }

    /** Reduction reference over one row of reduced values (row-major order of the reduced dims). */
    @FunctionalInterface
    interface RowRef {
        double apply(double[] row, Params p);
    }

    /** Softmax-style reference: a row in, a row out. */
    @FunctionalInterface
    interface RowMap {
        double[] apply(double[] row);
    }

    /** Result dtype for the input dtypes (torch rules); null when the op must reject them. */
    @FunctionalInterface
    interface ResultType {
        DType of(DType[] in);
    }

    static final Set<DType> ALL = EnumSet.allOf(DType.class);
    static final Set<DType> FLOATS = EnumSet.of(DType.F64, DType.F32, DType.F16, DType.BF16);
    static final Set<DType> NUMERIC = EnumSet.of(DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32,
            DType.I8);
    static final Set<DType> INTS_AND_BOOL = EnumSet.of(DType.I64, DType.I32, DType.I8, DType.BOOL);

    record Spec(String name, Family family, int arity, Set<DType> accepts, Set<DType> rejects, Domain[] domains,
                Call kiln, ElemRef elem, RowRef row, RowMap rowMap, ResultType resultType,
                /* true: reduction tolerance scales with sum|x| of the row (sum/mean/var...) */ boolean accumulates) {
        @Override
        public String toString() {
            return name;
        }
    }

    // ------------------------------------------------------------------ independent dtype rules (torch)

    private static int category(DType t) {
        return t == DType.BOOL ? 0 : (t == DType.I8 || t == DType.I32 || t == DType.I64) ? 1 : 2;
    }

    private static int width(DType t) {
        return switch (t) {
            case BOOL, I8 -> 1;
            case F16, BF16 -> 2;
            case I32, F32 -> 4;
            case I64, F64 -> 8;
        };
    }

    static boolean isFloat(DType t) {
        return category(t) == 2;
    }

    /** torch.result_type for two tensors of the same rank class. */
    static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (category(a) != category(b)) {
            return category(a) > category(b) ? a : b;
        }
        if (isFloat(a) && width(a) == 2 && width(b) == 2) {
            return DType.F32; // f16 with bf16
        }
        return width(a) >= width(b) ? a : b;
    }

    private static final ResultType FLOAT_UNARY = in -> isFloat(in[0]) ? in[0] : DType.F32;
    private static final ResultType SAME = in -> in[0];
    private static final ResultType ARITH = in -> promote(in[0], in[1]);
    private static final ResultType TRUE_DIV = in -> {
        DType p = promote(in[0], in[1]);
        return isFloat(p) ? p : DType.F32;
    };
    private static final ResultType NO_BOOL_PAIR = in -> {
        DType p = promote(in[0], in[1]);
        return p == DType.BOOL ? null : p;
    };
    private static final ResultType COMPARE = in -> DType.BOOL;
    private static final ResultType FLOAT_ONLY = in -> isFloat(in[0]) ? in[0] : null;

    // ------------------------------------------------------------------ independent math

    /**
     * erf: for |x| < 3 the all-positive series erf(x) = 2/sqrt(pi) · exp(-x²) · Σ 2ⁿ x^(2n+1) /
     * (1·3·…·(2n+1)) (A&S 7.1.6), which has no cancellation (unlike the alternating Maclaurin series
     * Kiln uses); beyond, 1 - {@link #erfc}. A few ulp everywhere; ±1 to double precision past 6.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax >= 3) {
            return Math.copySign(ax > 6 ? 1 : 1 - erfc(ax), x);
        }
        double term = ax;
        double sum = ax;
        double x2 = ax * ax;
        for (int n = 1; n < 400; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-18 * sum) {
                break;
            }
        }
        double r = 2 / Math.sqrt(Math.PI) * expMinusSquare(ax) * sum;
        return Math.copySign(Math.min(r, 1), x);
    }

    /**
     * erfc: for x >= 1.5 Laplace's continued fraction erfc(x) = exp(-x²)/sqrt(pi) · 1/(x+ (1/2)/(x+
     * 1/(x+ (3/2)/(x+ ...)))) (A&S 7.1.14), evaluated forwards by the modified Lentz method until it
     * converges (Kiln evaluates it backwards from a fixed depth); 1 - erf(x) below 1.5 (where erfc
     * >= 0.034, so the difference loses under 5 bits), 2 - erfc(-x) for negative x.
     */
    static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x < 1.5) {
            return 1 - erf(x);
        }
        if (x > 27) {
            return 0;
        }
        double tiny = 1e-300;
        double f = x;
        double c = f;
        double d = 0;
        for (int j = 1; j < 1000; j++) {
            double a = j / 2.0;
            d = x + a * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = x + a / c;
            if (Math.abs(c) < tiny) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 4e-16) { // within 2 ulp of 1: converged
                break;
            }
        }
        return expMinusSquare(x) / Math.sqrt(Math.PI) / f;
    }

    /** exp(-x²) with x² split exactly (x² = hi + lo by an FMA): rounding x² alone costs x²·2⁻⁵³ relative. */
    private static double expMinusSquare(double x) {
        double hi = x * x;
        double lo = Math.fma(x, x, -hi);
        return Math.exp(-hi) * Math.exp(-lo);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    // ------------------------------------------------------------------ the registry

    static List<Spec> all() {
        List<Spec> s = new ArrayList<>();
        Domain[] any = {Domain.ANY};
        // unary: float ops widen ints/bool to F32; neg/abs/sign/relu keep integer dtypes (bool rejected).
        s.add(unary("neg", Tensor::neg, x -> -x, NUMERIC, SAME, any));
        s.add(unary("abs", Tensor::abs, Math::abs, NUMERIC, SAME, any));
        s.add(unary("sign", Tensor::sign, Math::signum, NUMERIC, SAME, any));
        s.add(unary("relu", Tensor::relu, x -> Math.max(x, 0), NUMERIC, SAME, any));
        s.add(unary("exp", Tensor::exp, Math::exp, ALL, FLOAT_UNARY, new Domain[] {Domain.WIDE}));
        s.add(unary("log", Tensor::log, Math::log, ALL, FLOAT_UNARY, new Domain[] {Domain.POSITIVE}));
        s.add(unary("log1p", Tensor::log1p, Math::log1p, ALL, FLOAT_UNARY, new Domain[] {Domain.LOG1P}));
        s.add(unary("sqrt", Tensor::sqrt, Math::sqrt, ALL, FLOAT_UNARY, new Domain[] {Domain.POSITIVE}));
        s.add(unary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), ALL, FLOAT_UNARY, new Domain[] {Domain.POSITIVE}));
        s.add(unary("tanh", Tensor::tanh, Math::tanh, ALL, FLOAT_UNARY, new Domain[] {Domain.WIDE}));
        s.add(unary("sigmoid", Tensor::sigmoid, OpSpecs::sigmoid, ALL, FLOAT_UNARY, new Domain[] {Domain.WIDE}));
        // x·Φ(x) through erfc: full relative accuracy in the far-negative tail, which F64 is checked at.
        s.add(unary("gelu", Tensor::gelu, x -> 0.5 * x * erfc(-x / Math.sqrt(2)), ALL, FLOAT_UNARY,
                new Domain[] {Domain.WIDE}));
        s.add(unary("geluDerivative", Tensor::geluDerivative,
                x -> 0.5 * erfc(-x / Math.sqrt(2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI), ALL, FLOAT_UNARY,
                new Domain[] {Domain.WIDE}));
        s.add(unary("geluTanh", Tensor::geluTanh,
                x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), ALL, FLOAT_UNARY,
                new Domain[] {Domain.WIDE}));
        s.add(unary("silu", Tensor::silu, x -> x * sigmoid(x), ALL, FLOAT_UNARY, new Domain[] {Domain.WIDE}));
        s.add(unary("sin", Tensor::sin, Math::sin, ALL, FLOAT_UNARY, any));
        s.add(unary("cos", Tensor::cos, Math::cos, ALL, FLOAT_UNARY, any));
        s.add(unary("erf", Tensor::erf, OpSpecs::erf, ALL, FLOAT_UNARY, new Domain[] {Domain.WIDE}));

        // Python-scalar operands (tensor op double): the scalar does not widen the tensor's dtype, except
        // that a fractional scalar turns an integer/bool tensor into F32 and any integral scalar turns
        // a bool tensor into I64; true division always gives a float; comparisons give BOOL.
        ResultType fracScalar = in -> isFloat(in[0]) ? in[0] : DType.F32;
        ResultType intScalar = in -> in[0] == DType.BOOL ? DType.I64 : in[0];
        s.add(unary("add(2.5)", x -> x.add(2.5), x -> x + 2.5, ALL, fracScalar, any));
        s.add(unary("sub(1)", x -> x.sub(1), x -> x - 1, ALL, intScalar, any));
        s.add(unary("mul(-3)", x -> x.mul(-3), x -> x * -3, ALL, intScalar, any));
        s.add(unary("div(2)", x -> x.div(2), x -> x / 2, ALL, fracScalar, any));
        s.add(unary("pow(2)", x -> x.pow(2), x -> x * x, ALL, intScalar, any));
        s.add(unary("gt(0.5)", x -> x.gt(0.5), x -> x > 0.5 ? 1 : 0, ALL, COMPARE, any));
        s.add(unary("lt(1)", x -> x.lt(1), x -> x < 1 ? 1 : 0, ALL, COMPARE, any));
        s.add(unary("eq(1)", x -> x.eq(1), x -> x == 1 ? 1 : 0, ALL, COMPARE, any));

        Domain[] two = {Domain.ANY, Domain.ANY};
        s.add(binary("add", (a, b) -> a.add(b), (x, y) -> x + y, ALL, ARITH, two));
        s.add(binary("sub", (a, b) -> a.sub(b), (x, y) -> x - y, ALL, NO_BOOL_PAIR, two));
        s.add(binary("mul", (a, b) -> a.mul(b), (x, y) -> x * y, ALL, ARITH, two));
        s.add(binary("div", (a, b) -> a.div(b), (x, y) -> x / y, ALL, TRUE_DIV, new Domain[] {Domain.ANY, Domain.DENOM}));
        s.add(binary("pow", (a, b) -> a.pow(b), Math::pow, NUMERIC, NO_BOOL_PAIR,
                new Domain[] {Domain.POW_BASE, Domain.POW_EXP}));
        s.add(binary("maximum", (a, b) -> a.maximum(b), Math::max, ALL, ARITH, new Domain[] {Domain.DISCRETE, Domain.DISCRETE}));
        s.add(binary("minimum", (a, b) -> a.minimum(b), Math::min, ALL, ARITH, new Domain[] {Domain.DISCRETE, Domain.DISCRETE}));
        s.add(binary("reluBackward", (a, b) -> a.reluBackward(b), (x, y) -> y > 0 ? x : 0, NUMERIC, NO_BOOL_PAIR,
                new Domain[] {Domain.ANY, Domain.DISCRETE}));
        Domain[] disc = {Domain.DISCRETE, Domain.DISCRETE};
        s.add(binary("eq", (a, b) -> a.eq(b), (x, y) -> x == y ? 1 : 0, ALL, COMPARE, disc));
        s.add(binary("ne", (a, b) -> a.ne(b), (x, y) -> x != y ? 1 : 0, ALL, COMPARE, disc));
        s.add(binary("lt", (a, b) -> a.lt(b), (x, y) -> x < y ? 1 : 0, ALL, COMPARE, disc));
        s.add(binary("le", (a, b) -> a.le(b), (x, y) -> x <= y ? 1 : 0, ALL, COMPARE, disc));
        s.add(binary("gt", (a, b) -> a.gt(b), (x, y) -> x > y ? 1 : 0, ALL, COMPARE, disc));
        s.add(binary("ge", (a, b) -> a.ge(b), (x, y) -> x >= y ? 1 : 0, ALL, COMPARE, disc));

        s.add(new Spec("clamp", Family.CLAMP, 1, NUMERIC, EnumSet.of(DType.BOOL), any,
                (in, p) -> in[0].clamp(p.s0(), p.s1()),
                (v, p) -> {
                    double x = v[0];
                    if (!Double.isNaN(p.s0())) x = Math.max(x, p.s0());
                    if (!Double.isNaN(p.s1())) x = Math.min(x, p.s1());
                    return x;
                }, null, null, SAME, false));
        s.add(new Spec("where", Family.WHERE, 3, ALL, EnumSet.noneOf(DType.class),
                new Domain[] {Domain.ANY, Domain.ANY, Domain.ANY},
                (in, p) -> Tensor.where(in[0], in[1], in[2]), (v, p) -> v[0] != 0 ? v[1] : v[2], null, null,
                in -> promote(in[1], in[2]), false));
        s.add(new Spec("maskedFill", Family.MASKED_FILL, 2, ALL, EnumSet.noneOf(DType.class), two,
                (in, p) -> in[0].maskedFill(in[1], p.s0()), (v, p) -> v[1] != 0 ? p.s0() : v[0], null, null,
                SAME, false));

        // reductions
        s.add(reduce("sum", (x, p) -> x[0].sum(p.dims(), p.keepdim()), (r, p) -> sum(r), ALL,
                in -> isFloat(in[0]) ? in[0] : DType.I64, true));
        s.add(reduce("mean", (x, p) -> x[0].mean(p.dims(), p.keepdim()), (r, p) -> sum(r) / r.length, FLOATS,
                FLOAT_ONLY, true));
        s.add(reduce("max", (x, p) -> x[0].max(p.dims(), p.keepdim()), (r, p) -> extreme(r, true), NUMERIC, SAME, false));
        s.add(reduce("min", (x, p) -> x[0].min(p.dims(), p.keepdim()), (r, p) -> extreme(r, false), NUMERIC, SAME, false));
        s.add(reduce("var", (x, p) -> x[0].var(p.dims(), p.correction(), p.keepdim()), (r, p) -> var(r, p.correction()),
                FLOATS, FLOAT_ONLY, true));
        s.add(reduce("std", (x, p) -> x[0].std(p.dims(), p.correction(), p.keepdim()),
                (r, p) -> Math.sqrt(var(r, p.correction())), FLOATS, FLOAT_ONLY, true));
        s.add(reduce("logsumexp", (x, p) -> x[0].logsumexp(p.dims(), p.keepdim()), (r, p) -> logsumexp(r), FLOATS,
                FLOAT_ONLY, true));
        s.add(new Spec("argmax", Family.ARG_REDUCE, 1, NUMERIC, EnumSet.of(DType.BOOL), new Domain[] {Domain.DISCRETE},
                (in, p) -> p.dim() == null ? in[0].argmax() : in[0].argmax(p.dim(), p.keepdim()), null,
                (r, p) -> argExtreme(r, true), null, in -> DType.I64, false));
        s.add(new Spec("argmin", Family.ARG_REDUCE, 1, NUMERIC, EnumSet.of(DType.BOOL), new Domain[] {Domain.DISCRETE},
                (in, p) -> p.dim() == null ? in[0].argmin() : in[0].argmin(p.dim(), p.keepdim()), null,
                (r, p) -> argExtreme(r, false), null, in -> DType.I64, false));
        s.add(new Spec("softmax", Family.SOFTMAX, 1, FLOATS, INTS_AND_BOOL, new Domain[] {Domain.WIDE},
                (in, p) -> in[0].softmax(p.dim()), null, null, r -> softmax(r, false), SAME, false));
        s.add(new Spec("logSoftmax", Family.SOFTMAX, 1, FLOATS, INTS_AND_BOOL, new Domain[] {Domain.WIDE},
                (in, p) -> in[0].logSoftmax(p.dim()), null, null, r -> softmax(r, true), SAME, true));
        s.add(new Spec("matmul", Family.MATMUL, 2, NUMERIC, EnumSet.of(DType.BOOL), two,
                (in, p) -> in[0].matmul(in[1]), null, null, null, SAME, true));
        return s;
    }

    private static Spec unary(String name, java.util.function.UnaryOperator<Tensor> f,
                              java.util.function.DoubleUnaryOperator ref, Set<DType> accepts, ResultType rt,
                              Domain[] domains) {
        Set<DType> rejects = EnumSet.complementOf(EnumSet.copyOf(accepts));
        return new Spec(name, Family.UNARY, 1, accepts, rejects, domains, (in, p) -> f.apply(in[0]),
                (v, p) -> ref.applyAsDouble(v[0]), null, null, rt, false);
    }

    private static Spec binary(String name, java.util.function.BinaryOperator<Tensor> f,
                               java.util.function.DoubleBinaryOperator ref, Set<DType> accepts, ResultType rt,
                               Domain[] domains) {
        // BOOL pairs are rejected only where torch rejects them (sub, pow).
        Set<DType> rejects = rt == NO_BOOL_PAIR ? EnumSet.of(DType.BOOL) : EnumSet.noneOf(DType.class);
        return new Spec(name, Family.BINARY, 2, accepts, rejects, domains, (in, p) -> f.apply(in[0], in[1]),
                (v, p) -> ref.applyAsDouble(v[0], v[1]), null, null, rt, false);
    }

    private static Spec reduce(String name, Call call, RowRef ref, Set<DType> accepts, ResultType rt, boolean acc) {
        Set<DType> rejects = EnumSet.noneOf(DType.class);
        for (DType t : DType.values()) {
            if (!accepts.contains(t) && rt.of(new DType[] {t}) == null) {
                rejects.add(t);
            }
        }
        return new Spec(name, Family.REDUCE, 1, accepts, rejects, new Domain[] {Domain.ANY}, call, null, ref, null, rt, acc);
    }

    // ------------------------------------------------------------------ naive row references

    static double sum(double[] r) {
        double s = 0;
        for (double v : r) {
            s += v;
        }
        return s;
    }

    static double extreme(double[] r, boolean max) {
        double m = r[0];
        for (double v : r) {
            if (Double.isNaN(v)) {
                return v;
            }
            m = max ? Math.max(m, v) : Math.min(m, v);
        }
        return m;
    }

    static double var(double[] r, int correction) {
        if (r.length == 0) {
            return Double.NaN;
        }
        double mean = sum(r) / r.length;
        double ss = 0;
        for (double v : r) {
            ss += (v - mean) * (v - mean);
        }
        return ss / Math.max(0, r.length - correction); // torch: n <= correction gives NaN/inf
    }

    static double logsumexp(double[] r) {
        if (r.length == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        double m = extreme(r, true);
        if (Double.isInfinite(m) || Double.isNaN(m)) {
            return m; // all -inf gives -inf, any +inf gives +inf (torch)
        }
        double s = 0;
        for (double v : r) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    /** First index of the max (min); a NaN counts as the extreme, as in torch. */
    static double argExtreme(double[] r, boolean max) {
        int best = 0;
        for (int i = 0; i < r.length; i++) {
            if (Double.isNaN(r[i])) {
                return i;
            }
        }
        for (int i = 1; i < r.length; i++) {
            if (max ? r[i] > r[best] : r[i] < r[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * torch's definition: e = exp(x - max), softmax = e / Σe, logSoftmax = x - max - log Σe. So a row
     * holding +inf, or only -inf, is all NaN (inf - inf), unlike the mathematical limit.
     */
    static double[] softmax(double[] r, boolean log) {
        if (r.length == 0) {
            return new double[0];
        }
        double m = extreme(r, true);
        double s = 0;
        for (double v : r) {
            s += Math.exp(v - m);
        }
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = log ? r[i] - m - Math.log(s) : Math.exp(r[i] - m) / s;
        }
        return out;
    }
}
