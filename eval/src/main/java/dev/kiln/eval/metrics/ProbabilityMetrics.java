package dev.kiln.eval.metrics;

/**
 * Metrics of predicted class probabilities: log loss (scikit-learn 1.2.1's {@code log_loss},
 * tested against it) and expected calibration error (Guo et al. 2017; scikit-learn has none, so it is
 * tested against a naive reference loop in the fixture script).
 *
 * <p>Probability matrices have one row per sample and one column per class, column {@code j}
 * belonging to class {@code j}; yTrue holds class indices. Stateless and thread-safe.
 */
public final class ProbabilityMetrics {
    /** scikit-learn's {@code eps="auto"} for float64 probabilities: the machine epsilon 2^-52. */
    public static final double DEFAULT_EPS = Math.ulp(1.0);

    private ProbabilityMetrics() {}

    /** Mean log loss with scikit-learn's default clipping. */
    public static double logLoss(int[] yTrue, double[][] probabilities) {
        return logLoss(yTrue, probabilities, null, DEFAULT_EPS, true);
    }

    /** Weighted mean log loss with scikit-learn's default clipping ({@code sampleWeight} may be null). */
    public static double logLoss(int[] yTrue, double[][] probabilities, double[] sampleWeight) {
        return logLoss(yTrue, probabilities, sampleWeight, DEFAULT_EPS, true);
    }

    /**
     * Log loss as scikit-learn 1.2.1 computes it: every probability is clipped to
     * {@code [eps, 1 - eps]}, each row is then divided by its sum (so rows need not sum to 1), and
     * the loss of a sample is {@code -ln(p[true class])}. Returns the (weighted) mean when
     * {@code normalize}, else the (weighted) sum. At least two columns are needed; entries must be
     * finite; {@code eps} lies in [0, 0.5).
     */
    public static double logLoss(int[] yTrue, double[][] probabilities, double[] sampleWeight, double eps,
                                 boolean normalize) {
        String fn = "logLoss";
        Arguments.notNull(fn, "yTrue", yTrue);
        int c = Arguments.matrix(fn, "probabilities", probabilities, yTrue.length, "yTrue", 2);
        Arguments.classIndices(fn, "yTrue", yTrue, c, "columns of probabilities");
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        checkEps(fn, eps);
        double[] loss = new double[yTrue.length];
        double[] row = new double[c];
        for (int i = 0; i < yTrue.length; i++) {
            for (int j = 0; j < c; j++) {
                row[j] = clip(probabilities[i][j], eps);
            }
            loss[i] = -Math.log(row[yTrue[i]] / NumpySum.sum(row));
        }
        return reduce(fn, loss, sampleWeight, normalize);
    }

    /** Mean log loss of a binary target (1 = positive) from the positive class's probabilities. */
    public static double logLoss(int[] yTrue, double[] probabilityOfPositive) {
        return logLoss(yTrue, probabilityOfPositive, null, DEFAULT_EPS, true);
    }

    /**
     * Binary log loss; as scikit-learn does, the probability is clipped first and the row
     * {@code [1 - p, p]} then renormalised.
     */
    public static double logLoss(int[] yTrue, double[] probabilityOfPositive, double[] sampleWeight, double eps,
                                 boolean normalize) {
        String fn = "logLoss";
        Arguments.notNull(fn, "yTrue", yTrue);
        Arguments.notNull(fn, "probabilityOfPositive", probabilityOfPositive);
        Arguments.sameLength(fn, "probabilityOfPositive", probabilityOfPositive.length, "yTrue", yTrue.length);
        Arguments.nonEmpty(fn, "yTrue", yTrue.length);
        Arguments.binaryLabels(fn, "yTrue", yTrue);
        Arguments.finite(fn, "probabilityOfPositive", probabilityOfPositive);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
        checkEps(fn, eps);
        double[] loss = new double[yTrue.length];
        for (int i = 0; i < yTrue.length; i++) {
            double p = clip(probabilityOfPositive[i], eps);
            double q = 1 - p;
            loss[i] = -Math.log((yTrue[i] == 1 ? p : q) / (q + p));
        }
        return reduce(fn, loss, sampleWeight, normalize);
    }

    private static double clip(double p, double eps) {
        return Math.min(Math.max(p, eps), 1 - eps);       // np.clip(p, eps, 1 - eps)
    }

    private static void checkEps(String fn, double eps) {
        if (!(eps >= 0 && eps < 0.5)) {
            throw new IllegalArgumentException(fn + ": eps = " + eps + " is not in [0, 0.5)");
        }
    }

    /** scikit-learn's _weighted_sum. */
    private static double reduce(String fn, double[] loss, double[] sampleWeight, boolean normalize) {
        if (normalize) {
            return NumpySum.average(fn, loss, sampleWeight);
        }
        return sampleWeight == null ? NumpySum.sum(loss) : NumpySum.sequentialDot(loss, sampleWeight);
    }

    // ------------------------------------------------------------------------------------ calibration

    /** Expected calibration error with {@code numBins} equal-width bins; see {@link #calibrationBins}. */
    public static double expectedCalibrationError(int[] yTrue, double[][] probabilities, int numBins) {
        return calibrationBins(yTrue, probabilities, numBins).expectedCalibrationError();
    }

    /**
     * Top-label calibration bins (Guo et al. 2017, "On Calibration of Modern Neural Networks"): a
     * sample's confidence is its largest probability, its prediction that column (the first one on
     * ties, as argmax), and it falls in bin m of {@code numBins} when its confidence lies in
     * (m/M, (m+1)/M] (confidence 0 in the first bin). Entries must lie in [0, 1]; rows need not sum
     * to 1.
     */
    public static CalibrationBins calibrationBins(int[] yTrue, double[][] probabilities, int numBins) {
        String fn = "calibrationBins";
        Arguments.notNull(fn, "yTrue", yTrue);
        int c = Arguments.matrix(fn, "probabilities", probabilities, yTrue.length, "yTrue", 1);
        Arguments.classIndices(fn, "yTrue", yTrue, c, "columns of probabilities");
        if (numBins < 1) {
            throw new IllegalArgumentException(fn + ": numBins = " + numBins + " must be at least 1");
        }
        long[] counts = new long[numBins];
        double[] correct = new double[numBins];
        double[] confidenceSum = new double[numBins];
        for (int i = 0; i < yTrue.length; i++) {
            int predicted = 0;
            for (int j = 0; j < c; j++) {
                Arguments.probability(fn, "probabilities", probabilities[i][j], "[" + i + "][" + j + "]");
                if (probabilities[i][j] > probabilities[i][predicted]) {
                    predicted = j;
                }
            }
            double confidence = probabilities[i][predicted];
            int m = bin(confidence, numBins);
            counts[m]++;
            correct[m] += predicted == yTrue[i] ? 1 : 0;
            confidenceSum[m] += confidence;
        }
        double[] accuracy = new double[numBins];
        double[] meanConfidence = new double[numBins];
        for (int m = 0; m < numBins; m++) {
            accuracy[m] = counts[m] == 0 ? Double.NaN : correct[m] / counts[m];
            meanConfidence[m] = counts[m] == 0 ? Double.NaN : confidenceSum[m] / counts[m];
        }
        return new CalibrationBins(counts, accuracy, meanConfidence);
    }

    /**
     * The bin of a confidence, with edges computed as m / M in double exactly as the definition
     * reads, so a confidence equal to an edge lands in the lower bin whatever rounding ceil() saw.
     */
    private static int bin(double confidence, int numBins) {
        int m = Math.clamp((long) Math.ceil(confidence * numBins) - 1, 0, numBins - 1);
        while (m > 0 && confidence <= (double) m / numBins) {
            m--;
        }
        while (m < numBins - 1 && confidence > (double) (m + 1) / numBins) {
            m++;
        }
        return m;
    }
}
