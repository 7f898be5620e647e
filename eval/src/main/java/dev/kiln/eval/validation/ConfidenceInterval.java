package dev.kiln.eval.validation;

/**
 * A confidence interval [lower, upper] around the statistic's value on the full data set.
 *
 * @param confidence the nominal coverage, e.g. 0.95
 * @param resamples  the number of bootstrap resamples it was computed from
 */
public record ConfidenceInterval(double estimate, double lower, double upper, double confidence, int resamples) {

    public boolean contains(double value) {
        return value >= lower && value <= upper;
    }

    public double width() {
        return upper - lower;
    }
}
