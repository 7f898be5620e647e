package dev.kiln.nn.generate;

/**
 * Log-probabilities of the next target token after prefixes of target tokens, each prefix
 * continuing one of a fixed set of source sequences. {@link SequenceSearch} decodes through this
 * interface, so a model ({@link EncoderDecoderScorer}) and a hand-built table (in tests) are
 * searched by the same code.
 */
public interface NextTokenScorer {
    /** The size of the target vocabulary: the row length of {@link #nextLogProbs}. */
    int vocabSize();

    /** How many source sequences there are (valid values of {@code sourceOfRow}). */
    int sources();

    /**
     * @param sourceOfRow for each row, the index of the source sequence its prefix continues
     * @param prefixes one prefix per row (starting with the begin token), all of the same length
     * @return {@code rows × vocabSize()} log-probabilities, row-major
     */
    float[] nextLogProbs(int[] sourceOfRow, long[][] prefixes);
}
