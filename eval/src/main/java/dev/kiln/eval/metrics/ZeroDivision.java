package dev.kiln.eval.metrics;

/**
 * The value a precision, recall or F-score takes when its denominator is zero (scikit-learn's
 * {@code zero_division}): precision of a class that is never predicted, recall of a class that never
 * occurs, F of a class that is neither.
 */
public enum ZeroDivision {
    /** scikit-learn's default "warn": the value is 0 (scikit-learn also warns; Kiln does not). */
    WARN(0.0),
    ZERO(0.0),
    ONE(1.0),
    /**
     * NaN, and averages leave NaN classes out (all NaN gives NaN; a weighted average whose remaining
     * weights are all zero falls back to the unweighted mean). F is then computed from the counts,
     * (1 + b²)·tp / (b²·(tp + fn) + tp + fp), so it is NaN only for a class neither true nor
     * predicted. This option arrived in scikit-learn 1.3 and follows that version's definition; the
     * installed reference (1.2.1) lacks it, so it is tested against hand-computed values instead.
     */
    NAN(Double.NaN);

    private final double value;

    ZeroDivision(double value) {
        this.value = value;
    }

    public double value() {
        return value;
    }
}
