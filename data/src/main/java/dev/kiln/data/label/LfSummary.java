package dev.kiln.data.label;

import java.util.Set;

/**
 * One labeling function's statistics over a data set, with Snorkel's {@code LFAnalysis}
 * definitions. Fractions are of all examples.
 *
 * @param name the function
 * @param polarity the distinct labels it voted
 * @param coverage fraction of examples it labels (does not abstain on)
 * @param overlaps fraction of examples it labels that at least one other function also labels
 * @param conflicts fraction of examples it labels where at least one other function votes a
 *     different label
 * @param correct with gold labels: examples it labels correctly (-1 without gold)
 * @param incorrect with gold labels: examples it labels wrongly (-1 without gold)
 */
public record LfSummary(String name, Set<String> polarity, double coverage, double overlaps, double conflicts,
        long correct, long incorrect) {
    /** correct / (correct + incorrect), NaN without gold labels or votes. */
    public double empiricalAccuracy() {
        long n = correct + incorrect;
        return correct < 0 || n == 0 ? Double.NaN : (double) correct / n;
    }
}
