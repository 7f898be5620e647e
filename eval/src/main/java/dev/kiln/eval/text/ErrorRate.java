package dev.kiln.eval.text;

import java.util.List;
import java.util.Objects;

/**
 * A corpus error rate accumulated one hypothesis at a time: the token error rate is the total
 * Levenshtein edits divided by the total reference tokens (word error rate in speech recognition
 * over words, phoneme error rate over phonemes, character error rate over characters), and the
 * sequence error rate is the fraction of hypotheses with at least one edit (in grapheme-to-phoneme
 * work, where a sequence is one word's pronunciation, this is what is called the word error rate).
 *
 * <p>When a hypothesis has several acceptable references ({@link #addClosest}), it is scored
 * against the closest one: the fewest edits, the earliest listed on a tie; that reference's length
 * is what enters the denominator.
 *
 * <p>Not thread-safe: one accumulator per thread, or combine the counts.
 */
public final class ErrorRate {
    /** How one hypothesis scored: the edits, the length of the reference used, and its index among the references. */
    public record Result(int edits, int referenceLength, int referenceIndex) {
        public boolean exact() {
            return edits == 0;
        }
    }

    private long edits;
    private long referenceTokens;
    private long sequences;
    private long sequencesWithErrors;

    /** Scores {@code hypothesis} against {@code reference} and adds it to the totals. */
    public Result add(List<?> hypothesis, List<?> reference) {
        Objects.requireNonNull(hypothesis, "ErrorRate.add: hypothesis must not be null");
        Objects.requireNonNull(reference, "ErrorRate.add: reference must not be null");
        return record(new Result(EditDistance.levenshtein(hypothesis, reference), reference.size(), 0));
    }

    /** Scores token ids {@code hypothesis} against {@code reference} and adds it to the totals. */
    public Result add(int[] hypothesis, int[] reference) {
        Objects.requireNonNull(hypothesis, "ErrorRate.add: hypothesis must not be null");
        Objects.requireNonNull(reference, "ErrorRate.add: reference must not be null");
        return record(new Result(EditDistance.levenshtein(hypothesis, reference), reference.length, 0));
    }

    /**
     * Scores {@code hypothesis} against the closest of {@code references} (fewest edits; the first
     * listed among equals) and adds it to the totals.
     *
     * @throws IllegalArgumentException when there are no references
     */
    public Result addClosest(List<?> hypothesis, List<? extends List<?>> references) {
        Objects.requireNonNull(hypothesis, "ErrorRate.addClosest: hypothesis must not be null");
        Objects.requireNonNull(references, "ErrorRate.addClosest: references must not be null");
        if (references.isEmpty()) {
            throw new IllegalArgumentException("ErrorRate.addClosest: need at least one reference, got none");
        }
        Result best = null;
        for (int r = 0; r < references.size(); r++) {
            List<?> ref = Objects.requireNonNull(references.get(r), "ErrorRate.addClosest: reference " + r + " is null");
            int d = EditDistance.levenshtein(hypothesis, ref);
            if (best == null || d < best.edits()) {
                best = new Result(d, ref.size(), r);
            }
        }
        return record(best);
    }

    private Result record(Result r) {
        edits += r.edits();
        referenceTokens += r.referenceLength();
        sequences++;
        sequencesWithErrors += r.exact() ? 0 : 1;
        return r;
    }

    public long edits() {
        return edits;
    }

    public long referenceTokens() {
        return referenceTokens;
    }

    public long sequences() {
        return sequences;
    }

    public long sequencesWithErrors() {
        return sequencesWithErrors;
    }

    /** Total edits / total reference tokens (can exceed 1); NaN when no reference tokens were seen. */
    public double tokenErrorRate() {
        return referenceTokens == 0 ? Double.NaN : (double) edits / referenceTokens;
    }

    /** Hypotheses with at least one edit / hypotheses; NaN when none were added. */
    public double sequenceErrorRate() {
        return sequences == 0 ? Double.NaN : (double) sequencesWithErrors / sequences;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "ErrorRate[token %.4f (%d / %d), sequence %.4f (%d / %d)]",
                tokenErrorRate(), edits, referenceTokens, sequenceErrorRate(), sequencesWithErrors, sequences);
    }
}
