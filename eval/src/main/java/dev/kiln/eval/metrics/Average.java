package dev.kiln.eval.metrics;

/**
 * How per-class scores are combined into one number (scikit-learn's {@code average} argument).
 * Per-class scores without averaging (scikit-learn's {@code average=None}) come from
 * {@link ClassificationMetrics#perClass} and {@link RankingMetrics#rocAucOvrPerClass}.
 */
public enum Average {
    /** The scores of {@link PrecisionRecallOptions#posLabel()} alone; the targets must hold at most two labels. */
    BINARY,
    /** One score from the counts summed over all classes (true positives, predictions, true samples). */
    MICRO,
    /** The unweighted mean of the per-class scores. */
    MACRO,
    /** The mean of the per-class scores weighted by each class's support (its weighted count in yTrue). */
    WEIGHTED
}
