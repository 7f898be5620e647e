/**
 * Metrics over text and token sequences: Levenshtein {@link dev.kiln.eval.text.EditDistance} and
 * corpus {@link dev.kiln.eval.text.ErrorRate}s (word, phoneme, character error rates), and
 * sacreBLEU-exact corpus {@link dev.kiln.eval.text.Bleu} (with its 13a tokenizer) and
 * {@link dev.kiln.eval.text.Chrf}.
 */
package dev.kiln.eval.text;
