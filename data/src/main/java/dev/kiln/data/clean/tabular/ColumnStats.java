package dev.kiln.data.clean.tabular;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Statistics of a numeric column that skip missing values (NaN): mean, median, mode, standard
 * deviation and quantiles by linear interpolation — numpy's default ({@code method="linear"},
 * Hyndman and Fan's type 7). Each returns NaN when no value is present.
 */
public final class ColumnStats {
    private ColumnStats() {}

    /** The non-missing values, sorted ascending. */
    public static double[] presentSorted(double[] values) {
        double[] out = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        Arrays.sort(out);
        return out;
    }

    /** The arithmetic mean of the non-missing values (Kahan-compensated, so long columns do not drift). */
    public static double mean(double[] values) {
        double sum = 0;
        double compensation = 0;
        int n = 0;
        for (double v : values) {
            if (Double.isNaN(v)) {
                continue;
            }
            double y = v - compensation;
            double t = sum + y;
            compensation = (t - sum) - y;
            sum = t;
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * The standard deviation of the non-missing values with {@code ddof} degrees of freedom
     * removed: 0 for the population formula (numpy's and {@code scipy.stats.zscore}'s default), 1
     * for the sample formula (pandas' default). NaN when fewer than {@code ddof + 1} values.
     */
    public static double std(double[] values, int ddof) {
        double mean = mean(values);
        int n = 0;
        double ss = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                ss += (v - mean) * (v - mean);
                n++;
            }
        }
        return n - ddof <= 0 ? Double.NaN : Math.sqrt(ss / (n - ddof));
    }

    /** The median: the middle value, or the mean of the two middle values for an even count. */
    public static double median(double[] values) {
        return quantile(values, 0.5);
    }

    /**
     * The {@code q}-quantile by linear interpolation between order statistics: with the n sorted
     * values x[0..n), h = (n − 1)·q and the result x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) — what
     * {@code numpy.quantile(x, q)} returns.
     */
    public static double quantile(double[] values, double q) {
        return quantileOfSorted(presentSorted(values), q);
    }

    /** {@link #quantile} of values already sorted and free of NaN. */
    public static double quantileOfSorted(double[] sorted, double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("ColumnStats.quantile: q must be in [0, 1], got " + q);
        }
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        double h = (n - 1) * q;
        int lo = (int) Math.floor(h);
        if (lo >= n - 1) {
            return sorted[n - 1];
        }
        double frac = h - lo;
        // numpy's _lerp form, exact at both ends: a + t(b − a), switching to b − (1 − t)(b − a) past t = 0.5
        double a = sorted[lo];
        double b = sorted[lo + 1];
        double diff = b - a;
        return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
    }

    /** The most frequent non-missing value; among equally frequent values the smallest (as pandas' {@code mode()[0]}). */
    public static double mode(double[] values) {
        Map<Double, Integer> counts = new HashMap<>();
        double best = Double.NaN;
        int bestCount = 0;
        for (double v : values) {
            if (Double.isNaN(v)) {
                continue;
            }
            double key = v == 0 ? 0.0 : v; // -0.0 and 0.0 are one value
            int c = counts.merge(key, 1, Integer::sum);
            if (c > bestCount || (c == bestCount && key < best)) {
                best = key;
                bestCount = c;
            }
        }
        return best;
    }

    /** The most frequent non-null value; among equally frequent values the first in {@link String#compareTo} order. */
    public static String mode(String[] values) {
        Map<String, Integer> counts = new HashMap<>();
        String best = null;
        int bestCount = 0;
        for (String v : values) {
            if (v == null) {
                continue;
            }
            int c = counts.merge(v, 1, Integer::sum);
            if (c > bestCount || (c == bestCount && v.compareTo(best) < 0)) {
                best = v;
                bestCount = c;
            }
        }
        return best;
    }
}
