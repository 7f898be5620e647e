package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * Per-class precision, recall, F-score and support (scikit-learn's
 * {@code precision_recall_fscore_support(average=None)}); entry {@code i} of each array belongs
 * to {@code labels[i]}. Support is the (weighted) number of samples of that class in yTrue. The
 * arrays are copied in and out, so the record is immutable.
 */
public record PerClassScores(int[] labels, double[] precision, double[] recall, double[] fscore, double[] support) {

    public PerClassScores {
        int n = labels.length;
        if (precision.length != n || recall.length != n || fscore.length != n || support.length != n) {
            throw new IllegalArgumentException("PerClassScores: " + n + " labels but " + precision.length + "/"
                    + recall.length + "/" + fscore.length + "/" + support.length + " precision/recall/fscore/support");
        }
        labels = labels.clone();
        precision = precision.clone();
        recall = recall.clone();
        fscore = fscore.clone();
        support = support.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public double[] precision() {
        return precision.clone();
    }

    @Override
    public double[] recall() {
        return recall.clone();
    }

    @Override
    public double[] fscore() {
        return fscore.clone();
    }

    @Override
    public double[] support() {
        return support.clone();
    }

    /** The scores of one label; throws when it is not one of {@link #labels()}. */
    public PrecisionRecallFscore of(int label) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == label) {
                return new PrecisionRecallFscore(precision[i], recall[i], fscore[i]);
            }
        }
        throw new IllegalArgumentException("PerClassScores.of: label " + label + " is not among " + Arrays.toString(labels));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PerClassScores p && Arrays.equals(labels, p.labels) && Arrays.equals(precision, p.precision)
                && Arrays.equals(recall, p.recall) && Arrays.equals(fscore, p.fscore) && Arrays.equals(support, p.support);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * (31 * Arrays.hashCode(labels) + Arrays.hashCode(precision)) + Arrays.hashCode(recall))
                + Arrays.hashCode(fscore)) + Arrays.hashCode(support);
    }

    @Override
    public String toString() {
        return "PerClassScores[labels=" + Arrays.toString(labels) + ", precision=" + Arrays.toString(precision)
                + ", recall=" + Arrays.toString(recall) + ", fscore=" + Arrays.toString(fscore) + ", support="
                + Arrays.toString(support) + "]";
    }
}
