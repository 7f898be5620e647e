package dev.kiln.eval.metrics;

/**
 * Sums in numpy's order. {@code np.sum}, {@code np.mean} and {@code np.average} on a float64 array
 * use pairwise summation (blocks of 128 summed with eight interleaved accumulators, larger arrays
 * split in halves), so following the same order gives the reference's bits, not just its value:
 * that matters where scikit-learn compares a computed sum with zero, e.g. R² of a constant target
 * whose mean does not round back to the constant. Pairwise summation is also more accurate than a
 * plain loop (error growing with log n rather than n).
 */
final class NumpySum {
    private static final int BLOCK = 128;   // numpy's PW_BLOCKSIZE

    private NumpySum() {}

    static double sum(double[] a) {
        return sum(a, 0, a.length);
    }

    /** numpy's {@code pairwise_sum_DOUBLE} over {@code a[from, from + n)}. */
    static double sum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        if (n <= BLOCK) {
            double r0 = a[from], r1 = a[from + 1], r2 = a[from + 2], r3 = a[from + 3];
            double r4 = a[from + 4], r5 = a[from + 5], r6 = a[from + 6], r7 = a[from + 7];
            int i = 8;
            for (; i < n - (n % 8); i += 8) {
                r0 += a[from + i];
                r1 += a[from + i + 1];
                r2 += a[from + i + 2];
                r3 += a[from + i + 3];
                r4 += a[from + i + 4];
                r5 += a[from + i + 5];
                r6 += a[from + i + 6];
                r7 += a[from + i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        int half = n / 2;
        half -= half % 8;
        return sum(a, from, half) + sum(a, from + half, n - half);
    }

    static double mean(double[] a) {
        return sum(a) / a.length;
    }

    /**
     * {@code np.average(a, weights=w)}: {@code sum(a * w) / sum(w)}, or the mean when {@code w} is
     * null. numpy raises ZeroDivisionError when the weights sum to zero; so does this, as an
     * IllegalArgumentException naming {@code fn}.
     */
    static double average(String fn, double[] a, double[] w) {
        if (w == null) {
            return mean(a);
        }
        double scale = sum(w);
        if (scale == 0.0) {
            throw new IllegalArgumentException(fn + ": the weights sum to zero, so the weighted average is undefined"
                    + " (numpy: 'Weights sum to zero, can't be normalized')");
        }
        double[] product = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            product[i] = a[i] * w[i];
        }
        return sum(product) / scale;
    }

    /** A plain left-to-right sum, the order of {@code np.dot}, {@code np.bincount} and cumulative sums. */
    static double sequentialDot(double[] a, double[] w) {
        double s = 0.0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * w[i];
        }
        return s;
    }
}
