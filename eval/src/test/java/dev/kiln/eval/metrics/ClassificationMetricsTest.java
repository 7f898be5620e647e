package dev.kiln.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hand-computed cases the fixture cannot cover: zero division NaN (scikit-learn >= 1.3, newer than
 * the installed reference), the text report (scikit-learn's output pasted below), numClasses, and
 * the argument errors.
 */
class ClassificationMetricsTest {
    private static final PrecisionRecallOptions NAN = PrecisionRecallOptions.defaults().withZeroDivision(ZeroDivision.NAN);

    @Test
    void zeroDivisionNaNLeavesUndefinedClassesOutOfAverages() {
        // class 0: tp 2, predicted 4, true 2 -> P 1/2, R 1, F 2*2/(2+4) = 2/3
        // class 1: tp 0, predicted 0, true 2 -> P NaN, R 0, F 0/(2+0) = 0 (defined: the class is true somewhere)
        // class 2: never true nor predicted   -> P, R, F all NaN
        int[] yTrue = {0, 0, 1, 1};
        int[] yPred = {0, 0, 0, 0};
        PrecisionRecallOptions o = NAN.withLabels(0, 1, 2);
        PerClassScores s = ClassificationMetrics.perClass(yTrue, yPred, o);
        assertArrayEquals(new double[] {0.5, Double.NaN, Double.NaN}, s.precision());
        assertArrayEquals(new double[] {1.0, 0.0, Double.NaN}, s.recall());
        assertArrayEquals(new double[] {2.0 / 3, 0.0, Double.NaN}, s.fscore(), 1e-15);
        assertEquals(new PrecisionRecallFscore(0.5, 0.5, 1.0 / 3),
                round(ClassificationMetrics.averaged(yTrue, yPred, Average.MACRO, o)));
        // weights = support (2, 2, 0); precision keeps class 0 alone
        assertEquals(new PrecisionRecallFscore(0.5, 0.5, 1.0 / 3),
                round(ClassificationMetrics.averaged(yTrue, yPred, Average.WEIGHTED, o)));
        assertEquals(new PrecisionRecallFscore(0.5, 0.5, 0.5),
                ClassificationMetrics.averaged(yTrue, yPred, Average.MICRO, o));
    }

    @Test
    void zeroDivisionNaNWithNothingDefinedGivesNaN() {
        PrecisionRecallOptions o = NAN.withLabels(5);
        for (Average average : new Average[] {Average.MACRO, Average.WEIGHTED, Average.MICRO}) {
            PrecisionRecallFscore s = ClassificationMetrics.averaged(new int[] {0, 1}, new int[] {0, 1}, average, o);
            assertTrue(Double.isNaN(s.precision()) && Double.isNaN(s.recall()) && Double.isNaN(s.fscore()),
                    average + ": " + s);
        }
        // label 1 predicted once, never true: P 0, R NaN, F 0/(0+1) = 0; all support zero, so the weighted
        // mean falls back to the plain mean of the defined values
        PrecisionRecallFscore w = ClassificationMetrics.averaged(new int[] {0, 0}, new int[] {1, 0}, Average.WEIGHTED,
                NAN.withLabels(1, 2));
        assertEquals(0.0, w.precision());
        assertTrue(Double.isNaN(w.recall()));
        assertEquals(0.0, w.fscore());
    }

    @Test
    void zeroDivisionOneAndZeroOnAClassNeverPredicted() {
        int[] yTrue = {0, 0, 1};
        int[] yPred = {0, 0, 0};
        PerClassScores one = ClassificationMetrics.perClass(yTrue, yPred,
                PrecisionRecallOptions.defaults().withZeroDivision(ZeroDivision.ONE));
        assertArrayEquals(new double[] {2.0 / 3, 1.0}, one.precision());
        assertArrayEquals(new double[] {1.0, 0.0}, one.recall());
        assertArrayEquals(new double[] {0.8, 0.0}, one.fscore(), 1e-15);
        PerClassScores warn = ClassificationMetrics.perClass(yTrue, yPred, PrecisionRecallOptions.defaults());
        assertArrayEquals(new double[] {2.0 / 3, 0.0}, warn.precision());
    }

    @Test
    void reportTextMatchesScikitLearn() {
        // classification_report([0,1,2,2,2], [0,0,2,2,1], digits=2) from scikit-learn 1.2.1
        String expected = """
                              precision    recall  f1-score   support

                           0       0.50      1.00      0.67         1
                           1       0.00      0.00      0.00         1
                           2       1.00      0.67      0.80         3

                    accuracy                           0.60         5
                   macro avg       0.50      0.56      0.49         5
                weighted avg       0.70      0.60      0.61         5
                """;
        assertEquals(expected, ClassificationMetrics.report(new int[] {0, 1, 2, 2, 2}, new int[] {0, 0, 2, 2, 1}).format(2));
        // classification_report([1,1,0,3], [1,1,0,0], labels=[1,2,3], digits=3): labels miss 0, so a micro avg line
        String micro = """
                              precision    recall  f1-score   support

                           1      1.000     1.000     1.000         2
                           2      0.000     0.000     0.000         0
                           3      0.000     0.000     0.000         1

                   micro avg      1.000     0.667     0.800         3
                   macro avg      0.333     0.333     0.333         3
                weighted avg      0.667     0.667     0.667         3
                """;
        ClassificationReport r = ClassificationMetrics.report(new int[] {1, 1, 0, 3}, new int[] {1, 1, 0, 0},
                PrecisionRecallOptions.defaults().withLabels(1, 2, 3));
        assertEquals(micro, r.format(3));
        assertTrue(r.accuracy().isEmpty());
        // digits=4, where Python rounds the exact binary value (0.7916666... -> 0.7917)
        String four = """
                              precision    recall  f1-score   support

                           0     0.6667    1.0000    0.8000         2
                           1     0.6667    0.6667    0.6667         3
                           2     1.0000    0.6667    0.8000         3

                    accuracy                         0.7500         8
                   macro avg     0.7778    0.7778    0.7556         8
                weighted avg     0.7917    0.7500    0.7500         8
                """;
        assertEquals(four, ClassificationMetrics.report(new int[] {0, 1, 1, 0, 2, 2, 2, 1},
                new int[] {0, 1, 0, 0, 2, 1, 2, 1}).format(4));
    }

    @Test
    void numClassesReportsEveryClassAndRejectsLabelsOutOfRange() {
        PerClassScores s = ClassificationMetrics.perClass(new int[] {0, 2}, new int[] {0, 2},
                PrecisionRecallOptions.defaults().withNumClasses(4));
        assertArrayEquals(new int[] {0, 1, 2, 3}, s.labels());
        assertArrayEquals(new double[] {1, 0, 1, 0}, s.support());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.perClass(
                new int[] {0, 1, 4}, new int[] {0, 1, 1}, PrecisionRecallOptions.defaults().withNumClasses(3)));
        assertEquals("perClass: yTrue[2] = 4 is outside the 3 classes 0..2 (numClasses = 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.confusionMatrix(new int[] {0, 1}, new int[] {0, -1}, 2));
        assertEquals("confusionMatrix: yPred[1] = -1 is outside the 2 classes 0..1 (numClasses = 2)", e.getMessage());
    }

    @Test
    void confusionMatrixOfClassIndices() {
        ConfusionMatrix m = ClassificationMetrics.confusionMatrix(new int[] {2, 0, 2, 2, 0, 1}, new int[] {0, 0, 2, 2, 0, 2}, 3);
        assertArrayEquals(new double[][] {{2, 0, 0}, {0, 0, 1}, {1, 0, 2}}, m.values());
        assertEquals(1.0, m.get(2, 0));
    }

    @Test
    void badInputNamesTheArgumentAndValues() {
        assertMessage("accuracy: yTrue has 3 entries but yPred has 2",
                () -> ClassificationMetrics.accuracy(new int[] {0, 1, 1}, new int[] {0, 1}));
        assertMessage("accuracy: yTrue is empty", () -> ClassificationMetrics.accuracy(new int[0], new int[0]));
        assertMessage("accuracy: sampleWeight has 1 entries but yTrue has 2",
                () -> ClassificationMetrics.accuracy(new int[] {0, 1}, new int[] {0, 1}, new double[] {1}));
        assertMessage("accuracy: sampleWeight[1] = -0.5 is not a finite, non-negative weight",
                () -> ClassificationMetrics.accuracy(new int[] {0, 1}, new int[] {0, 1}, new double[] {1, -0.5}));
        assertMessage("accuracy: the weights sum to zero, so the weighted average is undefined (numpy: 'Weights sum to"
                        + " zero, can't be normalized')",
                () -> ClassificationMetrics.accuracy(new int[] {0, 1}, new int[] {0, 1}, new double[] {0, 0}));
        assertMessage("averaged: average BINARY needs at most two labels in yTrue and yPred, got [0, 1, 2]; use MICRO,"
                        + " MACRO or WEIGHTED",
                () -> ClassificationMetrics.precision(new int[] {0, 1, 2}, new int[] {0, 1, 1}, Average.BINARY));
        assertMessage("averaged: posLabel = 1 is not one of the labels [0, 2]",
                () -> ClassificationMetrics.precision(new int[] {0, 2}, new int[] {0, 2}, Average.BINARY));
        assertMessage("perClass: labels [1, 1] lists 1 twice", () -> ClassificationMetrics.perClass(new int[] {1},
                new int[] {1}, PrecisionRecallOptions.defaults().withLabels(1, 1)));
        assertMessage("confusionMatrix: none of the labels [7, 8] occurs in yTrue (scikit-learn: 'At least one label"
                        + " specified must be in y_true')",
                () -> ClassificationMetrics.confusionMatrix(new int[] {0}, new int[] {0}, new int[] {7, 8}, null,
                        ConfusionMatrix.Normalization.NONE));
        assertMessage("PrecisionRecallOptions: beta = 0.0 must be finite and positive",
                () -> PrecisionRecallOptions.defaults().withBeta(0));
        assertMessage("report: the report shows F1, but options.beta = 2.0", () -> ClassificationMetrics.report(
                new int[] {0}, new int[] {0}, PrecisionRecallOptions.defaults().withBeta(2)));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    private static PrecisionRecallFscore round(PrecisionRecallFscore s) {
        return new PrecisionRecallFscore(round(s.precision()), round(s.recall()), round(s.fscore()));
    }

    private static double round(double v) {
        // the averages above are exact up to the last bit of 1/3
        return Math.abs(v - 1.0 / 3) < 1e-15 ? 1.0 / 3 : v;
    }
}
