/**
 * Validation splits and resampling: {@link dev.kiln.eval.validation.KFold} and
 * {@link dev.kiln.eval.validation.StratifiedKFold} cross-validation (fold sizes and per-class
 * allocation as scikit-learn 1.2.1), seeded {@link dev.kiln.eval.validation.TrainValTestSplit}s
 * (optionally stratified) and {@link dev.kiln.eval.validation.Bootstrap} percentile confidence
 * intervals for any metric. Everything random is driven by a {@code long} seed through
 * {@link java.util.SplittableRandom}, so the same seed gives the same split on every machine.
 * Index arrays returned are sorted ascending and owned by the caller.
 */
package dev.kiln.eval.validation;
