package dev.kiln.eval.metrics;

/**
 * Regression and forecasting metrics of a single output, as scikit-learn 1.2.1 defines them
 * ({@code mean_absolute_error}, {@code mean_squared_error}, {@code mean_absolute_percentage_error},
 * {@code r2_score}) and tested against values it computed. Inputs are finite; sample weights may be
 * null, else finite and non-negative with a positive sum. Stateless and thread-safe.
 */
public final class RegressionMetrics {
    /** MAPE's floor on |yTrue|: float64 machine epsilon, as in scikit-learn. */
    public static final double MAPE_EPSILON = Math.ulp(1.0);

    private RegressionMetrics() {}

    public static double meanAbsoluteError(double[] yTrue, double[] yPred) {
        return meanAbsoluteError(yTrue, yPred, null);
    }

    /** The (weighted) mean of |yPred - yTrue|. */
    public static double meanAbsoluteError(double[] yTrue, double[] yPred, double[] sampleWeight) {
        String fn = "meanAbsoluteError";
        check(fn, yTrue, yPred, sampleWeight);
        double[] e = new double[yTrue.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = Math.abs(yPred[i] - yTrue[i]);
        }
        return NumpySum.average(fn, e, sampleWeight);
    }

    public static double meanSquaredError(double[] yTrue, double[] yPred) {
        return meanSquaredError(yTrue, yPred, null);
    }

    /** The (weighted) mean of (yTrue - yPred)². */
    public static double meanSquaredError(double[] yTrue, double[] yPred, double[] sampleWeight) {
        String fn = "meanSquaredError";
        check(fn, yTrue, yPred, sampleWeight);
        return NumpySum.average(fn, squaredErrors(yTrue, yPred), sampleWeight);
    }

    public static double rootMeanSquaredError(double[] yTrue, double[] yPred) {
        return rootMeanSquaredError(yTrue, yPred, null);
    }

    /** The square root of the (weighted) mean squared error (scikit-learn's {@code squared=False}). */
    public static double rootMeanSquaredError(double[] yTrue, double[] yPred, double[] sampleWeight) {
        String fn = "rootMeanSquaredError";
        check(fn, yTrue, yPred, sampleWeight);
        return Math.sqrt(NumpySum.average(fn, squaredErrors(yTrue, yPred), sampleWeight));
    }

    public static double meanAbsolutePercentageError(double[] yTrue, double[] yPred) {
        return meanAbsolutePercentageError(yTrue, yPred, null);
    }

    /**
     * The (weighted) mean of |yPred - yTrue| / max(|yTrue|, ε) with ε = 2^-52 — a fraction, not a
     * percentage (0.05 means 5%); a zero target gives a huge but finite term, as in scikit-learn.
     */
    public static double meanAbsolutePercentageError(double[] yTrue, double[] yPred, double[] sampleWeight) {
        String fn = "meanAbsolutePercentageError";
        check(fn, yTrue, yPred, sampleWeight);
        double[] e = new double[yTrue.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = Math.abs(yPred[i] - yTrue[i]) / Math.max(Math.abs(yTrue[i]), MAPE_EPSILON);
        }
        return NumpySum.average(fn, e, sampleWeight);
    }

    public static double r2Score(double[] yTrue, double[] yPred) {
        return r2Score(yTrue, yPred, null, true);
    }

    /**
     * The coefficient of determination 1 - Σw(y - ŷ)² / Σw(y - ȳ)², ȳ the weighted mean of yTrue
     * (scikit-learn's {@code r2_score}). Fewer than two samples give NaN. With {@code forceFinite}
     * (scikit-learn's default) a perfect prediction gives 1 even for a constant target, and an
     * imperfect one of a constant target gives 0 instead of -∞; without it the plain formula
     * applies (NaN or -∞). "Constant" means the computed deviations are exactly zero: a mean that
     * does not round back to the constant leaves a tiny denominator, exactly as in scikit-learn.
     */
    public static double r2Score(double[] yTrue, double[] yPred, double[] sampleWeight, boolean forceFinite) {
        String fn = "r2Score";
        check(fn, yTrue, yPred, sampleWeight);
        if (yTrue.length < 2) {
            return Double.NaN;
        }
        int n = yTrue.length;
        double[] residual = squaredErrors(yTrue, yPred);
        double mean = NumpySum.average(fn, yTrue, sampleWeight);
        double[] deviation = new double[n];
        for (int i = 0; i < n; i++) {
            double d = yTrue[i] - mean;
            deviation[i] = d * d;
        }
        if (sampleWeight != null) {
            for (int i = 0; i < n; i++) {
                residual[i] *= sampleWeight[i];
                deviation[i] *= sampleWeight[i];
            }
        }
        double numerator = NumpySum.sum(residual);
        double denominator = NumpySum.sum(deviation);
        if (!forceFinite) {
            return 1 - numerator / denominator;
        }
        if (numerator == 0) {
            return 1.0;
        }
        return denominator == 0 ? 0.0 : 1 - numerator / denominator;
    }

    private static double[] squaredErrors(double[] yTrue, double[] yPred) {
        double[] e = new double[yTrue.length];
        for (int i = 0; i < e.length; i++) {
            double d = yTrue[i] - yPred[i];
            e[i] = d * d;
        }
        return e;
    }

    private static void check(String fn, double[] yTrue, double[] yPred, double[] sampleWeight) {
        Arguments.finite(fn, "yTrue", yTrue);
        Arguments.finite(fn, "yPred", yPred);
        Arguments.sameLength(fn, "yTrue", yTrue.length, "yPred", yPred.length);
        Arguments.nonEmpty(fn, "yTrue", yTrue.length);
        Arguments.sampleWeight(fn, sampleWeight, yTrue.length);
    }
}
