package dev.kiln.eval.metrics;

/**
 * A running total of per-token negative log-likelihood (in nats) and the number of tokens, to
 * combine language-model evaluation over batches: {@code summary = summary.plus(batchNll)}.
 * Immutable.
 */
public record NllSummary(double totalNll, long tokens) {
    public static final NllSummary EMPTY = new NllSummary(0.0, 0);

    public NllSummary {
        if (tokens < 0 || !Double.isFinite(totalNll) || totalNll < 0) {
            throw new IllegalArgumentException("NllSummary: totalNll = " + totalNll + " and tokens = " + tokens
                    + " must be finite and non-negative");
        }
    }

    /** This summary with the given per-token NLL values added. */
    public NllSummary plus(double[] tokenNll) {
        LanguageModelMetrics.checkNll("NllSummary.plus", tokenNll);
        return new NllSummary(totalNll + NumpySum.sum(tokenNll), tokens + tokenNll.length);
    }

    public NllSummary plus(NllSummary other) {
        return new NllSummary(totalNll + other.totalNll, tokens + other.tokens);
    }

    /** The mean NLL per token (nats); NaN when no tokens were added. */
    public double meanNll() {
        return tokens == 0 ? Double.NaN : totalNll / tokens;
    }

    /** exp(mean NLL). */
    public double perplexity() {
        return Math.exp(meanNll());
    }

    /** Mean NLL in bits per token. */
    public double bitsPerToken() {
        return meanNll() / Math.log(2);
    }

    /** Total NLL in bits divided by the number of characters the tokens cover. */
    public double bitsPerCharacter(long characters) {
        return LanguageModelMetrics.bitsPerCharacter(totalNll, characters);
    }

    /** Total NLL in bits divided by the number of bytes the tokens cover. */
    public double bitsPerByte(long bytes) {
        return LanguageModelMetrics.bitsPerByte(totalNll, bytes);
    }
}
