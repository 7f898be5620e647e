package dev.kiln.eval.metrics;

import static dev.kiln.eval.metrics.ClassificationMetricsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed values of the score and probability metrics beyond the fixture (two-column top-k,
 * calibration bins, language-model counts, numpy's summation order) and their argument errors.
 */
class ScoreMetricsTest {

    @Test
    void topKTiesRankTheHigherClassFirst() {
        // row scores tie between classes 0 and 1: scikit-learn's reversed stable sort puts class 1 first,
        // so with k = 1 only true class 1 is a hit; also applied to two columns (which scikit-learn refuses)
        double[][] tied = {{0.5, 0.5}, {0.5, 0.5}};
        assertEquals(0.5, RankingMetrics.topKAccuracy(new int[] {0, 1}, tied, 1));
        double[][] three = {{0.4, 0.4, 0.2}, {0.2, 0.4, 0.4}};
        assertEquals(0.0, RankingMetrics.topKAccuracy(new int[] {0, 1}, three, 1));
        assertEquals(1.0, RankingMetrics.topKAccuracy(new int[] {0, 1}, three, 2));
    }

    @Test
    void rocAucCountsTiesAsHalf() {
        // one positive and one negative tied at 0.5: the single diagonal step has area 1/2
        assertEquals(0.5, RankingMetrics.rocAuc(new int[] {1, 0}, new double[] {0.5, 0.5}));
        // pairs (pos, neg): (0.9, 0.1) right, (0.9, 0.5) right, (0.5, 0.1) right, (0.5, 0.5) tie -> 3.5 / 4
        assertEquals(0.875, RankingMetrics.rocAuc(new int[] {1, 1, 0, 0}, new double[] {0.9, 0.5, 0.5, 0.1}));
    }

    @Test
    void calibrationBinsByHand() {
        // confidences 0.9 (right), 0.6 (wrong), 0.6 (right), 0.5 (right, exactly on the edge of bins 0 and 1 of 2)
        double[][] p = {{0.1, 0.9}, {0.6, 0.4}, {0.4, 0.6}, {0.5, 0.5}};
        int[] y = {1, 1, 1, 0};
        CalibrationBins bins = ProbabilityMetrics.calibrationBins(y, p, 2);
        assertArrayEquals(new long[] {1, 3}, bins.counts());
        assertArrayEquals(new double[] {1.0, 2.0 / 3}, bins.accuracy(), 1e-15);
        assertArrayEquals(new double[] {0.5, 0.7}, bins.confidence(), 1e-15);
        // ECE = 1/4 * |1 - 0.5| + 3/4 * |2/3 - 0.7|
        assertEquals(0.25 * 0.5 + 0.75 * (0.7 - 2.0 / 3), bins.expectedCalibrationError(), 1e-15);
        assertEquals(0.5, bins.maximumCalibrationError());
        assertEquals(Double.NaN, ProbabilityMetrics.calibrationBins(y, p, 10).accuracy()[0]);
    }

    @Test
    void languageModelCountsCharactersAsCodePointsAndBytesAsUtf8() {
        double[] nll = {Math.log(2), Math.log(2), Math.log(2)};     // three tokens of one bit each
        assertEquals(2.0, LanguageModelMetrics.perplexity(nll), 1e-15);
        assertEquals(1.0, LanguageModelMetrics.bitsPerCharacter(nll, "a€c"), 1e-15);   // 3 code points
        assertEquals(0.6, LanguageModelMetrics.bitsPerByte(nll, "a€c"), 1e-15);        // 5 UTF-8 bytes
        assertEquals(1.0, LanguageModelMetrics.bitsPerCharacter(nll, "a\uD83D\uDE00c"), 1e-15);  // a surrogate pair is one
        // logits of 1000 would overflow exp() without the max shift
        double[] big = LanguageModelMetrics.tokenNll(new double[][] {{1000, 1000}}, new int[] {0});
        assertEquals(Math.log(2), big[0], 1e-12);   // 1000 + ln 2 keeps only ~13 digits of ln 2
        assertEquals(2.0, NllSummary.EMPTY.plus(nll).perplexity(), 1e-15);
    }

    @Test
    void numpySumOrder() {
        // np.mean([0.1] * 7) == 0.09999999999999999 in numpy 1.24 (a plain loop gives the same here);
        // for 200 values the pairwise order differs from a left-to-right loop
        double[] sevenTenths = new double[7];
        Arrays.fill(sevenTenths, 0.1);
        assertEquals(0.09999999999999999, NumpySum.mean(sevenTenths));
        double[] many = new double[200];
        for (int i = 0; i < many.length; i++) {
            many[i] = 1.0 / (i + 1) * (i % 3 == 0 ? -1 : 1) * 1e3;
        }
        // a = [1/(i+1) * (-1 if i % 3 == 0 else 1) * 1e3 for i in range(200)]: repr(np.sum(np.array(a))) in
        // numpy 1.24.2 is 988.5342374320521, while Python's left-to-right sum(a) is 988.5342374320516
        assertEquals(988.5342374320521, NumpySum.sum(many));
    }

    @Test
    void badScoreInputNamesTheArgumentAndValues() {
        double[][] ragged = {{0.5, 0.5}, {0.2, 0.3, 0.5}};
        assertMessage("logLoss: probabilities row 1 has 3 entries but row 0 has 2 (one column per class)",
                () -> ProbabilityMetrics.logLoss(new int[] {0, 1}, ragged));
        assertMessage("logLoss: yTrue[1] = 2 is outside the 2 classes 0..1 (columns of probabilities)",
                () -> ProbabilityMetrics.logLoss(new int[] {0, 2}, new double[][] {{0.5, 0.5}, {0.5, 0.5}}));
        assertMessage("logLoss: probabilities has 1 rows but yTrue has 2 entries",
                () -> ProbabilityMetrics.logLoss(new int[] {0, 1}, new double[][] {{0.5, 0.5}}));
        assertMessage("logLoss: probabilities has 1 columns; at least 2 classes are needed",
                () -> ProbabilityMetrics.logLoss(new int[] {0}, new double[][] {{1.0}}));
        assertMessage("logLoss: probabilities[0][1] = NaN is not finite",
                () -> ProbabilityMetrics.logLoss(new int[] {0}, new double[][] {{1.0, Double.NaN}}));
        assertMessage("rocAuc: yTrue holds only one class (2 positive and 0 negative samples), so ROC AUC is undefined"
                        + " (scikit-learn: 'Only one class present in y_true')",
                () -> RankingMetrics.rocAuc(new int[] {1, 1}, new double[] {0.2, 0.8}));
        assertMessage("rocAuc: yTrue[0] = 2 is not a binary label (0 = negative, 1 = positive)",
                () -> RankingMetrics.rocAuc(new int[] {2, 1}, new double[] {0.2, 0.8}));
        assertMessage("rocAucOvr: yTrue holds only one class for the one-vs-rest split of class 2 (0 positive and 3"
                        + " negative samples), so ROC AUC is undefined (scikit-learn: 'Only one class present in y_true')",
                () -> RankingMetrics.rocAucOvr(new int[] {0, 1, 0}, new double[][] {{.5, .3, .2}, {.2, .5, .3}, {.6, .2, .2}},
                        Average.MACRO));
        assertMessage("rocAucOvr: probabilities row 0 sums to 0.8999999999999999, not 1; one-vs-rest ROC AUC needs probabilities",
                () -> RankingMetrics.rocAucOvr(new int[] {0, 1, 2}, new double[][] {{.5, .2, .2}, {.2, .5, .3}, {.2, .2, .6}},
                        Average.MACRO));
        assertMessage("partialRocAuc: maxFpr = 0.0 is not in (0, 1]",
                () -> RankingMetrics.partialRocAuc(new int[] {0, 1}, new double[] {0.2, 0.8}, null, 0));
        assertMessage("topKAccuracy: k = 0 must be at least 1",
                () -> RankingMetrics.topKAccuracy(new int[] {0}, new double[][] {{0.5, 0.5}}, 0));
        assertMessage("calibrationBins: probabilities[0][0] = 1.5 is not a probability in [0, 1]",
                () -> ProbabilityMetrics.calibrationBins(new int[] {0}, new double[][] {{1.5, 0}}, 10));
        assertMessage("meanSquaredError: yTrue has 2 entries but yPred has 3",
                () -> RegressionMetrics.meanSquaredError(new double[] {1, 2}, new double[] {1, 2, 3}));
        assertMessage("r2Score: yPred[0] = Infinity is not finite",
                () -> RegressionMetrics.r2Score(new double[] {1, 2}, new double[] {Double.POSITIVE_INFINITY, 2}));
        assertMessage("tokenNll: targets[0] = 3 is outside the 3 classes 0..2 (the vocabulary: columns of logits)",
                () -> LanguageModelMetrics.tokenNll(new double[][] {{0, 0, 0}}, new int[] {3}));
        assertMessage("tokenNll: logits has 5 entries, expected targets.length 2 x vocabSize 3",
                () -> LanguageModelMetrics.tokenNll(new float[5], 3, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> LanguageModelMetrics.meanNll(new double[] {-0.1}));
    }
}
