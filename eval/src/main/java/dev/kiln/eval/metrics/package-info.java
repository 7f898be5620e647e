/**
 * Metric functions over plain Java arrays, each following a named reference definition and tested
 * against values that reference computed ({@code src/test/python/metric_fixtures.py}):
 * <ul>
 *   <li>{@link dev.kiln.eval.metrics.ClassificationMetrics}: accuracy, confusion matrix, precision /
 *       recall / F-beta per class and averaged (micro, macro, weighted, binary), the classification
 *       report — scikit-learn 1.2.1, including its labels, sample-weight and zero-division rules;</li>
 *   <li>{@link dev.kiln.eval.metrics.RankingMetrics}: top-k accuracy and ROC AUC (binary, partial,
 *       one-vs-rest) — scikit-learn;</li>
 *   <li>{@link dev.kiln.eval.metrics.ProbabilityMetrics}: log loss (scikit-learn) and expected
 *       calibration error (Guo et al. 2017);</li>
 *   <li>{@link dev.kiln.eval.metrics.RegressionMetrics}: MAE, MSE, RMSE, MAPE, R² — scikit-learn;</li>
 *   <li>{@link dev.kiln.eval.metrics.LanguageModelMetrics}: per-token NLL, perplexity, bits per
 *       character and per byte.</li>
 * </ul>
 * Sums follow numpy's pairwise order, so results usually match the reference to the last bit.
 * Bad input throws {@link java.lang.IllegalArgumentException} naming the function, the argument
 * and the offending values.
 */
package dev.kiln.eval.metrics;
