package dev.kiln.apps.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The confusion counts of a binary classifier and the metrics scikit-learn derives from them,
 * with class 1 (spam) positive: accuracy, precision {@code tp / (tp + fp)}, recall {@code tp / (tp
 * + fn)} and F1 {@code 2tp / (2tp + fp + fn)}, each 0 where its denominator is 0 (sklearn's
 * {@code zero_division=0}). A stand-in for the shared metric library of the eval module.
 */
record ConfusionCounts(long tp, long fp, long tn, long fn) {
    ConfusionCounts {
        if (tp < 0 || fp < 0 || tn < 0 || fn < 0) {
            throw new IllegalArgumentException("ConfusionCounts: counts must be >= 0, got tp " + tp + ", fp " + fp
                    + ", tn " + tn + ", fn " + fn);
        }
    }

    /** Counts of {@code predicted} against {@code actual} (0 or 1 each, same length). */
    static ConfusionCounts of(int[] actual, int[] predicted) {
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("ConfusionCounts.of: " + actual.length + " labels but " + predicted.length
                    + " predictions");
        }
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < actual.length; i++) {
            if ((actual[i] != 0 && actual[i] != 1) || (predicted[i] != 0 && predicted[i] != 1)) {
                throw new IllegalArgumentException("ConfusionCounts.of: labels must be 0 or 1, got " + actual[i] + " and "
                        + predicted[i] + " at index " + i);
            }
            if (actual[i] == 1) {
                if (predicted[i] == 1) {
                    tp++;
                } else {
                    fn++;
                }
            } else if (predicted[i] == 1) {
                fp++;
            } else {
                tn++;
            }
        }
        return new ConfusionCounts(tp, fp, tn, fn);
    }

    long total() {
        return tp + fp + tn + fn;
    }

    double accuracy() {
        return ratio(tp + tn, total());
    }

    double precision() {
        return ratio(tp, tp + fp);
    }

    double recall() {
        return ratio(tp, tp + fn);
    }

    double f1() {
        return ratio(2 * tp, 2 * tp + fp + fn);
    }

    /** sklearn's {@code confusion_matrix(y_true, y_pred)} layout: rows actual, columns predicted, [[tn, fp], [fn, tp]]. */
    List<List<Long>> matrix() {
        return List.of(List.of(tn, fp), List.of(fn, tp));
    }

    /** The metrics and the matrix as a JSON object. */
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy());
        m.put("precision", precision());
        m.put("recall", recall());
        m.put("f1", f1());
        m.put("confusion_matrix", matrix());
        m.put("tp", tp);
        m.put("fp", fp);
        m.put("tn", tn);
        m.put("fn", fn);
        return m;
    }

    private static double ratio(long num, long den) {
        return den == 0 ? 0.0 : (double) num / den;
    }
}
