package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * A receiver operating characteristic curve (scikit-learn's {@code roc_curve}): point {@code i} is
 * the false- and true-positive rate of predicting positive when the score is at least
 * {@code thresholds[i]}. Thresholds decrease; the first is the highest score plus 1 (scikit-learn
 * 1.2.1's convention), so the curve starts at (0, 0). Copied in and out, so immutable.
 */
public record RocCurve(double[] falsePositiveRate, double[] truePositiveRate, double[] thresholds) {

    public RocCurve {
        if (falsePositiveRate.length != truePositiveRate.length || thresholds.length != truePositiveRate.length) {
            throw new IllegalArgumentException("RocCurve: " + falsePositiveRate.length + " false-positive rates, "
                    + truePositiveRate.length + " true-positive rates and " + thresholds.length + " thresholds");
        }
        falsePositiveRate = falsePositiveRate.clone();
        truePositiveRate = truePositiveRate.clone();
        thresholds = thresholds.clone();
    }

    @Override
    public double[] falsePositiveRate() {
        return falsePositiveRate.clone();
    }

    @Override
    public double[] truePositiveRate() {
        return truePositiveRate.clone();
    }

    @Override
    public double[] thresholds() {
        return thresholds.clone();
    }

    /** The area under the curve by the trapezoidal rule (scikit-learn's {@code auc}). */
    public double area() {
        return RankingMetrics.trapezoid(falsePositiveRate, truePositiveRate);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RocCurve c && Arrays.equals(falsePositiveRate, c.falsePositiveRate)
                && Arrays.equals(truePositiveRate, c.truePositiveRate) && Arrays.equals(thresholds, c.thresholds);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(falsePositiveRate) + Arrays.hashCode(truePositiveRate))
                + Arrays.hashCode(thresholds);
    }

    @Override
    public String toString() {
        return "RocCurve[fpr=" + Arrays.toString(falsePositiveRate) + ", tpr=" + Arrays.toString(truePositiveRate)
                + ", thresholds=" + Arrays.toString(thresholds) + "]";
    }
}
