package dev.kiln.eval.metrics;

import java.util.Arrays;
import java.util.Objects;

/**
 * Options of the precision / recall / F-score family, immutable; start from {@link #defaults()}
 * and change what you need with the {@code with...} methods:
 * <pre>{@code
 * var options = PrecisionRecallOptions.defaults().withNumClasses(10).withZeroDivision(ZeroDivision.ONE);
 * }</pre>
 *
 * @param labels       the labels to report on, in report order (scikit-learn's {@code labels});
 *                     samples whose true or predicted label is not listed count for neither; null
 *                     means the sorted labels present in yTrue or yPred
 * @param numClasses   when positive, labels are 0..numClasses-1 and every label in yTrue and yPred
 *                     must lie in that range (an error otherwise); 0 when unused. Cannot be combined
 *                     with {@code labels}
 * @param posLabel     the positive class of {@link Average#BINARY}
 * @param beta         the F-score's weight of recall against precision, finite and positive (1: F1)
 * @param sampleWeight one finite, non-negative weight per sample, or null for weight 1
 * @param zeroDivision the value of a score whose denominator is zero
 */
public record PrecisionRecallOptions(int[] labels, int numClasses, int posLabel, double beta, double[] sampleWeight,
                                     ZeroDivision zeroDivision) {

    public PrecisionRecallOptions {
        if (labels != null && numClasses != 0) {
            throw new IllegalArgumentException("PrecisionRecallOptions: give labels or numClasses, not both (labels has "
                    + labels.length + " entries, numClasses = " + numClasses + ")");
        }
        if (numClasses < 0) {
            throw new IllegalArgumentException("PrecisionRecallOptions: numClasses = " + numClasses + " is negative");
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("PrecisionRecallOptions: beta = " + beta + " must be finite and positive");
        }
        if (zeroDivision == null) {
            throw new IllegalArgumentException("PrecisionRecallOptions: zeroDivision is null");
        }
        labels = labels == null ? null : labels.clone();
        sampleWeight = sampleWeight == null ? null : sampleWeight.clone();
    }

    /** scikit-learn's defaults: present labels, posLabel 1, F1, no weights, zero division "warn" (0). */
    public static PrecisionRecallOptions defaults() {
        return new PrecisionRecallOptions(null, 0, 1, 1.0, null, ZeroDivision.WARN);
    }

    @Override
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    @Override
    public double[] sampleWeight() {
        return sampleWeight == null ? null : sampleWeight.clone();
    }

    public PrecisionRecallOptions withLabels(int... labels) {
        return new PrecisionRecallOptions(labels, 0, posLabel, beta, sampleWeight, zeroDivision);
    }

    public PrecisionRecallOptions withNumClasses(int numClasses) {
        return new PrecisionRecallOptions(null, numClasses, posLabel, beta, sampleWeight, zeroDivision);
    }

    public PrecisionRecallOptions withPosLabel(int posLabel) {
        return new PrecisionRecallOptions(labels, numClasses, posLabel, beta, sampleWeight, zeroDivision);
    }

    public PrecisionRecallOptions withBeta(double beta) {
        return new PrecisionRecallOptions(labels, numClasses, posLabel, beta, sampleWeight, zeroDivision);
    }

    public PrecisionRecallOptions withSampleWeight(double[] sampleWeight) {
        return new PrecisionRecallOptions(labels, numClasses, posLabel, beta, sampleWeight, zeroDivision);
    }

    public PrecisionRecallOptions withZeroDivision(ZeroDivision zeroDivision) {
        return new PrecisionRecallOptions(labels, numClasses, posLabel, beta, sampleWeight, zeroDivision);
    }

    /** The array fields by content (a record's generated equals would compare them by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PrecisionRecallOptions p && Arrays.equals(labels, p.labels)
                && numClasses == p.numClasses && posLabel == p.posLabel && Double.compare(beta, p.beta) == 0
                && Arrays.equals(sampleWeight, p.sampleWeight) && zeroDivision == p.zeroDivision;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(labels), numClasses, posLabel, beta,
                Arrays.hashCode(sampleWeight), zeroDivision);
    }

    @Override
    public String toString() {
        return "PrecisionRecallOptions[labels=" + Arrays.toString(labels) + ", numClasses=" + numClasses
                + ", posLabel=" + posLabel + ", beta=" + beta + ", sampleWeight="
                + (sampleWeight == null ? "null" : sampleWeight.length + " weights") + ", zeroDivision=" + zeroDivision
                + "]";
    }
}
