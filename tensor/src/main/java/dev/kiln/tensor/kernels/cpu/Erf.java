package dev.kiln.tensor.kernels.cpu;

/**
 * The error function and its complement in double precision (the JDK has neither). {@link #erf}
 * is within 2 ulp everywhere and {@link #erfc} within 2 ulp relative for x &ge; 1.5, where its
 * values are small (measured against 40-digit mpmath; DoubleKernelsTest checks both against a
 * 130-digit series). F64 kernels use both directly; F32 kernels round the double result once.
 *
 * <p>Two classical expansions, each used where it converges fast and loses little to rounding:
 * <ul>
 *   <li>|x| &lt; 1.5: the Maclaurin series (Abramowitz &amp; Stegun 7.1.5; DLMF 7.6.1)
 *       erf(x) = 2/√π · Σ (-1)ⁿ x^(2n+1) / (n! (2n+1)). The largest term is under 1.2 there, so the
 *       alternating sum cancels away at most a couple of bits, which compensated summation recovers.
 *   <li>x &ge; 1.5: Laplace's continued fraction for erfc (A&amp;S 7.1.14; DLMF 7.9.2)
 *       erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from a
 *       fixed depth backwards (no division by a small number: every partial denominator exceeds x).
 *       120 levels reach full double precision from x = 1.5 and 60 from x = 2 (measured). e^(-x²)
 *       is taken as e^(-hi)·e^(-lo) with x² = hi + lo split exactly (Dekker): the rounding of x²
 *       alone would cost a relative x²·2⁻⁵³ (≈ 4e-15 at x = 6).
 * </ul>
 * erfc(x) beyond 27 underflows to 0; erf(x) beyond 6 is ±1 to double precision (erfc(6) ≈ 2e-17).
 */
public final class Erf {
    /** 2/√π = 1.128379167095512573896158903121545... (the nearest double). */
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    /** 1/√π = 0.564189583547756286948079451560772... */
    private static final double INV_SQRT_PI = 0.5641895835477563;
    /** Below this the Maclaurin series, above it the continued fraction. */
    private static final double SERIES_LIMIT = 1.5;

    private Erf() {}

    /** erf(x); odd (erf(-0.0) is -0.0), erf(±inf) = ±1, NaN gives NaN. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r;
        if (ax < SERIES_LIMIT) {
            r = series(ax);
        } else if (ax < 6) {
            r = 1 - continuedFraction(ax);
        } else {
            r = 1;
        }
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 - erf(x), without the cancellation of that difference for x &ge; 1.5. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x >= SERIES_LIMIT) {
            return x > 27 ? 0 : continuedFraction(x);
        }
        if (x <= -SERIES_LIMIT) {
            return x < -6 ? 2 : 2 - continuedFraction(-x);
        }
        // |x| < 1.5: erfc >= 0.034, so 1 - erf loses at most ~5 bits relative (none absolute).
        return 1 - series(Math.abs(x)) * Math.signum(x);
    }

    /**
     * The Maclaurin series for 0 &le; ax &lt; 1.5, summed with Neumaier's compensation: the terms
     * alternate and the partial sums round at every step, which cost up to ~4 ulp near 1.5 without
     * it and ~1.3 ulp with it (measured against 40-digit mpmath).
     */
    private static double series(double ax) {
        double x2 = ax * ax;
        double term = ax;
        double sum = ax;
        double compensation = 0;
        for (int n = 1; n < 60; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            double t = sum + add;
            compensation += Math.abs(sum) >= Math.abs(add) ? (sum - t) + add : (add - t) + sum;
            sum = t;
            if (Math.abs(add) <= 1e-17 * sum) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * (sum + compensation);
    }

    /** erfc(x) for x in [1.5, 27]. */
    private static double continuedFraction(double x) {
        int depth = x < 2 ? 120 : 60;
        double f = x;
        for (int k = depth; k >= 1; k--) {
            f = x + (k * 0.5) / f;
        }
        // Dekker's exact square (Veltkamp split into 26-bit halves), not Math.fma: the JDK's fma is a
        // BigDecimal computation on CPUs without the instruction, and F32 GELU calls this per element.
        double c = 134217729.0 * x; // 2^27 + 1
        double xh = c - (c - x);
        double xl = x - xh;
        double hi = x * x;
        double lo = ((xh * xh - hi) + 2 * xh * xl) + xl * xl;
        return Math.exp(-hi) * Math.exp(-lo) * INV_SQRT_PI / f;
    }

    // ---- float-precision versions for the F32 (and half) kernels -------------------------------

    /**
     * erfc(x) to float precision: the Chebyshev-fitted form of Numerical Recipes ("erfcc", Press et
     * al., 2nd ed., §6.2), erfc(z) = t·exp(-z² - 1.26551223 + t·P(t)) with t = 1/(1 + z/2), whose
     * fractional error is below 1.2e-7 for every z ≥ 0 — about 2 float ulps, also where erfc is
     * tiny. Evaluated in double: one exp and nine multiply-adds instead of the double-precision
     * series, which made F32 GELU the hottest kernel of a transformer.
     */
    public static double erfcForFloat(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double p = -0.82215223 + t * 0.17087277;
        p = 1.48851587 + t * p;
        p = -1.13520398 + t * p;
        p = 0.27886807 + t * p;
        p = -0.18628806 + t * p;
        p = 0.09678418 + t * p;
        p = 0.37409196 + t * p;
        p = 1.00002368 + t * p;
        double r = t * Math.exp(-z * z - 1.26551223 + t * p);
        return x >= 0 ? r : 2 - r;
    }

    /**
     * erf(x) to float precision: the Maclaurin series (8 terms, error below 1e-9 relative) for
     * |x| &lt; 0.5, else 1 - {@link #erfcForFloat}, where erf ≥ 0.52 keeps the relative error below
     * 1.2e-7.
     */
    public static double erfForFloat(double x) {
        double ax = Math.abs(x);
        if (ax < 0.5) {
            double x2 = x * x;
            // 2/sqrt(pi) * x * sum_{n<8} (-x^2)^n / (n! (2n+1)), Horner form
            double s = -1.0 / (5040 * 15);
            s = 1.0 / (720 * 13) + x2 * s;
            s = -1.0 / (120 * 11) + x2 * s;
            s = 1.0 / (24 * 9) + x2 * s;
            s = -1.0 / (6 * 7) + x2 * s;
            s = 1.0 / (2 * 5) + x2 * s;
            s = -1.0 / 3 + x2 * s;
            s = 1.0 + x2 * s;
            return TWO_OVER_SQRT_PI * x * s;
        }
        if (Double.isNaN(x)) {
            return x;
        }
        return Math.copySign(1 - erfcForFloat(ax), x);
    }
}
