package dev.kiln.eval.metrics;

import java.nio.charset.StandardCharsets;

/**
 * Language-model metrics: per-token negative log-likelihood from logits, perplexity = exp(mean
 * NLL), and bits per character / byte = total NLL / (count · ln 2). NLL is in nats throughout.
 * Bits per character and per byte divide by the length of the text the tokens encode, which makes
 * models with different tokenizers comparable. For sums over many batches use {@link NllSummary}.
 * Stateless and thread-safe.
 */
public final class LanguageModelMetrics {
    private LanguageModelMetrics() {}

    /**
     * {@code -log softmax(logits[t])[targets[t]]} for each position t, through a max-shifted
     * log-sum-exp so that large logits do not overflow. {@code logits} is [T][V], targets in [0, V).
     */
    public static double[] tokenNll(double[][] logits, int[] targets) {
        String fn = "tokenNll";
        Arguments.notNull(fn, "targets", targets);
        int v = Arguments.matrix(fn, "logits", logits, targets.length, "targets", 1);
        Arguments.classIndices(fn, "targets", targets, v, "the vocabulary: columns of logits");
        double[] nll = new double[targets.length];
        double[] shifted = new double[v];
        for (int t = 0; t < targets.length; t++) {
            nll[t] = logSumExp(logits[t], shifted) - logits[t][targets[t]];
        }
        return nll;
    }

    /**
     * The same from a flat row-major [T * vocabSize] float array (what a tensor of logits gives).
     */
    public static double[] tokenNll(float[] logits, int vocabSize, int[] targets) {
        String fn = "tokenNll";
        Arguments.notNull(fn, "logits", logits);
        Arguments.notNull(fn, "targets", targets);
        if (vocabSize < 1 || (long) targets.length * vocabSize != logits.length) {
            throw new IllegalArgumentException(fn + ": logits has " + logits.length + " entries, expected targets.length "
                    + targets.length + " x vocabSize " + vocabSize);
        }
        double[][] rows = new double[targets.length][vocabSize];
        for (int t = 0; t < targets.length; t++) {
            for (int j = 0; j < vocabSize; j++) {
                rows[t][j] = logits[t * vocabSize + j];
            }
        }
        return tokenNll(rows, targets);
    }

    private static double logSumExp(double[] row, double[] scratch) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : row) {
            max = Math.max(max, x);
        }
        for (int j = 0; j < row.length; j++) {
            scratch[j] = Math.exp(row[j] - max);
        }
        return Math.log(NumpySum.sum(scratch)) + max;
    }

    /** The mean of per-token NLL values. */
    public static double meanNll(double[] tokenNll) {
        checkNll("meanNll", tokenNll);
        Arguments.nonEmpty("meanNll", "tokenNll", tokenNll.length);
        return NumpySum.mean(tokenNll);
    }

    /** exp(mean NLL). */
    public static double perplexity(double[] tokenNll) {
        return Math.exp(meanNll(tokenNll));
    }

    /** exp(meanNll), for a mean computed elsewhere (e.g. a training loss in nats). */
    public static double perplexityFromMeanNll(double meanNll) {
        if (!Double.isFinite(meanNll) || meanNll < 0) {
            throw new IllegalArgumentException("perplexityFromMeanNll: meanNll = " + meanNll
                    + " must be finite and non-negative");
        }
        return Math.exp(meanNll);
    }

    /** Total NLL (nats) in bits per character of the text. */
    public static double bitsPerCharacter(double totalNll, long characters) {
        return bitsPer("bitsPerCharacter", totalNll, characters, "characters");
    }

    /** Total NLL (nats) in bits per byte of the text. */
    public static double bitsPerByte(double totalNll, long bytes) {
        return bitsPer("bitsPerByte", totalNll, bytes, "bytes");
    }

    /** Bits per character, counting the text's Unicode code points. */
    public static double bitsPerCharacter(double[] tokenNll, String text) {
        checkNll("bitsPerCharacter", tokenNll);
        Arguments.notNull("bitsPerCharacter", "text", text);
        return bitsPerCharacter(NumpySum.sum(tokenNll), text.codePointCount(0, text.length()));
    }

    /** Bits per byte, counting the text's UTF-8 bytes. */
    public static double bitsPerByte(double[] tokenNll, String text) {
        checkNll("bitsPerByte", tokenNll);
        Arguments.notNull("bitsPerByte", "text", text);
        return bitsPerByte(NumpySum.sum(tokenNll), text.getBytes(StandardCharsets.UTF_8).length);
    }

    private static double bitsPer(String fn, double totalNll, long count, String unit) {
        if (!Double.isFinite(totalNll) || totalNll < 0) {
            throw new IllegalArgumentException(fn + ": totalNll = " + totalNll + " must be finite and non-negative");
        }
        if (count < 1) {
            throw new IllegalArgumentException(fn + ": " + unit + " = " + count + " must be positive");
        }
        return totalNll / count / Math.log(2);
    }

    static void checkNll(String fn, double[] tokenNll) {
        Arguments.finite(fn, "tokenNll", tokenNll);
        for (int i = 0; i < tokenNll.length; i++) {
            if (tokenNll[i] < 0) {
                throw new IllegalArgumentException(fn + ": tokenNll[" + i + "] = " + tokenNll[i]
                        + " is negative; a negative log-likelihood of a probability is >= 0");
            }
        }
    }
}
