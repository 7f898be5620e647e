package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * Metrics of predicted labels against true labels: accuracy, the confusion matrix, precision,
 * recall, F-scores and the classification report. Each function follows scikit-learn's definition
 * (the installed reference is 1.2.1) including its treatment of labels, sample weights and zero
 * division, and is tested against values that scikit-learn computed
 * ({@code src/test/python/metric_fixtures.py}).
 *
 * <p>Labels are plain ints (typically class indices 0..C-1). Where scikit-learn would raise, these
 * functions throw {@link IllegalArgumentException} with the argument and the values involved; they
 * also refuse empty inputs and negative or non-finite weights, which scikit-learn lets through to
 * NaN or nonsense. Stateless and thread-safe.
 */
public final class ClassificationMetrics {
    private ClassificationMetrics() {}

    /** The fraction of samples whose predicted label equals the true label. */
    public static double accuracy(int[] yTrue, int[] yPred) {
        return accuracy(yTrue, yPred, null);
    }

    /** The weighted fraction of correctly predicted samples ({@code sampleWeight} may be null). */
    public static double accuracy(int[] yTrue, int[] yPred, double[] sampleWeight) {
        String fn = "accuracy";
        Arguments.labelPair(fn, yTrue, yPred);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        return NumpySum.average(fn, correct(yTrue, yPred), sampleWeight);
    }

    /** The (weighted) number of correctly predicted samples: scikit-learn's {@code accuracy_score(normalize=False)}. */
    public static double correctCount(int[] yTrue, int[] yPred, double[] sampleWeight) {
        String fn = "correctCount";
        Arguments.labelPair(fn, yTrue, yPred);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        double[] correct = correct(yTrue, yPred);
        return sampleWeight == null ? NumpySum.sum(correct) : NumpySum.sequentialDot(correct, sampleWeight);
    }

    private static double[] correct(int[] yTrue, int[] yPred) {
        double[] correct = new double[yTrue.length];
        for (int i = 0; i < yTrue.length; i++) {
            correct[i] = yTrue[i] == yPred[i] ? 1.0 : 0.0;
        }
        return correct;
    }

    /** The confusion matrix over the sorted labels present in yTrue or yPred. */
    public static ConfusionMatrix confusionMatrix(int[] yTrue, int[] yPred) {
        return confusionMatrix(yTrue, yPred, null, null, ConfusionMatrix.Normalization.NONE);
    }

    /** The confusion matrix over classes 0..numClasses-1; every label must lie in that range. */
    public static ConfusionMatrix confusionMatrix(int[] yTrue, int[] yPred, int numClasses) {
        String fn = "confusionMatrix";
        Arguments.labelPair(fn, yTrue, yPred);
        checkNumClasses(fn, yTrue, yPred, numClasses);
        return confusionMatrix(yTrue, yPred, LabelSet.range(numClasses).labels(), null, ConfusionMatrix.Normalization.NONE);
    }

    /**
     * scikit-learn's {@code confusion_matrix}. With explicit {@code labels} (rows and columns in
     * that order) samples whose true or predicted label is not listed are left out, and at least one
     * listed label must occur in yTrue; null labels mean the sorted labels present. {@code
     * sampleWeight} may be null.
     */
    public static ConfusionMatrix confusionMatrix(int[] yTrue, int[] yPred, int[] labels, double[] sampleWeight,
                                                  ConfusionMatrix.Normalization normalization) {
        String fn = "confusionMatrix";
        Arguments.notNull(fn, "yTrue", yTrue);
        Arguments.notNull(fn, "yPred", yPred);
        Arguments.sameLength(fn, "yTrue", yTrue.length, "yPred", yPred.length);
        Arguments.notNull(fn, "normalization", normalization);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        LabelSet set;
        if (labels == null) {
            Arguments.nonEmpty(fn, "yTrue", yTrue.length);
            set = LabelSet.of(LabelSet.present(yTrue, yPred));
        } else {
            set = LabelSet.explicit(fn, labels);
            if (yTrue.length == 0) {
                return new ConfusionMatrix(set.labels(), new double[set.size()][set.size()]);   // as scikit-learn
            }
            boolean anyTrueListed = false;
            for (int y : yTrue) {
                anyTrueListed |= set.indexOf(y) >= 0;
            }
            if (!anyTrueListed) {
                throw new IllegalArgumentException(fn + ": none of the labels " + Arrays.toString(labels)
                        + " occurs in yTrue (scikit-learn: 'At least one label specified must be in y_true')");
            }
        }
        int c = set.size();
        double[][] m = new double[c][c];
        for (int i = 0; i < yTrue.length; i++) {
            int t = set.indexOf(yTrue[i]);
            int p = set.indexOf(yPred[i]);
            if (t >= 0 && p >= 0) {
                m[t][p] += sampleWeight == null ? 1.0 : sampleWeight[i];
            }
        }
        normalize(m, normalization);
        return new ConfusionMatrix(set.labels(), m);
    }

    private static void normalize(double[][] m, ConfusionMatrix.Normalization normalization) {
        int c = m.length;
        switch (normalization) {
            case NONE -> { }
            case TRUE -> {
                for (double[] row : m) {
                    double s = NumpySum.sum(row);
                    for (int j = 0; j < c; j++) {
                        row[j] = zeroIfNaN(row[j] / s);
                    }
                }
            }
            case PRED -> {
                double[] colSum = new double[c];
                for (double[] row : m) {            // numpy sums axis 0 row after row
                    for (int j = 0; j < c; j++) {
                        colSum[j] += row[j];
                    }
                }
                for (double[] row : m) {
                    for (int j = 0; j < c; j++) {
                        row[j] = zeroIfNaN(row[j] / colSum[j]);
                    }
                }
            }
            case ALL -> {
                double[] flat = new double[c * c];
                for (int i = 0; i < c; i++) {
                    System.arraycopy(m[i], 0, flat, i * c, c);
                }
                double s = NumpySum.sum(flat);
                for (double[] row : m) {
                    for (int j = 0; j < c; j++) {
                        row[j] = zeroIfNaN(row[j] / s);
                    }
                }
            }
        }
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0.0 : v;   // np.nan_to_num: a row or column with no samples gives 0
    }

    /** Per-class precision, recall, F-score and support (scikit-learn's {@code average=None}). */
    public static PerClassScores perClass(int[] yTrue, int[] yPred, PrecisionRecallOptions options) {
        String fn = "perClass";
        Arguments.notNull(fn, "options", options);
        LabelSet set = resolveLabels(fn, yTrue, yPred, options);
        Counts k = counts(yTrue, yPred, set, options.sampleWeight());
        int c = set.size();
        double[] precision = new double[c], recall = new double[c], fscore = new double[c];
        for (int i = 0; i < c; i++) {
            PrecisionRecallFscore s = scores(k.tp[i], k.predSum[i], k.trueSum[i], options);
            precision[i] = s.precision();
            recall[i] = s.recall();
            fscore[i] = s.fscore();
        }
        return new PerClassScores(set.labels(), precision, recall, fscore, k.trueSum);
    }

    /** Averaged precision, recall and F-score (scikit-learn's {@code precision_recall_fscore_support}). */
    public static PrecisionRecallFscore averaged(int[] yTrue, int[] yPred, Average average,
                                                 PrecisionRecallOptions options) {
        String fn = "averaged";
        Arguments.notNull(fn, "average", average);
        Arguments.notNull(fn, "options", options);
        LabelSet set = average == Average.BINARY ? binaryLabel(fn, yTrue, yPred, options)
                : resolveLabels(fn, yTrue, yPred, options);
        Counts k = counts(yTrue, yPred, set, options.sampleWeight());
        int c = set.size();
        if (average == Average.MICRO || average == Average.BINARY) {
            // BINARY has a single label, so its "micro" sums are that label's counts
            return scores(NumpySum.sum(k.tp), NumpySum.sum(k.predSum), NumpySum.sum(k.trueSum), options);
        }
        double[] precision = new double[c], recall = new double[c], fscore = new double[c];
        for (int i = 0; i < c; i++) {
            PrecisionRecallFscore s = scores(k.tp[i], k.predSum[i], k.trueSum[i], options);
            precision[i] = s.precision();
            recall[i] = s.recall();
            fscore[i] = s.fscore();
        }
        boolean skipNaN = options.zeroDivision() == ZeroDivision.NAN;
        double[] weights = null;
        if (average == Average.WEIGHTED) {
            weights = k.trueSum;
            if (NumpySum.sum(weights) == 0.0 && !skipNaN) {
                // No (weighted) true samples of any listed label: scikit-learn 1.2.1's special case.
                // Precision is undefined only if nothing was predicted either; F follows precision.
                // (Versions with NaN dropped it: their NaN-skipping mean falls back to the plain mean.)
                double zd = options.zeroDivision().value();
                return NumpySum.sum(k.predSum) == 0.0 ? new PrecisionRecallFscore(zd, zd, zd)
                        : new PrecisionRecallFscore(0.0, zd, 0.0);
            }
        }
        return new PrecisionRecallFscore(mean(precision, weights, skipNaN), mean(recall, weights, skipNaN),
                mean(fscore, weights, skipNaN));
    }

    /** Averaged precision with default options. */
    public static double precision(int[] yTrue, int[] yPred, Average average) {
        return averaged(yTrue, yPred, average, PrecisionRecallOptions.defaults()).precision();
    }

    /** Averaged recall with default options. */
    public static double recall(int[] yTrue, int[] yPred, Average average) {
        return averaged(yTrue, yPred, average, PrecisionRecallOptions.defaults()).recall();
    }

    /** Averaged F1 with default options. */
    public static double f1(int[] yTrue, int[] yPred, Average average) {
        return averaged(yTrue, yPred, average, PrecisionRecallOptions.defaults()).fscore();
    }

    /** Averaged F-beta with default options otherwise. */
    public static double fbeta(int[] yTrue, int[] yPred, double beta, Average average) {
        return averaged(yTrue, yPred, average, PrecisionRecallOptions.defaults().withBeta(beta)).fscore();
    }

    /** The classification report with default options. */
    public static ClassificationReport report(int[] yTrue, int[] yPred) {
        return report(yTrue, yPred, PrecisionRecallOptions.defaults());
    }

    /**
     * scikit-learn's {@code classification_report}: per-class precision, recall, F1 and support,
     * then the micro (shown as accuracy when the labels cover every present label), macro and
     * weighted averages. Uses the options' labels, numClasses, sampleWeight and zeroDivision; the
     * report is F1, so beta must be 1, and posLabel is not used.
     */
    public static ClassificationReport report(int[] yTrue, int[] yPred, PrecisionRecallOptions options) {
        String fn = "report";
        Arguments.notNull(fn, "options", options);
        if (options.beta() != 1.0) {
            throw new IllegalArgumentException(fn + ": the report shows F1, but options.beta = " + options.beta());
        }
        PerClassScores perClass = perClass(yTrue, yPred, options);
        int[] labels = perClass.labels();
        boolean labelsGiven = options.labels() != null || options.numClasses() > 0;
        boolean microIsAccuracy = !labelsGiven || LabelSet.of(labels).sameSetAs(LabelSet.present(yTrue, yPred));
        double[] support = perClass.support();
        return new ClassificationReport(labels, perClass.precision(), perClass.recall(), perClass.fscore(), support,
                averaged(yTrue, yPred, Average.MICRO, options), averaged(yTrue, yPred, Average.MACRO, options),
                averaged(yTrue, yPred, Average.WEIGHTED, options), NumpySum.sum(support), microIsAccuracy);
    }

    // ------------------------------------------------------------------------------------ internals

    /** Per-label weighted counts of true positives, predictions and true samples. */
    private record Counts(double[] tp, double[] predSum, double[] trueSum) {}

    private static Counts counts(int[] yTrue, int[] yPred, LabelSet set, double[] sampleWeight) {
        int c = set.size();
        double[] tp = new double[c], pred = new double[c], truth = new double[c];
        for (int i = 0; i < yTrue.length; i++) {          // sample order, as np.bincount accumulates
            double w = sampleWeight == null ? 1.0 : sampleWeight[i];
            int t = set.indexOf(yTrue[i]);
            int p = set.indexOf(yPred[i]);
            if (t >= 0) {
                truth[t] += w;
                if (yTrue[i] == yPred[i]) {
                    tp[t] += w;
                }
            }
            if (p >= 0) {
                pred[p] += w;
            }
        }
        // scikit-learn goes through the multilabel confusion matrix (fp = pred - tp, then pred = tp + fp);
        // with fractional weights the round trip can move the last bit, so it is taken here too.
        for (int i = 0; i < c; i++) {
            pred[i] = tp[i] + (pred[i] - tp[i]);
            truth[i] = tp[i] + (truth[i] - tp[i]);
        }
        return new Counts(tp, pred, truth);
    }

    /** Precision, recall and F-beta from the counts, with zero division resolved. */
    private static PrecisionRecallFscore scores(double tp, double predSum, double trueSum, PrecisionRecallOptions o) {
        double zd = o.zeroDivision().value();
        double precision = predSum == 0.0 ? zd : tp / predSum;
        double recall = trueSum == 0.0 ? zd : tp / trueSum;
        double beta2 = o.beta() * o.beta();
        double f;
        if (o.zeroDivision() == ZeroDivision.NAN) {
            // scikit-learn >= 1.3 (which introduced NaN): F from the counts, undefined only when the class is
            // neither true nor predicted anywhere; F = (1 + b^2) tp / (b^2 (tp + fn) + tp + fp)
            double denominator = beta2 * trueSum + predSum;
            f = denominator == 0.0 ? zd : (1 + beta2) * tp / denominator;
        } else {
            // scikit-learn 1.2.1 (the installed reference): F from precision and recall, 0 when both are 0.
            // For zero division 0 or 1 this equals the count form above.
            double denominator = beta2 * precision + recall;
            f = (1 + beta2) * precision * recall / (denominator == 0.0 ? 1.0 : denominator);
        }
        return new PrecisionRecallFscore(precision, recall, f);
    }

    /** np.average, or scikit-learn 1.3's _nanaverage (NaN entries left out; all NaN gives NaN). */
    private static double mean(double[] values, double[] weights, boolean skipNaN) {
        if (!skipNaN) {
            return NumpySum.average("averaged", values, weights);
        }
        int kept = 0;
        for (double v : values) {
            kept += Double.isNaN(v) ? 0 : 1;
        }
        if (kept == 0) {
            return Double.NaN;
        }
        double[] a = new double[kept];
        double[] w = weights == null ? null : new double[kept];
        for (int i = 0, j = 0; i < values.length; i++) {
            if (!Double.isNaN(values[i])) {
                a[j] = values[i];
                if (w != null) {
                    w[j] = weights[i];
                }
                j++;
            }
        }
        if (w != null && NumpySum.sum(w) == 0.0) {
            return NumpySum.mean(a);     // all remaining weights zero: _nanaverage falls back to the plain mean
        }
        return NumpySum.average("averaged", a, w);
    }

    private static LabelSet resolveLabels(String fn, int[] yTrue, int[] yPred, PrecisionRecallOptions options) {
        Arguments.labelPair(fn, yTrue, yPred);
        Arguments.sampleWeight(fn, options.sampleWeight(), yTrue.length);
        if (options.numClasses() > 0) {
            checkNumClasses(fn, yTrue, yPred, options.numClasses());
            return LabelSet.range(options.numClasses());
        }
        int[] labels = options.labels();
        return labels == null ? LabelSet.of(LabelSet.present(yTrue, yPred)) : LabelSet.explicit(fn, labels);
    }

    /** scikit-learn's checks for average='binary': a binary target, and a posLabel among its labels. */
    private static LabelSet binaryLabel(String fn, int[] yTrue, int[] yPred, PrecisionRecallOptions options) {
        resolveLabels(fn, yTrue, yPred, options);    // the shared argument checks; BINARY ignores the labels
        int[] present = LabelSet.present(yTrue, yPred);
        if (present.length > 2) {
            throw new IllegalArgumentException(fn + ": average BINARY needs at most two labels in yTrue and yPred, got "
                    + Arrays.toString(present) + "; use MICRO, MACRO or WEIGHTED");
        }
        int pos = options.posLabel();
        if (Arrays.binarySearch(present, pos) < 0 && present.length == 2) {
            throw new IllegalArgumentException(fn + ": posLabel = " + pos + " is not one of the labels "
                    + Arrays.toString(present));
        }
        return LabelSet.of(new int[] {pos});
    }

    private static void checkNumClasses(String fn, int[] yTrue, int[] yPred, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException(fn + ": numClasses = " + numClasses + " must be positive");
        }
        Arguments.classIndices(fn, "yTrue", yTrue, numClasses, "numClasses = " + numClasses);
        Arguments.classIndices(fn, "yPred", yPred, numClasses, "numClasses = " + numClasses);
    }
}
