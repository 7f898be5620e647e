package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F64 elementwise kernels over runs, the double twin of {@link ElementwiseKernels}: {@code n}
 * elements from an offset with stride 1 (vectorised where it cannot change a bit) or any other
 * stride (scalar; 0 is a broadcast scalar).
 *
 * <p>Only correctly rounded lanewise operations (neg, abs, max, sqrt, + - * /) are vectorised, so
 * every result is bit-identical at every vector width and equal to the scalar definition. The
 * transcendental functions use {@link Math}'s (within 1 ulp), not the Vector API's SVML intrinsics
 * (whose double accuracy is a few ulp and differs by width): F64 exists for gradient checks and
 * golden tests, where exact reproducibility matters more than throughput.
 */
public final class DoubleElementwiseKernels {
    private static final VectorSpecies<Double> S = DoubleSpecies.PREFERRED;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);

    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private DoubleElementwiseKernels() {}

    /** out[o + i] = op(x[xo + i]) for i in [0, n) (contiguous run). */
    public static void unary(UnaryOp op, double[] x, int xo, double[] out, int o, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        switch (op) {
            case NEG -> { for (; i < bound; i += S.length()) DoubleVector.fromArray(S, x, xo + i).neg().intoArray(out, o + i); }
            case ABS -> { for (; i < bound; i += S.length()) DoubleVector.fromArray(S, x, xo + i).abs().intoArray(out, o + i); }
            case SQRT -> { for (; i < bound; i += S.length()) DoubleVector.fromArray(S, x, xo + i).sqrt().intoArray(out, o + i); }
            default -> { } // scalar below (RELU too: the scalar form pins relu(-0.0) and NaN exactly)
        }
        for (; i < n; i++) {
            out[o + i] = scalar(op, x[xo + i]);
        }
    }

    /** The scalar definition of each op in double precision. */
    public static double scalar(UnaryOp op, double v) {
        return switch (op) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SIGN -> Double.isNaN(v) ? v : Math.signum(v);
            case RELU -> Double.isNaN(v) ? v : Math.max(v, 0.0);
            case EXP -> Math.exp(v);
            case LOG -> Math.log(v);
            case LOG1P -> Math.log1p(v);
            case SQRT -> Math.sqrt(v);
            case RSQRT -> 1 / Math.sqrt(v);
            case TANH -> Math.tanh(v);
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case SILU -> v / (1 + Math.exp(-v));
            case GELU_TANH -> 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
            // x·Φ(x) = x/2 · erfc(-x/√2): erfc keeps full relative accuracy in the far-negative tail,
            // where 1 + erf(x/√2) would cancel to a handful of bits.
            case GELU_ERF -> 0.5 * v * Erf.erfc(-v * INV_SQRT_2);
            case SIN -> Math.sin(v);
            case COS -> Math.cos(v);
            case ERF -> Erf.erf(v);
        };
    }

    /**
     * out[o + i] = gelu'(x[xo + i]) = Φ(x) + x·φ(x) for i in [0, n) (contiguous run): the exact GELU's
     * derivative, its backward in one pass instead of a dozen.
     */
    public static void geluErfDerivative(double[] x, int xo, double[] out, int o, int n) {
        int i = 0;
        for (; i < n; i++) {
            out[o + i] = geluErfDerivative(x[xo + i]);
        }
    }

    public static double geluErfDerivative(double v) {
        return 0.5 * Erf.erfc(-v * INV_SQRT_2) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
    }

    /**
     * out[o + i] = op(a[ao + i*as], b[bo + i*bs]) for i in [0, n); strides 1 and 0 are vectorised.
     * Comparisons are not handled here (they produce BOOL).
     */
    public static void binary(BinaryOp op, double[] a, int ao, int as, double[] b, int bo, int bs,
                              double[] out, int o, int n) {
        binary(Arithmetic.of(op), a, ao, as, b, bo, bs, out, o, n);
    }

    /**
     * ReLU's backward: out[o + i] = x[xo + i*xs] > 0 ? g[go + i*gs] : 0 for i in [0, n), g the incoming
     * gradient and x ReLU's input (the subgradient at 0 is 0; a NaN input blocks the gradient).
     */
    public static void reluBackward(double[] g, int go, int gs, double[] x, int xo, int xs, double[] out, int o, int n) {
        binary(Arithmetic.RELU_BACKWARD, g, go, gs, x, xo, xs, out, o, n);
    }

    private static void binary(Arithmetic op, double[] a, int ao, int as, double[] b, int bo, int bs,
                               double[] out, int o, int n) {
        int i = 0;
        // One loop per operand layout (contiguous or broadcast scalar): a vector that is either
        // loaded or a hoisted broadcast, chosen per iteration through a nullable local, made C2 on
        // JDK 25 emit a halting path (a JVM crash, "DEBUG MESSAGE"), so the cases stay separate.
        if (op != Arithmetic.POW && (as == 1 || as == 0) && (bs == 1 || bs == 0)) {
            int bound = S.loopBound(n);
            if (as == 1 && bs == 1) {
                for (; i < bound; i += S.length()) {
                    apply(op, DoubleVector.fromArray(S, a, ao + i), DoubleVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
                }
            } else if (as == 0 && bs == 1) {
                DoubleVector va = DoubleVector.broadcast(S, a[ao]);
                for (; i < bound; i += S.length()) {
                    apply(op, va, DoubleVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
                }
            } else if (as == 1) {
                DoubleVector vb = DoubleVector.broadcast(S, b[bo]);
                for (; i < bound; i += S.length()) {
                    apply(op, DoubleVector.fromArray(S, a, ao + i), vb).intoArray(out, o + i);
                }
            }
        }
        for (; i < n; i++) {
            out[o + i] = scalar(op, a[ao + i * as], b[bo + i * bs]);
        }
    }

    private static DoubleVector apply(Arithmetic op, DoubleVector va, DoubleVector vb) {
        return switch (op) {
            case ADD -> va.add(vb);
            case SUB -> va.sub(vb);
            case MUL -> va.mul(vb);
            case DIV -> va.div(vb);
            case MAXIMUM -> va.max(vb);
            case MINIMUM -> va.min(vb);
            case RELU_BACKWARD -> va.blend(0d, vb.compare(VectorOperators.GT, 0d).not());
            case POW -> throw new IllegalArgumentException("binary kernel: POW has no vector form");
        };
    }

    /** ReLU's backward of one element: g where x > 0, else 0. */
    public static double reluBackward(double g, double x) {
        return scalar(Arithmetic.RELU_BACKWARD, g, x);
    }

    /** The scalar definition of each arithmetic op (also used for tails and strided runs). */
    public static double scalar(BinaryOp op, double x, double y) {
        return scalar(Arithmetic.of(op), x, y);
    }

    private static double scalar(Arithmetic op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case RELU_BACKWARD -> y > 0 ? x : 0d;
        };
    }
}
