package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * A confusion matrix: {@code values[i][j]} is the (weighted) number of samples whose true label is
 * {@code labels[i]} and whose predicted label is {@code labels[j]}, possibly normalised (scikit-learn's
 * {@code confusion_matrix}). Copied in and out, so immutable.
 */
public record ConfusionMatrix(int[] labels, double[][] values) {

    /** scikit-learn's {@code normalize}: divide by row sums, column sums or the total; 0/0 gives 0. */
    public enum Normalization { NONE, TRUE, PRED, ALL }

    public ConfusionMatrix {
        if (values.length != labels.length) {
            throw new IllegalArgumentException("ConfusionMatrix: " + labels.length + " labels but " + values.length + " rows");
        }
        labels = labels.clone();
        values = copy(values);
        for (double[] row : values) {
            if (row.length != labels.length) {
                throw new IllegalArgumentException("ConfusionMatrix: " + labels.length + " labels but a row of "
                        + row.length);
            }
        }
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public double[][] values() {
        return copy(values);
    }

    /** The entry for true label {@code trueLabel} and predicted label {@code predictedLabel}. */
    public double get(int trueLabel, int predictedLabel) {
        return values[position(trueLabel)][position(predictedLabel)];
    }

    private int position(int label) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == label) {
                return i;
            }
        }
        throw new IllegalArgumentException("ConfusionMatrix.get: label " + label + " is not among " + Arrays.toString(labels));
    }

    private static double[][] copy(double[][] m) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix c && Arrays.equals(labels, c.labels) && Arrays.deepEquals(values, c.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(labels) + Arrays.deepHashCode(values);
    }

    @Override
    public String toString() {
        return "ConfusionMatrix[labels=" + Arrays.toString(labels) + ", values=" + Arrays.deepToString(values) + "]";
    }
}
