package dev.kiln.eval.validation;

/**
 * A statistic of a data set seen through sample indices: {@link Bootstrap} calls it with 0..n-1 for
 * the estimate and with each resample's indices (drawn with replacement, so repeats occur). Select
 * the samples with {@link Bootstrap#select}, e.g.
 * <pre>{@code
 * ResampledStatistic accuracy = idx -> ClassificationMetrics.accuracy(
 *         Bootstrap.select(yTrue, idx), Bootstrap.select(yPred, idx));
 * }</pre>
 */
@FunctionalInterface
public interface ResampledStatistic {
    double apply(int[] indices);
}
