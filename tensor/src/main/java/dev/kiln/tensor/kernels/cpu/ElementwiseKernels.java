package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 elementwise kernels over runs: {@code n} elements starting at an offset with a stride of 1
 * (vectorised) or anything else (scalar). A stride of 0 is a broadcast scalar and is vectorised too.
 * The transcendental lanewise ops (EXP, TANH, ...) are the JDK's SVML-backed intrinsics, accurate
 * to about 1 ulp.
 */
public final class ElementwiseKernels {
    static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));

    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private ElementwiseKernels() {}

    /** out[o + i] = op(x[xo + i]) for i in [0, n) (contiguous run). */
    public static void unary(UnaryOp op, float[] x, int xo, float[] out, int o, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        switch (op) {
            case NEG -> { for (; i < bound; i += S.length()) FloatVector.fromArray(S, x, xo + i).neg().intoArray(out, o + i); }
            case ABS -> { for (; i < bound; i += S.length()) FloatVector.fromArray(S, x, xo + i).abs().intoArray(out, o + i); }
            case RELU -> { for (; i < bound; i += S.length()) FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(out, o + i); }
            case EXP -> { for (; i < bound; i += S.length()) VectorMath.exp(FloatVector.fromArray(S, x, xo + i)).intoArray(out, o + i); }
            case SQRT -> { for (; i < bound; i += S.length()) FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(out, o + i); }
            case TANH -> { for (; i < bound; i += S.length()) VectorMath.tanh(FloatVector.fromArray(S, x, xo + i)).intoArray(out, o + i); }
            case SIGMOID -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.sigmoid(v).intoArray(out, o + i);
                }
            }
            case SILU -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.div(VectorMath.exp(v.neg()).add(1f)).intoArray(out, o + i);
                }
            }
            case GELU_TANH -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI);
                    v.mul(0.5f).mul(VectorMath.tanh(inner).add(1f)).intoArray(out, o + i);
                }
            }
            case ERF -> i = VectorErf.erf(x, xo, out, o, n);
            case GELU_ERF -> i = VectorErf.gelu(x, xo, out, o, n);
            // SIGN, RSQRT; LOG, LOG1P, SIN, COS too: the Vector API's lanewise versions round differently
            // interpreted and compiled (see VectorMath), the scalar Math ones do not
            default -> { }
        }
        for (; i < n; i++) {
            out[o + i] = scalar(op, x[xo + i]);
        }
    }

    /** The scalar definition of each op (also used for tails and strided runs). */
    public static float scalar(UnaryOp op, float v) {
        return switch (op) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SIGN -> Float.isNaN(v) ? v : Math.signum(v);
            case RELU -> Float.isNaN(v) ? v : Math.max(v, 0f);
            case EXP -> (float) Math.exp(v);
            case LOG -> (float) Math.log(v);
            case LOG1P -> (float) Math.log1p(v);
            case SQRT -> (float) Math.sqrt(v);
            case RSQRT -> (float) (1 / Math.sqrt(v));
            case TANH -> (float) Math.tanh(v);
            case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
            case SILU -> (float) (v / (1 + Math.exp(-v)));
            case GELU_TANH -> (float) (0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
            case GELU_ERF -> (float) (0.5 * v * Erf.erfcForFloat(-v * INV_SQRT_2)); // x * Phi(x), accurate for x << 0 too
            case SIN -> (float) Math.sin(v);
            case COS -> (float) Math.cos(v);
            case ERF -> (float) Erf.erfForFloat(v);
        };
    }

    /**
     * out[o + i] = gelu'(x[xo + i]) = Φ(x) + x·φ(x) for i in [0, n) (contiguous run): the exact GELU's
     * derivative, its backward in one pass instead of a dozen.
     */
    public static void geluErfDerivative(float[] x, int xo, float[] out, int o, int n) {
        int i = VectorErf.geluDerivative(x, xo, out, o, n);
        for (; i < n; i++) {
            out[o + i] = geluErfDerivative(x[xo + i]);
        }
    }

    public static float geluErfDerivative(float v) {
        return (float) (0.5 * Erf.erfcForFloat(-v * INV_SQRT_2) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI);
    }

    /**
     * out[o + i] = op(a[ao + i*as], b[bo + i*bs]) for i in [0, n); strides 1 and 0 are vectorised.
     * Comparisons are not handled here (they produce BOOL).
     */
    public static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs,
                              float[] out, int o, int n) {
        binary(Arithmetic.of(op), a, ao, as, b, bo, bs, out, o, n);
    }

    /**
     * ReLU's backward: out[o + i] = x[xo + i*xs] > 0 ? g[go + i*gs] : 0 for i in [0, n), g the incoming
     * gradient and x ReLU's input (the subgradient at 0 is 0; a NaN input blocks the gradient).
     */
    public static void reluBackward(float[] g, int go, int gs, float[] x, int xo, int xs, float[] out, int o, int n) {
        binary(Arithmetic.RELU_BACKWARD, g, go, gs, x, xo, xs, out, o, n);
    }

    private static void binary(Arithmetic op, float[] a, int ao, int as, float[] b, int bo, int bs,
                               float[] out, int o, int n) {
        int i = 0;
        // One loop per operand layout (contiguous or broadcast scalar): a vector that is either
        // loaded or a hoisted broadcast, chosen per iteration through a nullable local, made C2 on
        // JDK 25 emit a halting path (a JVM crash, "DEBUG MESSAGE"), so the cases stay separate.
        if (op != Arithmetic.POW && (as == 1 || as == 0) && (bs == 1 || bs == 0)) {
            int bound = S.loopBound(n);
            if (as == 1 && bs == 1) {
                for (; i < bound; i += S.length()) {
                    apply(op, FloatVector.fromArray(S, a, ao + i), FloatVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
                }
            } else if (as == 0 && bs == 1) {
                FloatVector va = FloatVector.broadcast(S, a[ao]);
                for (; i < bound; i += S.length()) {
                    apply(op, va, FloatVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
                }
            } else if (as == 1) {
                FloatVector vb = FloatVector.broadcast(S, b[bo]);
                for (; i < bound; i += S.length()) {
                    apply(op, FloatVector.fromArray(S, a, ao + i), vb).intoArray(out, o + i);
                }
            }
        }
        for (; i < n; i++) {
            out[o + i] = scalar(op, a[ao + i * as], b[bo + i * bs]);
        }
    }

    private static FloatVector apply(Arithmetic op, FloatVector va, FloatVector vb) {
        return switch (op) {
            case ADD -> va.add(vb);
            case SUB -> va.sub(vb);
            case MUL -> va.mul(vb);
            case DIV -> va.div(vb);
            case MAXIMUM -> va.max(vb);
            case MINIMUM -> va.min(vb);
            case RELU_BACKWARD -> va.blend(0f, vb.compare(VectorOperators.GT, 0f).not());
            case POW -> throw new IllegalArgumentException("binary kernel: POW has no vector form");
        };
    }

    /** ReLU's backward of one element: g where x > 0, else 0. */
    public static float reluBackward(float g, float x) {
        return scalar(Arithmetic.RELU_BACKWARD, g, x);
    }

    /** The scalar definition of each arithmetic op (also used for tails and strided runs). */
    public static float scalar(BinaryOp op, float x, float y) {
        return scalar(Arithmetic.of(op), x, y);
    }

    private static float scalar(Arithmetic op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> (float) Math.pow(x, y);
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case RELU_BACKWARD -> y > 0 ? x : 0f;
        };
    }
}
