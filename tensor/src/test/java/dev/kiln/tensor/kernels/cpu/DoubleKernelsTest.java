package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.ops.ReduceOp;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The F64 kernels against definitions: erf/erfc against a 130-digit BigDecimal Maclaurin series,
 * double-to-half rounding against the midpoints of every half interval, the GEMM row forms and the
 * pairwise sum against naive loops / exact BigDecimal sums. Runs at every vector width (pom).
 */
class DoubleKernelsTest {
    private static final MathContext MC = new MathContext(130);
    private static final BigDecimal PI = new BigDecimal("3.14159265358979323846264338327950288419716939937510"
            + "58209749445923078164062862089986280348253421170679821480865");
    private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.TWO.divide(PI.sqrt(MC), MC);

    /** erf(x) = 2/√π Σ (-1)ⁿ x^(2n+1) / (n!(2n+1)) in 130-digit arithmetic: exact enough for x <= 10. */
    static BigDecimal erfExact(double x) {
        BigDecimal bx = new BigDecimal(x);
        BigDecimal x2 = bx.multiply(bx, MC);
        BigDecimal power = bx; // (-1)^n x^(2n+1) / n!
        BigDecimal sum = bx;
        BigDecimal tiny = new BigDecimal("1e-125");
        for (int n = 1; n < 5000; n++) {
            power = power.multiply(x2, MC).divide(BigDecimal.valueOf(-n), MC);
            BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(tiny) < 0 && n > x * x) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI.multiply(sum, MC);
    }

    static double ulpsOff(double got, BigDecimal want) {
        double w = want.doubleValue();
        return new BigDecimal(got).subtract(want, MC).abs().doubleValue() / Math.ulp(w);
    }

    @Test
    void erfIsWithinTwoUlpOfTheExactSeries() {
        SplittableRandom rng = new SplittableRandom(11);
        double worst = 0;
        double worstAt = 0;
        for (int i = 0; i < 600; i++) {
            double x = i < 300 ? -6.5 + 13.0 * i / 300 : (rng.nextBoolean() ? 1 : -1) * rng.nextDouble() * rng.nextDouble() * 6.5;
            double u = ulpsOff(Erf.erf(x), erfExact(x));
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
        }
        for (double x : new double[] {1e-300, -1e-20, 1e-8, 0.25, 1.4999999999999998, 1.5, 1.9999999999999998, 2, 5.9, 6}) {
            double u = ulpsOff(Erf.erf(x), erfExact(x));
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
        }
        assertTrue(worst <= 2, "erf is " + worst + " ulp off at x = " + worstAt);
    }

    @Test
    void erfcIsWithinFourUlpRelativeInItsTail() {
        double worst = 0;
        double worstAt = 0;
        for (int i = 0; i <= 170; i++) {
            double x = 1.5 + 8.5 * i / 170; // [1.5, 10]: erfc down to 2e-45, where 1 - erf would be 0
            double u = ulpsOff(Erf.erfc(x), BigDecimal.ONE.subtract(erfExact(x), MC));
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
            // the negative side: erfc(-x) = 1 + erf(x), near 2
            double v = ulpsOff(Erf.erfc(-x), BigDecimal.ONE.add(erfExact(x), MC));
            if (v > worst) {
                worst = v;
                worstAt = -x;
            }
        }
        for (double x : new double[] {-1.2, -0.3, 0, 0.7, 1.4}) { // 1 - erf: a few bits lost at most, absolute error tiny
            double want = BigDecimal.ONE.subtract(erfExact(x), MC).doubleValue();
            assertEquals(want, Erf.erfc(x), 3e-16, "erfc(" + x + ")");
        }
        assertTrue(worst <= 4, "erfc is " + worst + " ulp off at x = " + worstAt);
    }

    @Test
    void erfSpecialValues() {
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Erf.erf(-0.0)));
        assertEquals(0.0, Erf.erf(0.0));
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
        assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(1.0, Erf.erfc(0));
        assertTrue(Double.isNaN(Erf.erfc(Double.NaN)));
        assertEquals(Double.MIN_NORMAL * 2 / Math.sqrt(Math.PI), Erf.erf(Double.MIN_NORMAL), 0.0);
    }

    // ---------------------------------------------------------------- double -> half rounding

    /**
     * Every finite half interval [h, next(h)]: its exact midpoint must round to the even end, and
     * the doubles just below and above it to the near end. Double rounding through float breaks
     * the "just above/below" cases (the float of those is the midpoint itself).
     */
    @Test
    void f64ToF16RoundsOnceAtEveryMidpoint() {
        for (int bits = 0; bits < 0x7C00; bits++) { // +0 .. largest finite
            double lo = Float.float16ToFloat((short) bits);
            double hi = bits == 0x7BFF ? 65536.0 : Float.float16ToFloat((short) (bits + 1)); // 65536: "next" past max
            double mid = (lo + hi) / 2; // exact in double
            short even = (short) ((bits & 1) == 0 ? bits : bits + 1);
            checkF16(mid, even);
            checkF16(Math.nextDown(mid), (short) bits);
            checkF16(Math.nextUp(mid), (short) (bits + 1));
            checkF16(-Math.nextUp(mid), (short) ((bits + 1) | 0x8000));
            checkF16(lo, (short) bits);
        }
        checkF16(1e300, (short) 0x7C00);
        checkF16(Double.NEGATIVE_INFINITY, (short) 0xFC00);
        checkF16(-0.0, (short) 0x8000);
        checkF16(Double.MIN_VALUE, (short) 0);
        assertTrue(Float.isNaN(Float.float16ToFloat(HalfConversions.f64ToF16(Double.NaN))));
    }

    private static void checkF16(double d, short want) {
        assertEquals(want, HalfConversions.f64ToF16(d), () -> "f64ToF16(" + d + ")");
    }

    @Test
    void f64ToBf16RoundsOnceAtEveryMidpoint() {
        for (int bits = 0; bits < 0x7F80; bits++) {
            double lo = Float.intBitsToFloat(bits << 16);
            double hi = bits == 0x7F7F ? 0x1p128 : Float.intBitsToFloat((bits + 1) << 16);
            double mid = (lo + hi) / 2;
            short even = (short) ((bits & 1) == 0 ? bits : bits + 1);
            checkBf16(mid, even);
            checkBf16(Math.nextDown(mid), (short) bits);
            checkBf16(Math.nextUp(mid), (short) (bits + 1));
            checkBf16(-Math.nextUp(mid), (short) ((bits + 1) | 0x8000));
            checkBf16(lo, (short) bits);
        }
        checkBf16(1e300, (short) 0x7F80);
        checkBf16(-0.0, (short) 0x8000);
        checkBf16(Double.MIN_VALUE, (short) 0);
        assertTrue(Float.isNaN(Float.intBitsToFloat(HalfConversions.f64ToBf16(Double.NaN) << 16)));
    }

    private static void checkBf16(double d, short want) {
        assertEquals(want, HalfConversions.f64ToBf16(d), () -> "f64ToBf16(" + d + ")");
    }

    // ---------------------------------------------------------------- GEMM rows and sums

    @Test
    void gemmRowFormsMatchANaiveLoop() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int[] mnk : new int[][] {{1, 1, 1}, {3, 5, 7}, {4, 17, 33}, {2, 64, 9}, {5, 3, 100}, {1, 0, 4}}) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            double[] a = new double[m * k + 3];
            double[] b = new double[k * n + 5];
            for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-2, 2);
            for (int i = 0; i < b.length; i++) b[i] = rng.nextDouble(-2, 2);
            // B row-major (axpy form), B column-major with A rows contiguous (dot form), A column-major (generic)
            int[][] layouts = {{k, 1, n, 1}, {k, 1, 1, k}, {1, m, 1, k}};
            for (int[] l : layouts) {
                int aRow = l[0];
                int aStep = l[1];
                int bRow = l[2];
                int bCol = l[3];
                double[] c = new double[m * n + 2];
                for (int i = 0; i < m; i++) {
                    DoubleGemm.row(a, 3 + i * aRow, aStep, b, 5, bRow, bCol, k, n, c, 1 + i * n);
                }
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double want = 0;
                        double abs = 0;
                        for (int p = 0; p < k; p++) {
                            double t = a[3 + i * aRow + p * aStep] * b[5 + p * bRow + j * bCol];
                            want += t;
                            abs += Math.abs(t);
                        }
                        assertEquals(want, c[1 + i * n + j], 2 * k * 0x1p-53 * abs, "m,n,k=" + m + "," + n + "," + k
                                + " layout " + java.util.Arrays.toString(l) + " at " + i + "," + j);
                    }
                }
                assertEquals(0.0, c[0]);
            }
        }
    }

    @Test
    void pairwiseSumErrorStaysNearLogN() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 100_003;
        double[] x = new double[n + 2];
        BigDecimal exact = BigDecimal.ZERO;
        double abs = 0;
        for (int i = 0; i < n; i++) {
            x[i + 2] = rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-3, 4));
            exact = exact.add(new BigDecimal(x[i + 2]));
            abs += Math.abs(x[i + 2]);
        }
        double got = DoubleReductionKernels.sum(x, 2, n);
        double err = Math.abs(new BigDecimal(got).subtract(exact).doubleValue());
        // pairwise: about log2(n) roundings per term at worst (17 here), far below the naive n·eps bound
        assertTrue(err <= 20 * 0x1p-53 * abs, "pairwise sum error " + err + " vs Σ|x| = " + abs);
        assertEquals(exact.doubleValue() / n, DoubleReductionKernels.reduceRow(ReduceOp.MEAN, x, 2, n, 0), 20 * 0x1p-53 * abs / n);
    }

    @Test
    void varianceHasNoCancellation() {
        // E[x²] - E[x]² would lose everything here; two passes give the exact 1.0 (F32 cannot even hold the data).
        double[] x = {1e9 + 1, 1e9 + 2, 1e9 + 3};
        assertEquals(1.0, DoubleReductionKernels.reduceRow(ReduceOp.VAR, x, 0, 3, 1), 0.0);
        assertEquals(2.0 / 3, DoubleReductionKernels.reduceRow(ReduceOp.VAR, x, 0, 3, 0), 1e-16);
    }
}
