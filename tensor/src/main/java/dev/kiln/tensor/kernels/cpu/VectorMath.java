package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp and tanh on float vectors from plain lanewise arithmetic, so that a kernel gives the same
 * bits whether it runs interpreted or compiled. The Vector API's own {@code lanewise(EXP)} and
 * {@code lanewise(TANH)} do not: the interpreter's fallback and the JIT's intrinsic (a vector math
 * library) round differently (32 of 4096 lanes differed, measured), so a training run's losses
 * depended on when the JIT compiled what — run to run, and between tests sharing a JVM.
 *
 * <p>exp: {@code exp(x) = 2^n · exp(r)}, n = round(x·log2 e) by the 1.5·2^23 shift trick,
 * r = x − n·ln 2 in two parts (Cody–Waite), exp(r) a degree-6 polynomial on |r| ≤ ln2/2, and 2^n
 * applied as two exponent-field multiplications so subnormal results come out right. tanh: an odd
 * polynomial up to |x| = 0.55, {@code 1 − 2/(exp(2|x|) + 1)} beyond. Coefficients from
 * {@code tensor/src/test/python/vector_math_coefficients.py}; both within 2 ulp of the correctly
 * rounded result on the tested ranges ({@code VectorMathTest}).
 */
public final class VectorMath {
    private static final float LOG2E = 1.44269504f;
    private static final float SHIFTER = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    private static final float LN2_HI = 0.693359375f; // few mantissa bits: n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float EXP_MIN = -104f; // exp below rounds to 0 in float
    private static final float EXP_MAX = 89f;   // exp above overflows to infinity
    private static final float TANH_SMALL = 0.55f;

    private VectorMath() {}

    /** e^x per lane; NaN stays NaN, -∞ gives 0, +∞ gives +∞. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX); // NaN passes through max/min
        FloatVector t = xc.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        FloatVector p = r.fma(0.0013751407386735082f, 0.008368915878236294f)
                .fma(r, FloatVector.broadcast(x.species(), 0.04166953265666962f))
                .fma(r, FloatVector.broadcast(x.species(), 0.166665181517601f))
                .fma(r, FloatVector.broadcast(x.species(), 0.49999988079071045f))
                .fma(r, FloatVector.broadcast(x.species(), 1f))
                .fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector k = t.reinterpretAsInts().sub(SHIFTER_BITS); // n as an integer, in [-150, 128]
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** tanh(x) per lane; odd, NaN stays NaN, ±∞ gives ±1. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector s = x.mul(x);
        FloatVector q = s.fma(0.002401634817942977f, -0.008419361896812916f)
                .fma(s, FloatVector.broadcast(x.species(), 0.021784715354442596f))
                .fma(s, FloatVector.broadcast(x.species(), -0.05395995453000069f))
                .fma(s, FloatVector.broadcast(x.species(), 0.13333295285701752f))
                .fma(s, FloatVector.broadcast(x.species(), -0.3333333134651184f));
        FloatVector small = x.mul(s.fma(q, FloatVector.broadcast(x.species(), 1f))); // x·(1 + x²Q): keeps tanh(-0) = -0
        FloatVector e = exp(a.min(44f).mul(2f)); // tanh is 1 in float well before 44
        FloatVector large = FloatVector.broadcast(x.species(), -2f).div(e.add(1f)).add(1f);
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        return large.blend(small, a.compare(VectorOperators.LE, TANH_SMALL));
    }

    /** 1 / (1 + e^-x) per lane. */
    public static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    /**
     * The sum of the lanes, added first to last. {@code reduceLanes(ADD)} may associate the adds
     * differently interpreted and compiled (and did: a GEMM gave different bits cold and warm).
     */
    public static float sum(FloatVector v) {
        return sum(v, new float[v.length()]);
    }

    /** {@link #sum(FloatVector)} through a caller's scratch array of at least {@code v.length()} floats (no allocation in a loop). */
    public static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (int i = 0; i < v.length(); i++) {
            s += lanes[i];
        }
        return s;
    }

    /** {@link #sum(FloatVector)} for doubles. */
    public static double sum(jdk.incubator.vector.DoubleVector v) {
        double[] lanes = new double[v.length()];
        v.intoArray(lanes, 0);
        double s = 0;
        for (double lane : lanes) {
            s += lane;
        }
        return s;
    }
}
