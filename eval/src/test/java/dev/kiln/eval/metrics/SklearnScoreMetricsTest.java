package dev.kiln.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.eval.metrics.MetricFixture.Case;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Top-k accuracy, ROC curves and AUC, log loss, expected calibration error, regression and
 * language-model metrics against the fixture's reference values (scikit-learn; scipy for
 * log-sum-exp; a naive loop for ECE).
 */
class SklearnScoreMetricsTest {

    @TestFactory
    Stream<DynamicTest> topKAccuracy() throws IOException {
        return cases("topk", (c, tol) -> {
            int[] y = c.ints("y_true");
            double[][] scores = c.matrix("scores");
            int k = c.ints("k")[0];
            double[] w = c.doublesOrNull("sample_weight");
            scalar(tol, c, "topk", () -> RankingMetrics.topKAccuracy(y, scores, k, w));
            scalar(tol, c, "topk_count", () -> RankingMetrics.topKCorrectCount(y, scores, k, w));
        });
    }

    @TestFactory
    Stream<DynamicTest> topKAccuracyOfBinaryScores() throws IOException {
        return cases("topk_binary", (c, tol) -> scalar(tol, c, "topk", () -> RankingMetrics.topKAccuracy(
                c.ints("y_true"), c.doubles("scores"), c.ints("k")[0], c.doublesOrNull("sample_weight"))));
    }

    @TestFactory
    Stream<DynamicTest> binaryRocAucAndCurve() throws IOException {
        return cases("roc_binary", (c, tol) -> {
            int[] y = c.ints("y_true");
            double[] s = c.doubles("scores");
            double[] w = c.doublesOrNull("sample_weight");
            scalar(tol, c, "auc", () -> RankingMetrics.rocAuc(y, s, w));
            if (c.has("partial_auc")) {
                double maxFpr = c.scalar("max_fpr");
                scalar(tol, c, "partial_auc", () -> RankingMetrics.partialRocAuc(y, s, w, maxFpr));
            }
            if (c.has("curve.fpr")) {
                RocCurve curve = RankingMetrics.rocCurve(y, s, w, true);
                tol.check("curve.fpr", c.doubles("curve.fpr"), curve.falsePositiveRate());
                tol.check("curve.tpr", c.doubles("curve.tpr"), curve.truePositiveRate());
                tol.check("curve.thresholds", c.doubles("curve.thresholds"), curve.thresholds());
                // dropping collinear points must not change the area
                tol.check("curve_all.area", c.scalar("auc"), RankingMetrics.rocCurve(y, s, w, false).area());
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> oneVsRestRocAuc() throws IOException {
        return cases("roc_ovr", (c, tol) -> {
            int[] y = c.ints("y_true");
            double[][] p = c.matrix("probabilities");
            double[] w = c.doublesOrNull("sample_weight");
            for (Average average : new Average[] {Average.MACRO, Average.WEIGHTED, Average.MICRO}) {
                scalar(tol, c, "ovr." + average.name().toLowerCase(), () -> RankingMetrics.rocAucOvr(y, p, average, w));
            }
            if (c.raised("ovr.none")) {
                tol.checkRaises("ovr.none", () -> RankingMetrics.rocAucOvrPerClass(y, p, w));
            } else {
                tol.check("ovr.none", c.doubles("ovr.none"), RankingMetrics.rocAucOvrPerClass(y, p, w));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> logLoss() throws IOException {
        return cases("log_loss", (c, tol) -> {
            int[] y = c.ints("y_true");
            double[][] p = c.matrix("probabilities");
            double[] w = c.doublesOrNull("sample_weight");
            scalar(tol, c, "log_loss", () -> ProbabilityMetrics.logLoss(y, p, w));
            scalar(tol, c, "log_loss_sum", () -> ProbabilityMetrics.logLoss(y, p, w, ProbabilityMetrics.DEFAULT_EPS, false));
            scalar(tol, c, "log_loss_eps", () -> ProbabilityMetrics.logLoss(y, p, w, 1e-3, true));
        });
    }

    @TestFactory
    Stream<DynamicTest> binaryLogLoss() throws IOException {
        return cases("log_loss_binary", (c, tol) -> scalar(tol, c, "log_loss",
                () -> ProbabilityMetrics.logLoss(c.ints("y_true"), c.doubles("probabilities"))));
    }

    @TestFactory
    Stream<DynamicTest> expectedCalibrationError() throws IOException {
        return cases("ece", (c, tol) -> scalar(tol, c, "ece", () -> ProbabilityMetrics.expectedCalibrationError(
                c.ints("y_true"), c.matrix("probabilities"), c.ints("n_bins")[0])));
    }

    @TestFactory
    Stream<DynamicTest> regression() throws IOException {
        return cases("regression", (c, tol) -> {
            double[] y = c.doubles("y_true");
            double[] p = c.doubles("y_pred");
            double[] w = c.doublesOrNull("sample_weight");
            scalar(tol, c, "mae", () -> RegressionMetrics.meanAbsoluteError(y, p, w));
            scalar(tol, c, "mse", () -> RegressionMetrics.meanSquaredError(y, p, w));
            scalar(tol, c, "rmse", () -> RegressionMetrics.rootMeanSquaredError(y, p, w));
            scalar(tol, c, "mape", () -> RegressionMetrics.meanAbsolutePercentageError(y, p, w));
            scalar(tol, c, "r2", () -> RegressionMetrics.r2Score(y, p, w, true));
            scalar(tol, c, "r2_not_forced", () -> RegressionMetrics.r2Score(y, p, w, false));
        });
    }

    @TestFactory
    Stream<DynamicTest> languageModel() throws IOException {
        return cases("lm", (c, tol) -> {
            double[][] logits = c.matrix("logits");
            int[] targets = c.ints("targets");
            double[] nll = LanguageModelMetrics.tokenNll(logits, targets);
            tol.check("nll", c.doubles("nll"), nll);
            tol.check("mean_nll", c.scalar("mean_nll"), LanguageModelMetrics.meanNll(nll));
            tol.check("perplexity", c.scalar("perplexity"), LanguageModelMetrics.perplexity(nll));
            double total = NumpySum.sum(nll);
            tol.check("bits_per_char", c.scalar("bits_per_char"),
                    LanguageModelMetrics.bitsPerCharacter(total, c.ints("chars")[0]));
            tol.check("bits_per_byte", c.scalar("bits_per_byte"),
                    LanguageModelMetrics.bitsPerByte(total, c.ints("bytes")[0]));
            NllSummary summary = NllSummary.EMPTY.plus(Arrays.copyOf(nll, nll.length / 2))
                    .plus(Arrays.copyOfRange(nll, nll.length / 2, nll.length));
            tol.check("summary.perplexity", c.scalar("perplexity"), summary.perplexity());
            // the float overload: logits rounded to float, so compare against the double path on the same floats
            float[] flat = new float[logits.length * logits[0].length];
            double[][] rounded = new double[logits.length][logits[0].length];
            for (int t = 0; t < logits.length; t++) {
                for (int j = 0; j < logits[0].length; j++) {
                    flat[t * logits[0].length + j] = (float) logits[t][j];
                    rounded[t][j] = (float) logits[t][j];
                }
            }
            tol.check("nll.float", LanguageModelMetrics.tokenNll(rounded, targets),
                    LanguageModelMetrics.tokenNll(flat, logits[0].length, targets));
        });
    }

    // ------------------------------------------------------------------------------------ helpers

    private interface CaseCheck {
        void check(Case c, Tolerance tol);
    }

    private static Stream<DynamicTest> cases(String kind, CaseCheck check) throws IOException {
        List<Case> cases = MetricFixture.load(kind);
        assertFalse(cases.isEmpty(), "no '" + kind + "' cases in the fixture");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tolerance tol = new Tolerance(c.toString());
            check.check(c, tol);
            tol.verify();
        }));
    }

    private static void scalar(Tolerance tol, Case c, String key, DoubleSupplier value) {
        if (c.raised(key)) {
            tol.checkRaises(key, value::getAsDouble);
        } else {
            tol.check(key, c.scalar(key), value.getAsDouble());
        }
    }

}
