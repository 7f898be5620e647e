package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * erf, the exact (erf) GELU and its derivative on float vectors. The Vector API has no erf, and the
 * scalar double-precision path ({@link Erf}) made GELU 40% of a GPT forward pass (measured on the
 * reference model); these run the whole vector at once with float polynomials.
 *
 * <p>Two fits (coefficients from {@code tensor/src/test/python/erf_coefficients.py}: weighted
 * least squares for relative error, float32 Horner error below 2e-7 in both):
 * <ul>
 *   <li>{@code erf(x) = x·P(x²)} for {@code |x| <= 1};
 *   <li>{@code erfc(t) = exp(-t²)/t · Q(1/t)} for {@code 1 <= t <= 10}, with {@code exp(-t²)}
 *       taken as {@code exp(-hi)·(1 - lo)} where {@code hi + lo = t²} exactly (an FMA), since
 *       rounding t² alone would cost up to 5e-6 relative at t = 9. Beyond t = 10 erfc is below
 *       the smallest float, so 0.
 * </ul>
 * GELU uses erfc on the negative side ({@code x·Φ(x) = x·erfc(-x/√2)/2}), so it keeps its relative
 * accuracy where Φ is tiny instead of cancelling in {@code 1 + erf}. NaN gives NaN; the infinities
 * follow the scalar definitions ({@code gelu(-∞)} is NaN, as {@code -∞·0} in torch).
 */
final class VectorErf {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float ERFC_ZERO_BEYOND = 10f;

    private VectorErf() {}

    private static FloatVector erfSmallPoly(FloatVector s) {
        return s.fma(-0.0005625396152026951f, 0.004916023463010788f)
                .fma(s, FloatVector.broadcast(S, -0.02670994959771633f))
                .fma(s, FloatVector.broadcast(S, 0.11280130594968796f))
                .fma(s, FloatVector.broadcast(S, -0.37612318992614746f))
                .fma(s, FloatVector.broadcast(S, 1.1283791065216064f));
    }

    private static FloatVector erfcLargePoly(FloatVector u) {
        return u.fma(-0.04480389505624771f, 0.21680748462677002f)
                .fma(u, FloatVector.broadcast(S, -0.35930460691452026f))
                .fma(u, FloatVector.broadcast(S, 0.04057277739048004f))
                .fma(u, FloatVector.broadcast(S, 0.7280293107032776f))
                .fma(u, FloatVector.broadcast(S, -1.193063735961914f))
                .fma(u, FloatVector.broadcast(S, 0.8313813209533691f))
                .fma(u, FloatVector.broadcast(S, -0.08376718312501907f))
                .fma(u, FloatVector.broadcast(S, -0.27177926898002625f))
                .fma(u, FloatVector.broadcast(S, -0.0006980277830734849f))
                .fma(u, FloatVector.broadcast(S, 0.5642094016075134f));
    }

    /**
     * exp(-k·x²) for k = 1 or 1/2 (NaN passes through), with x² split exactly into hi + lo so that
     * neither rounding x² nor, for GELU, rounding x/√2 costs accuracy (either would cost up to 1e-5
     * relative at the far end: the exponent is ~85 there). 0 where {@code k·x² > 100}: past erfc's
     * last float the products it enters are zero anyway (and {@code ∞·0} stays NaN as in the
     * scalar definitions).
     */
    private static FloatVector expNegSquare(FloatVector x, float k) {
        float limit = (float) Math.sqrt(ERFC_ZERO_BEYOND * ERFC_ZERO_BEYOND / k);
        FloatVector a = x.abs();
        FloatVector c = a.min(limit);
        FloatVector hi = c.mul(c);
        FloatVector lo = c.fma(c, hi.neg()); // c·c - hi, exact
        return VectorMath.exp(hi.mul(-k)).mul(lo.mul(-k).add(1f))
                .blend(0f, a.compare(VectorOperators.GT, limit));
    }

    /**
     * erfc(a) for a >= 0 (NaN passes through): 1 - a·P(a²) up to 1, the large-argument fit above,
     * 0 past 10. {@code expNegSq} is exp(-a²) (callers that need it too pass it in).
     */
    private static FloatVector erfcOfAbs(FloatVector a, FloatVector expNegSq) {
        VectorMask<Float> small = a.compare(VectorOperators.LE, 1f);
        FloatVector fromSmall = a.mul(erfSmallPoly(a.mul(a))).neg().add(1f);
        FloatVector clamped = a.max(1f).min(ERFC_ZERO_BEYOND); // keeps 1/a and the polynomial finite
        FloatVector fromLarge = expNegSq.mul(erfcLargePoly(FloatVector.broadcast(S, 1f).div(clamped)))
                .div(clamped);
        return fromLarge.blend(fromSmall, small);
    }

    /** out[o + i] = erf(x[xo + i]) over the whole vectors of [0, n); returns where it stopped. */
    static int erf(float[] x, int xo, float[] out, int o, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.abs();
            VectorMask<Float> small = a.compare(VectorOperators.LE, 1f);
            FloatVector fromSmall = v.mul(erfSmallPoly(v.mul(v)));
            FloatVector fromLarge = erfcOfAbs(a, expNegSquare(v, 1f)).neg().add(1f); // erf(|x|)
            fromLarge = fromLarge.blend(fromLarge.neg(), v.compare(VectorOperators.LT, 0f));
            fromLarge.blend(fromSmall, small).intoArray(out, o + i);
        }
        return i;
    }

    /** Φ(x) from a = |x|/√2 and exp(-a²) (= exp(-x²/2), which the derivative needs too). */
    private static FloatVector phi(FloatVector v, FloatVector a, FloatVector expNegSq) {
        FloatVector halfErfc = erfcOfAbs(a, expNegSq).mul(0.5f);
        // x >= 0: Φ = 1 - erfc(|z|)/2; x < 0: Φ = erfc(|z|)/2 (NaN compares false: stays NaN)
        return halfErfc.neg().add(1f).blend(halfErfc, v.compare(VectorOperators.LT, 0f));
    }

    /** out = x·Φ(x) (erf GELU) over the whole vectors of [0, n); returns where it stopped. */
    static int gelu(float[] x, int xo, float[] out, int o, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.mul(INV_SQRT_2).abs();
            v.mul(phi(v, a, expNegSquare(v, 0.5f))).intoArray(out, o + i);
        }
        return i;
    }

    /** out = Φ(x) + x·φ(x), the derivative of x·Φ(x), over the whole vectors of [0, n). */
    static int geluDerivative(float[] x, int xo, float[] out, int o, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.mul(INV_SQRT_2).abs();
            FloatVector e = expNegSquare(v, 0.5f); // exp(-x²/2) = exp(-a²)
            phi(v, a, e).add(v.mul(e).mul(INV_SQRT_2PI)).intoArray(out, o + i);
        }
        return i;
    }
}
