package dev.kiln.nn.generate;

import dev.kiln.tensor.random.Generator;
import java.util.Arrays;

/**
 * Draws the next token from one row of logits as torch/OpenAI-style samplers do: temperature 0 is
 * greedy (argmax, the lowest id on ties, no random number drawn); otherwise softmax(logits / T),
 * restricted to the nucleus (the fewest most-likely tokens whose probabilities sum to at least
 * {@code topP}, always at least one, ties ranked by lower id), renormalised, and one token drawn
 * by inverse CDF in token-id order with a single {@code g.nextDouble()}. Computed in double so
 * the draw depends only on the logits and the generator, not on the batch a row came from.
 */
public final class NucleusSampler {
    private NucleusSampler() {}

    /** The distribution {@link #sample} draws from: length {@code vocab}, zero outside the nucleus. */
    public static double[] distribution(float[] logits, int offset, int vocab, double temperature, double topP) {
        if (offset < 0 || vocab < 1 || offset + vocab > logits.length) {
            throw new IllegalArgumentException("NucleusSampler: row [" + offset + ", " + (offset + vocab) + ") is outside logits of length "
                    + logits.length);
        }
        double[] p = new double[vocab];
        if (temperature == 0) {
            p[argmax(logits, offset, vocab)] = 1;
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i] / temperature);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(logits[offset + i] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= sum;
        }
        if (topP < 1) {
            Integer[] order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a])); // stable: equal probabilities keep the lower id first
            double kept = 0;
            int r = 0;
            while (r < vocab && (r == 0 || kept < topP)) {
                kept += p[order[r++]];
            }
            for (; r < vocab; r++) {
                p[order[r]] = 0;
            }
            for (int i = 0; i < vocab; i++) {
                p[i] /= kept;
            }
        }
        return p;
    }

    /** A token id drawn from {@link #distribution}; greedy draws no random number. */
    public static int sample(float[] logits, int offset, int vocab, double temperature, double topP, Generator g) {
        if (temperature == 0) {
            return argmax(logits, offset, vocab);
        }
        double[] p = distribution(logits, offset, vocab, temperature, topP);
        double u = g.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < vocab; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell in the rounding gap just below 1
    }

    static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
