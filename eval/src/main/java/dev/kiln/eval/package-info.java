/**
 * Evaluation: metric functions over plain Java arrays (each one matching a named reference
 * definition: scikit-learn for classification and regression, sacreBLEU for BLEU and chrF),
 * validation splits, and evaluation reports.
 */
package dev.kiln.eval;
