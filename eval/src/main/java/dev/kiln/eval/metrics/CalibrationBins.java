package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * Top-label calibration in equal-width confidence bins (a reliability diagram's data): bin
 * {@code m} of M covers confidences in (m/M, (m+1)/M], the first bin also holding confidence 0.
 * {@code counts[m]} samples fell in bin m, their mean confidence is {@code confidence[m]} and the
 * fraction whose top-label prediction was right is {@code accuracy[m]} (both NaN for an empty bin).
 * Copied in and out, so immutable.
 */
public record CalibrationBins(long[] counts, double[] accuracy, double[] confidence) {

    public CalibrationBins {
        if (accuracy.length != counts.length || confidence.length != counts.length) {
            throw new IllegalArgumentException("CalibrationBins: " + counts.length + " counts, " + accuracy.length
                    + " accuracies and " + confidence.length + " confidences");
        }
        counts = counts.clone();
        accuracy = accuracy.clone();
        confidence = confidence.clone();
    }

    @Override
    public long[] counts() {
        return counts.clone();
    }

    @Override
    public double[] accuracy() {
        return accuracy.clone();
    }

    @Override
    public double[] confidence() {
        return confidence.clone();
    }

    public int numBins() {
        return counts.length;
    }

    /** ECE = sum over bins of (count / total) * |accuracy - confidence| (Guo et al. 2017). */
    public double expectedCalibrationError() {
        long total = Arrays.stream(counts).sum();
        double ece = 0.0;
        for (int m = 0; m < counts.length; m++) {
            if (counts[m] > 0) {
                ece += (double) counts[m] / total * Math.abs(accuracy[m] - confidence[m]);
            }
        }
        return ece;
    }

    /** MCE = the largest |accuracy - confidence| over non-empty bins. */
    public double maximumCalibrationError() {
        double mce = 0.0;
        for (int m = 0; m < counts.length; m++) {
            if (counts[m] > 0) {
                mce = Math.max(mce, Math.abs(accuracy[m] - confidence[m]));
            }
        }
        return mce;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CalibrationBins b && Arrays.equals(counts, b.counts) && Arrays.equals(accuracy, b.accuracy)
                && Arrays.equals(confidence, b.confidence);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(counts) + Arrays.hashCode(accuracy)) + Arrays.hashCode(confidence);
    }

    @Override
    public String toString() {
        return "CalibrationBins[counts=" + Arrays.toString(counts) + ", accuracy=" + Arrays.toString(accuracy)
                + ", confidence=" + Arrays.toString(confidence) + "]";
    }
}
