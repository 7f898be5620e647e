package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.ReduceOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row reductions and softmax over contiguous F64 rows, the double twin of {@link ReductionKernels}.
 *
 * <p>Sums are pairwise (halve the row until a block of {@link #BLOCK} is left, sum that with vector
 * accumulators), so rounding error grows like log(n)·eps rather than n·eps: a finite-difference
 * gradient check divides by h ≈ 1e-6 and amplifies every bit lost here.
 */
public final class DoubleReductionKernels {
    private static final VectorSpecies<Double> S = DoubleSpecies.PREFERRED;
    /** Rows at most this long are summed directly; 128 doubles is 1 KiB, well inside L1. */
    private static final int BLOCK = 128;

    private DoubleReductionKernels() {}

    /** Σ x[off, off+n), pairwise. */
    public static double sum(double[] x, int off, int n) {
        if (n > BLOCK) {
            int half = n >>> 1;
            return sum(x, off, half) + sum(x, off + half, n - half);
        }
        int i = 0;
        int bound = S.loopBound(n);
        double s = 0;
        if (bound > 0) {
            DoubleVector acc = DoubleVector.zero(S);
            for (; i < bound; i += S.length()) {
                acc = acc.add(DoubleVector.fromArray(S, x, off + i));
            }
            s = VectorMath.sum(acc);
        }
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** Σ (x[i] - mean)² over x[off, off+n), pairwise like {@link #sum}. */
    static double sumSquaredDeviations(double[] x, int off, int n, double mean) {
        if (n > BLOCK) {
            int half = n >>> 1;
            return sumSquaredDeviations(x, off, half, mean) + sumSquaredDeviations(x, off + half, n - half, mean);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    /** Largest element; NaN propagates (Math.max); -inf for an empty row. */
    public static double max(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    /** Smallest element; NaN propagates (Math.min); +inf for an empty row. */
    public static double min(double[] x, int off, int n) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.min(m, x[off + i]);
        }
        return m;
    }

    /** One output of a reduction over the contiguous row x[off, off+n). */
    public static double reduceRow(ReduceOp op, double[] x, int off, int n, int correction) {
        return switch (op) {
            case SUM -> sum(x, off, n);
            case MEAN -> n == 0 ? Double.NaN : sum(x, off, n) / n;
            case MAX -> max(x, off, n);
            case MIN -> min(x, off, n);
            case VAR -> {
                // Two passes (mean, then squared deviations): no cancellation, unlike E[x²] - E[x]².
                double mean = sum(x, off, n) / n;
                yield sumSquaredDeviations(x, off, n, mean) / Math.max(0, n - correction);
            }
            case LOGSUMEXP -> {
                if (n == 0) {
                    yield Double.NEGATIVE_INFINITY;
                }
                double m = max(x, off, n);
                if (Double.isInfinite(m) || Double.isNaN(m)) {
                    yield m; // all -inf gives -inf; any +inf gives +inf; NaN propagates
                }
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += Math.exp(x[off + i] - m); // every term in (0, 1], one of them 1: no overflow
                }
                yield m + Math.log(s);
            }
            default -> throw new IllegalArgumentException("reduceRow: " + op);
        };
    }

    /** Index of the first maximum (or minimum); a NaN counts as the extreme, as in torch. */
    public static long argExtreme(double[] x, int off, int n, boolean max) {
        int best = 0;
        double bv = x[off];
        if (Double.isNaN(bv)) {
            return 0;
        }
        for (int i = 1; i < n; i++) {
            double v = x[off + i];
            if (Double.isNaN(v)) {
                return i;
            }
            if (max ? v > bv : v < bv) {
                bv = v;
                best = i;
            }
        }
        return best;
    }

    /**
     * y = softmax(x) (or log_softmax) over one contiguous row: e = exp(x - max), y = e / Σe, or
     * log_softmax = (x - max) - log Σe, torch's definition (a row holding +inf, or only -inf, is NaN).
     */
    public static void softmaxRow(double[] x, int xo, double[] y, int yo, int n, boolean log) {
        if (n == 0) {
            return;
        }
        double m = max(x, xo, n);
        if (m == Double.NEGATIVE_INFINITY) {
            m = 0; // an all -inf row: exp(-inf - 0) = 0, 0/0 = NaN as torch gives; keep -inf - -inf out
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[xo + i] - m);
            if (!log) {
                y[yo + i] = e;
            }
            s += e;
        }
        if (log) {
            double logS = Math.log(s);
            for (int i = 0; i < n; i++) {
                y[yo + i] = (x[xo + i] - m) - logS;
            }
        } else {
            for (int i = 0; i < n; i++) {
                y[yo + i] /= s; // a division, not a multiply by 1/s: one rounding instead of two
            }
        }
    }
}
