package dev.kiln.nn.generate;

import java.util.List;

/**
 * A language model as the {@link DecodeScheduler} drives it: each sequence owns a
 * {@link SequenceCache} (its keys and values, nothing shared), {@link #prefill} feeds a prompt
 * into a fresh cache, and {@link #step} advances many sequences by one token each in one call.
 *
 * <p>Contract the scheduler's batching relies on: a row's logits depend only on its own cache and
 * token, bit for bit, never on which or how many other rows share the step. Called from the
 * scheduler's one decode thread only.
 */
public interface DecodeModel {
    /** The length of a logits row. */
    int vocabSize();

    /** The most positions a sequence may hold (prompt plus completion). */
    int maxSeqLen();

    /** A cache for one sequence; the caller closes it. */
    SequenceCache newCache();

    /** Feeds {@code prompt} (at least one token) into an empty cache; returns the logits of the token after it. */
    float[] prefill(SequenceCache cache, long[] prompt);

    /**
     * Appends {@code tokens[i]} to {@code caches.get(i)} for every row at once.
     *
     * @return logits [rows × vocabSize()], row-major
     */
    float[] step(List<SequenceCache> caches, long[] tokens);

    /** One sequence's decoding state; closing frees it. */
    interface SequenceCache extends AutoCloseable {
        /** Positions held (the position of the next token). */
        int length();

        @Override
        void close();
    }
}
