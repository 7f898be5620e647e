package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * Metrics of scores rather than hard labels: top-k accuracy and the area under the ROC curve, as
 * scikit-learn 1.2.1 defines them ({@code top_k_accuracy_score}, {@code roc_curve},
 * {@code roc_auc_score}), tested against values it computed.
 *
 * <p>Score matrices have one row per sample and one column per class, column {@code j} belonging to
 * class {@code j} (scikit-learn with {@code labels=range(C)}); yTrue holds class indices. Scores must
 * be finite. Stateless and thread-safe.
 */
public final class RankingMetrics {
    private RankingMetrics() {}

    // ------------------------------------------------------------------------------------ top-k accuracy

    /** The fraction of samples whose true class is among the {@code k} highest scores of its row. */
    public static double topKAccuracy(int[] yTrue, double[][] scores, int k) {
        return topKAccuracy(yTrue, scores, k, null);
    }

    /**
     * Weighted top-k accuracy. Ties follow scikit-learn, which ranks by a stable ascending sort
     * reversed: among equal scores the higher class index ranks first. So the true class {@code t}
     * is a hit when fewer than {@code k} classes score higher, counting classes {@code j > t} with
     * an equal score as higher. (scikit-learn refuses two-column scores for a two-class target; this
     * applies the same rule to them.)
     */
    public static double topKAccuracy(int[] yTrue, double[][] scores, int k, double[] sampleWeight) {
        String fn = "topKAccuracy";
        return NumpySum.average(fn, topKHits(fn, yTrue, scores, k, sampleWeight), sampleWeight);
    }

    /** The (weighted) number of top-k hits: scikit-learn's {@code normalize=False}. */
    public static double topKCorrectCount(int[] yTrue, double[][] scores, int k, double[] sampleWeight) {
        String fn = "topKCorrectCount";
        double[] hits = topKHits(fn, yTrue, scores, k, sampleWeight);
        return sampleWeight == null ? NumpySum.sum(hits) : NumpySum.sequentialDot(hits, sampleWeight);
    }

    /**
     * Top-k accuracy of a binary target from one score per sample (the positive class's probability
     * or a decision value), as scikit-learn defines it: for {@code k = 1} a sample is predicted
     * positive when its score exceeds 0.5 if all scores lie in [0, 1], else when it exceeds 0; for
     * {@code k >= 2} every sample is a hit.
     */
    public static double topKAccuracy(int[] yTrue, double[] scores, int k, double[] sampleWeight) {
        String fn = "topKAccuracy";
        binaryScoreArguments(fn, yTrue, scores, sampleWeight);
        checkK(fn, k);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            min = Math.min(min, s);
            max = Math.max(max, s);
        }
        double threshold = min >= 0 && max <= 1 ? 0.5 : 0.0;
        double[] hits = new double[yTrue.length];
        for (int i = 0; i < hits.length; i++) {
            int predicted = scores[i] > threshold ? 1 : 0;
            hits[i] = k >= 2 || predicted == yTrue[i] ? 1.0 : 0.0;
        }
        return NumpySum.average(fn, hits, sampleWeight);
    }

    private static double[] topKHits(String fn, int[] yTrue, double[][] scores, int k, double[] sampleWeight) {
        Arguments.notNull(fn, "yTrue", yTrue);
        int c = Arguments.matrix(fn, "scores", scores, yTrue.length, "yTrue", 2);
        Arguments.classIndices(fn, "yTrue", yTrue, c, "columns of scores");
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        checkK(fn, k);
        double[] hits = new double[yTrue.length];
        for (int i = 0; i < yTrue.length; i++) {
            int t = yTrue[i];
            double mine = scores[i][t];
            int ahead = 0;
            for (int j = 0; j < c; j++) {
                double s = scores[i][j];
                if (s > mine || (s == mine && j > t)) {
                    ahead++;
                }
            }
            hits[i] = ahead < k ? 1.0 : 0.0;
        }
        return hits;
    }

    private static void checkK(String fn, int k) {
        if (k < 1) {
            throw new IllegalArgumentException(fn + ": k = " + k + " must be at least 1");
        }
    }

    // ------------------------------------------------------------------------------------ ROC, binary

    /** The area under the ROC curve of a binary target (1 = positive) scored by {@code scores}. */
    public static double rocAuc(int[] yTrue, double[] scores) {
        return rocAuc(yTrue, scores, null);
    }

    /**
     * The weighted area under the ROC curve: the trapezoidal area over the curve's points at every
     * distinct score, so tied scores form one diagonal step (scikit-learn's {@code roc_auc_score}).
     * Both classes must occur in yTrue, otherwise the area is undefined and this throws, as
     * scikit-learn does ("Only one class present in y_true"). Samples of weight zero are ignored.
     */
    public static double rocAuc(int[] yTrue, double[] scores, double[] sampleWeight) {
        String fn = "rocAuc";
        binaryScoreArguments(fn, yTrue, scores, sampleWeight);
        requireBothClasses(fn, yTrue, "");
        return curve(yTrue, scores, sampleWeight, true).area();
    }

    /**
     * The standardised partial area under the ROC curve over false-positive rates [0, maxFpr], with
     * McClish's correction (0.5 for a random scorer, 1 for a perfect one), as scikit-learn's
     * {@code roc_auc_score(max_fpr=...)}. {@code maxFpr} lies in (0, 1]; 1 gives the full area.
     */
    public static double partialRocAuc(int[] yTrue, double[] scores, double[] sampleWeight, double maxFpr) {
        String fn = "partialRocAuc";
        binaryScoreArguments(fn, yTrue, scores, sampleWeight);
        if (!(maxFpr > 0 && maxFpr <= 1)) {
            throw new IllegalArgumentException(fn + ": maxFpr = " + maxFpr + " is not in (0, 1]");
        }
        requireBothClasses(fn, yTrue, "");
        RocCurve roc = curve(yTrue, scores, sampleWeight, true);
        if (maxFpr == 1) {
            return roc.area();
        }
        double[] fpr = roc.falsePositiveRate();
        double[] tpr = roc.truePositiveRate();
        int stop = 0;                               // np.searchsorted(fpr, maxFpr, 'right')
        while (stop < fpr.length && fpr[stop] <= maxFpr) {
            stop++;
        }
        double[] x = Arrays.copyOf(fpr, stop + 1);
        double[] y = Arrays.copyOf(tpr, stop + 1);
        x[stop] = maxFpr;
        y[stop] = interpolate(maxFpr, fpr[stop - 1], fpr[stop], tpr[stop - 1], tpr[stop]);
        double partial = trapezoid(x, y);
        double minArea = 0.5 * maxFpr * maxFpr;
        double maxArea = maxFpr;
        return 0.5 * (1 + (partial - minArea) / (maxArea - minArea));
    }

    /** np.interp between two points, including its guards against a non-finite slope. */
    private static double interpolate(double x, double x0, double x1, double y0, double y1) {
        if (x == x0) {
            return y0;
        }
        double slope = (y1 - y0) / (x1 - x0);
        double y = slope * (x - x0) + y0;
        if (Double.isNaN(y)) {
            y = slope * (x - x1) + y1;
            if (Double.isNaN(y) && y0 == y1) {
                y = y0;
            }
        }
        return y;
    }

    /**
     * scikit-learn's {@code roc_curve}: one point per distinct score (plus the starting point), or,
     * with {@code dropIntermediate}, without the points that lie on a straight line between their
     * neighbours (they do not change the area). When yTrue has no positives (negatives) the
     * true-positive (false-positive) rates are NaN, as in scikit-learn.
     */
    public static RocCurve rocCurve(int[] yTrue, double[] scores, double[] sampleWeight, boolean dropIntermediate) {
        binaryScoreArguments("rocCurve", yTrue, scores, sampleWeight);
        return curve(yTrue, scores, sampleWeight, dropIntermediate);
    }

    private static RocCurve curve(int[] yTrueAll, double[] scoresAll, double[] weightsAll, boolean dropIntermediate) {
        int[] yTrue = yTrueAll;
        double[] scores = scoresAll;
        double[] weights = weightsAll;
        if (weightsAll != null) {                   // zero-weight samples must not create thresholds
            int kept = 0;
            for (double w : weightsAll) {
                kept += w != 0 ? 1 : 0;
            }
            yTrue = new int[kept];
            scores = new double[kept];
            weights = new double[kept];
            for (int i = 0, j = 0; i < weightsAll.length; i++) {
                if (weightsAll[i] != 0) {
                    yTrue[j] = yTrueAll[i];
                    scores[j] = scoresAll[i];
                    weights[j] = weightsAll[i];
                    j++;
                }
            }
        }
        int n = yTrue.length;
        if (n == 0) {
            throw new IllegalArgumentException("rocCurve: every sample has weight zero");
        }
        // Descending score; numpy reverses a stable ascending sort, so ties run in descending index order.
        final double[] s = scores;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> s[a] > s[b] ? -1 : s[a] < s[b] ? 1 : Integer.compare(b, a));
        double[] tpsAll = new double[n], fpsAll = new double[n];
        double tp = 0, fp = 0;
        for (int i = 0; i < n; i++) {
            int at = order[i];
            double w = weights == null ? 1.0 : weights[at];
            tp += yTrue[at] * w;
            fp += (1 - yTrue[at]) * w;
            tpsAll[i] = tp;
            fpsAll[i] = fp;
        }
        int[] ends = new int[n];                    // the last position of each run of equal scores
        int distinct = 0;
        for (int i = 0; i < n - 1; i++) {
            if (s[order[i]] != s[order[i + 1]]) {
                ends[distinct++] = i;
            }
        }
        ends[distinct++] = n - 1;
        double[] tps = new double[distinct], fps = new double[distinct], thresholds = new double[distinct];
        for (int j = 0; j < distinct; j++) {
            int i = ends[j];
            tps[j] = tpsAll[i];
            fps[j] = weights == null ? 1 + i - tps[j] : fpsAll[i];
            thresholds[j] = s[order[i]];
        }
        if (dropIntermediate && distinct > 2) {
            boolean[] keep = new boolean[distinct];
            keep[0] = true;
            keep[distinct - 1] = true;
            for (int i = 1; i < distinct - 1; i++) {
                // np.diff(x, 2) at i - 1, computed in numpy's order
                double fCurve = (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]);
                double tCurve = (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]);
                keep[i] = fCurve != 0 || tCurve != 0;
            }
            int m = 0;
            for (int i = 0; i < distinct; i++) {
                if (keep[i]) {
                    tps[m] = tps[i];
                    fps[m] = fps[i];
                    thresholds[m] = thresholds[i];
                    m++;
                }
            }
            distinct = m;
        }
        double[] fpr = new double[distinct + 1], tpr = new double[distinct + 1], thr = new double[distinct + 1];
        double fpTotal = fps[distinct - 1], tpTotal = tps[distinct - 1];
        thr[0] = thresholds[0] + 1;
        for (int j = 0; j < distinct; j++) {
            fpr[j + 1] = fps[j];
            tpr[j + 1] = tps[j];
            thr[j + 1] = thresholds[j];
        }
        for (int j = 0; j <= distinct; j++) {
            fpr[j] = fpTotal <= 0 ? Double.NaN : fpr[j] / fpTotal;
            tpr[j] = tpTotal <= 0 ? Double.NaN : tpr[j] / tpTotal;
        }
        return new RocCurve(fpr, tpr, thr);
    }

    /** np.trapz(y, x): the sum of (x[i+1] - x[i]) * (y[i+1] + y[i]) / 2, summed pairwise. */
    static double trapezoid(double[] x, double[] y) {
        double[] terms = new double[x.length - 1];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
        }
        return NumpySum.sum(terms);
    }

    // ------------------------------------------------------------------------------------ ROC, multiclass

    /** One-vs-rest ROC AUC of a multiclass target, unweighted. */
    public static double rocAucOvr(int[] yTrue, double[][] probabilities, Average average) {
        return rocAucOvr(yTrue, probabilities, average, null);
    }

    /**
     * One-vs-rest ROC AUC (scikit-learn's {@code roc_auc_score(multi_class='ovr')}): {@code MACRO}
     * averages the per-class areas, {@code WEIGHTED} weights them by class support, {@code MICRO}
     * takes one curve over every (sample, class) pair. Rows must be probabilities summing to 1 (within
     * numpy's allclose tolerance); for MACRO and WEIGHTED every class must occur in yTrue and not be
     * all of it, since its one-vs-rest area is undefined otherwise. scikit-learn handles three or
     * more columns here; two columns are treated the same way.
     */
    public static double rocAucOvr(int[] yTrue, double[][] probabilities, Average average, double[] sampleWeight) {
        String fn = "rocAucOvr";
        Arguments.notNull(fn, "average", average);
        int c = ovrArguments(fn, yTrue, probabilities, sampleWeight);
        switch (average) {
            case BINARY -> throw new IllegalArgumentException(fn + ": average BINARY does not apply to one-vs-rest; "
                    + "use rocAuc(yTrue, scores) for a binary target, or MICRO, MACRO, WEIGHTED");
            case MICRO -> {
                int n = yTrue.length;
                int[] flatTrue = new int[n * c];
                double[] flatScores = new double[n * c];
                double[] flatWeights = sampleWeight == null ? null : new double[n * c];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < c; j++) {
                        flatTrue[i * c + j] = yTrue[i] == j ? 1 : 0;
                        flatScores[i * c + j] = probabilities[i][j];
                        if (flatWeights != null) {
                            flatWeights[i * c + j] = sampleWeight[i];
                        }
                    }
                }
                return curve(flatTrue, flatScores, flatWeights, true).area();
            }
            case MACRO -> {
                return NumpySum.mean(perClassAuc(fn, yTrue, probabilities, c, sampleWeight));
            }
            case WEIGHTED -> {
                double[] auc = perClassAuc(fn, yTrue, probabilities, c, sampleWeight);
                double[] support = new double[c];
                for (int i = 0; i < yTrue.length; i++) {
                    support[yTrue[i]] += sampleWeight == null ? 1.0 : sampleWeight[i];
                }
                if (Math.abs(NumpySum.sum(support)) <= 1e-8) {
                    return 0.0;                 // scikit-learn: np.isclose(total support, 0) gives 0
                }
                for (int j = 0; j < c; j++) {
                    if (support[j] == 0) {
                        auc[j] = 0.0;           // a NaN area of a zero-weight class must not poison the mean
                    }
                }
                return NumpySum.average(fn, auc, support);
            }
            default -> throw new AssertionError(average);
        }
    }

    /** The one-vs-rest ROC AUC of each class (scikit-learn's {@code average=None}). */
    public static double[] rocAucOvrPerClass(int[] yTrue, double[][] probabilities, double[] sampleWeight) {
        String fn = "rocAucOvrPerClass";
        int c = ovrArguments(fn, yTrue, probabilities, sampleWeight);
        return perClassAuc(fn, yTrue, probabilities, c, sampleWeight);
    }

    private static double[] perClassAuc(String fn, int[] yTrue, double[][] probabilities, int c, double[] weights) {
        double[] auc = new double[c];
        int[] isClass = new int[yTrue.length];
        double[] column = new double[yTrue.length];
        for (int j = 0; j < c; j++) {
            for (int i = 0; i < yTrue.length; i++) {
                isClass[i] = yTrue[i] == j ? 1 : 0;
                column[i] = probabilities[i][j];
            }
            requireBothClasses(fn, isClass, " for the one-vs-rest split of class " + j);
            auc[j] = curve(isClass, column, weights, true).area();
        }
        return auc;
    }

    private static int ovrArguments(String fn, int[] yTrue, double[][] probabilities, double[] sampleWeight) {
        Arguments.notNull(fn, "yTrue", yTrue);
        int c = Arguments.matrix(fn, "probabilities", probabilities, yTrue.length, "yTrue", 2);
        Arguments.classIndices(fn, "yTrue", yTrue, c, "columns of probabilities");
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        for (int i = 0; i < probabilities.length; i++) {
            double s = NumpySum.sum(probabilities[i]);
            if (!(Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s))) {      // np.allclose(1, row sums)
                throw new IllegalArgumentException(fn + ": probabilities row " + i + " sums to " + s
                        + ", not 1; one-vs-rest ROC AUC needs probabilities");
            }
        }
        return c;
    }

    private static void binaryScoreArguments(String fn, int[] yTrue, double[] scores, double[] sampleWeight) {
        Arguments.notNull(fn, "yTrue", yTrue);
        Arguments.notNull(fn, "scores", scores);
        Arguments.sameLength(fn, "scores", scores.length, "yTrue", yTrue.length);
        Arguments.nonEmpty(fn, "yTrue", yTrue.length);
        Arguments.binaryLabels(fn, "yTrue", yTrue);
        Arguments.finite(fn, "scores", scores);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
    }

    private static void requireBothClasses(String fn, int[] yTrue, String context) {
        int positives = 0;
        for (int y : yTrue) {
            positives += y;
        }
        if (positives == 0 || positives == yTrue.length) {
            throw new IllegalArgumentException(fn + ": yTrue holds only one class" + context + " (" + positives
                    + " positive and " + (yTrue.length - positives) + " negative samples), so ROC AUC is undefined"
                    + " (scikit-learn: 'Only one class present in y_true')");
        }
    }
}
