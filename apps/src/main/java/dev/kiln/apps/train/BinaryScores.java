package dev.kiln.apps.train;

import dev.kiln.eval.metrics.Average;
import dev.kiln.eval.metrics.ClassificationMetrics;
import dev.kiln.eval.metrics.ConfusionMatrix;
import dev.kiln.eval.metrics.PrecisionRecallFscore;
import dev.kiln.eval.metrics.PrecisionRecallOptions;
import dev.kiln.eval.metrics.ZeroDivision;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores of a binary classifier with class 1 (spam) positive, as {@code dev.kiln.eval.metrics}
 * computes them (scikit-learn's {@code accuracy_score}, {@code precision_recall_fscore_support(...,
 * average="binary", zero_division=0)} and {@code confusion_matrix}), kept with the confusion counts
 * for the reports {@code kiln train classify} writes.
 */
record BinaryScores(long tp, long fp, long tn, long fn, double accuracy, double precision, double recall, double f1) {
    private static final PrecisionRecallOptions BINARY = PrecisionRecallOptions.defaults()
            .withZeroDivision(ZeroDivision.ZERO).withLabels(0, 1);

    /** The scores of {@code predicted} against {@code actual} (0 or 1 each, same length). */
    static BinaryScores of(int[] actual, int[] predicted) {
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("BinaryScores.of: " + actual.length + " labels but " + predicted.length
                    + " predictions");
        }
        for (int i = 0; i < actual.length; i++) {
            if ((actual[i] != 0 && actual[i] != 1) || (predicted[i] != 0 && predicted[i] != 1)) {
                throw new IllegalArgumentException("BinaryScores.of: labels must be 0 or 1, got " + actual[i] + " and "
                        + predicted[i] + " at index " + i);
            }
        }
        ConfusionMatrix m = ClassificationMetrics.confusionMatrix(actual, predicted, 2);
        PrecisionRecallFscore prf = ClassificationMetrics.averaged(actual, predicted, Average.BINARY, BINARY);
        double accuracy = actual.length == 0 ? 0.0 : ClassificationMetrics.accuracy(actual, predicted);
        return new BinaryScores((long) m.get(1, 1), (long) m.get(0, 1), (long) m.get(0, 0), (long) m.get(1, 0), accuracy,
                prf.precision(), prf.recall(), prf.fscore());
    }

    long total() {
        return tp + fp + tn + fn;
    }

    /** sklearn's {@code confusion_matrix(y_true, y_pred)} layout: rows actual, columns predicted, [[tn, fp], [fn, tp]]. */
    List<List<Long>> matrix() {
        return List.of(List.of(tn, fp), List.of(fn, tp));
    }

    /** The metrics and the matrix as a JSON object. */
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy);
        m.put("precision", precision);
        m.put("recall", recall);
        m.put("f1", f1);
        m.put("confusion_matrix", matrix());
        m.put("tp", tp);
        m.put("fp", fp);
        m.put("tn", tn);
        m.put("fn", fn);
        return m;
    }
}
