package dev.kiln.data.clean.tabular;

import dev.kiln.data.clean.FilterReport;
import java.util.Objects;

/**
 * Outlier detection on a numeric column. Missing values (NaN) are never outliers and take no part
 * in the statistics.
 * <ul>
 *   <li><b>z-score</b>: |x − mean| / std &gt; threshold (default 3). The standard deviation is the
 *       population one by default (ddof 0, as {@code scipy.stats.zscore}); {@link Deviation#SAMPLE}
 *       uses ddof 1 (pandas' {@code std()}). A column with zero spread has no outliers.
 *   <li><b>IQR</b> (Tukey's fences): x &lt; Q1 − k·IQR or x &gt; Q3 + k·IQR with IQR = Q3 − Q1 and
 *       k = 1.5 by default; the quartiles interpolate linearly, as numpy's default
 *       ({@link ColumnStats#quantile}).
 * </ul>
 * Both compare strictly, so a value exactly on the threshold or fence is kept.
 */
public final class Outliers {
    /** The usual z-score threshold. */
    public static final double DEFAULT_Z = 3.0;
    /** Tukey's fence multiplier. */
    public static final double DEFAULT_IQR_K = 1.5;

    /** Which standard deviation the z-score divides by. */
    public enum Deviation {
        /** Divides the sum of squares by n (ddof 0). */
        POPULATION,
        /** Divides the sum of squares by n − 1 (ddof 1). */
        SAMPLE
    }

    private Outliers() {}

    /** The z-score of every value (NaN where the value is missing or the spread is zero or undefined). */
    public static double[] zScores(double[] values, Deviation deviation) {
        Objects.requireNonNull(values, "Outliers.zScores: values");
        Objects.requireNonNull(deviation, "Outliers.zScores: deviation");
        double mean = ColumnStats.mean(values);
        double std = ColumnStats.std(values, deviation == Deviation.POPULATION ? 0 : 1);
        double[] z = new double[values.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = std > 0 ? (values[i] - mean) / std : Double.NaN;
        }
        return z;
    }

    /** True where |z| &gt; {@code threshold}. */
    public static boolean[] zScore(double[] values, double threshold, Deviation deviation) {
        if (!(threshold > 0)) {
            throw new IllegalArgumentException("Outliers.zScore: threshold must be > 0, got " + threshold);
        }
        double[] z = zScores(values, deviation);
        boolean[] out = new boolean[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.abs(z[i]) > threshold; // false for NaN
        }
        return out;
    }

    /** {lower fence, upper fence} = {Q1 − k·IQR, Q3 + k·IQR}; NaNs when no value is present. */
    public static double[] iqrFences(double[] values, double k) {
        Objects.requireNonNull(values, "Outliers.iqrFences: values");
        if (!(k >= 0)) {
            throw new IllegalArgumentException("Outliers.iqrFences: k must be >= 0, got " + k);
        }
        double[] sorted = ColumnStats.presentSorted(values);
        double q1 = ColumnStats.quantileOfSorted(sorted, 0.25);
        double q3 = ColumnStats.quantileOfSorted(sorted, 0.75);
        double iqr = q3 - q1;
        return new double[] {q1 - k * iqr, q3 + k * iqr};
    }

    /** True outside Tukey's fences with multiplier {@code k}. */
    public static boolean[] iqr(double[] values, double k) {
        double[] fences = iqrFences(values, k);
        boolean[] out = new boolean[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] < fences[0] || values[i] > fences[1]; // false for NaN
        }
        return out;
    }

    /**
     * {@code table} without the rows marked in {@code outlier}, counted in the report's stage
     * {@code stage} with reason {@code reason} (e.g. "z-score > 3 in 'price'").
     */
    public static ColumnTable removeRows(ColumnTable table, boolean[] outlier, String stage, String reason,
            FilterReport report) {
        Objects.requireNonNull(table, "Outliers.removeRows: table");
        Objects.requireNonNull(report, "Outliers.removeRows: report");
        if (outlier.length != table.rowCount()) {
            throw new IllegalArgumentException("Outliers.removeRows: mask has " + outlier.length + " entries, table has "
                    + table.rowCount() + " rows");
        }
        boolean[] keep = new boolean[outlier.length];
        long removed = 0;
        for (int i = 0; i < keep.length; i++) {
            keep[i] = !outlier[i];
            removed += outlier[i] ? 1 : 0;
        }
        FilterReport.Stage s = report.stage(stage);
        s.countSeen(table.rowCount());
        s.countRemoved(reason, removed);
        return table.selectRows(keep);
    }
}
