package dev.kiln.data.label;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * Active learning by uncertainty sampling: from a classifier's class probabilities, the examples
 * it is least sure about — the ones whose human labels teach it the most. Scores are "higher =
 * more uncertain" for every strategy.
 */
public final class UncertaintySampling {
    /** Probabilities of a row must sum to 1 within this tolerance (softmax outputs in float do). */
    public static final double SUM_TOLERANCE = 1e-3;

    /** How uncertainty is measured from a probability vector p. */
    public enum Strategy {
        /** 1 − max p: how unlikely the predicted class is. */
        LEAST_CONFIDENCE,
        /** 1 − (p₁ − p₂), with p₁ ≥ p₂ the two largest: how close the runner-up is. */
        MARGIN,
        /** −Σ p ln p (nats): spread over all classes. */
        ENTROPY
    }

    private UncertaintySampling() {}

    /** The uncertainty of one probability vector (at least two classes). */
    public static double uncertainty(double[] p, Strategy strategy) {
        Objects.requireNonNull(strategy, "UncertaintySampling.uncertainty: strategy");
        double top = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        double entropy = 0;
        for (double v : p) {
            if (v > top) {
                second = top;
                top = v;
            } else if (v > second) {
                second = v;
            }
            if (v > 0) {
                entropy -= v * Math.log(v);
            }
        }
        return switch (strategy) {
            case LEAST_CONFIDENCE -> 1 - top;
            case MARGIN -> 1 - (top - second);
            case ENTROPY -> entropy;
        };
    }

    /** Index of the largest probability (the first on ties). */
    public static int argmax(double[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Checks that {@code probabilities} is n × classes, with entries in [0, 1] summing to 1.
     *
     * @throws IllegalArgumentException naming the first bad row
     */
    public static void check(double[][] probabilities, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("UncertaintySampling: need at least 2 classes, got " + classes);
        }
        for (int i = 0; i < probabilities.length; i++) {
            double[] p = probabilities[i];
            if (p == null || p.length != classes) {
                throw new IllegalArgumentException("UncertaintySampling: row " + i + " has "
                        + (p == null ? "no" : Integer.toString(p.length)) + " probabilities, expected " + classes);
            }
            double sum = 0;
            for (double v : p) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException("UncertaintySampling: row " + i + " has probability " + v
                            + ", expected a value in [0, 1]: " + Arrays.toString(p));
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > SUM_TOLERANCE) {
                throw new IllegalArgumentException(String.format("UncertaintySampling: row %d sums to %.6f, expected 1"
                        + " (pass softmax probabilities, not logits): %s", i, sum, Arrays.toString(p)));
            }
        }
    }

    /**
     * The indices of the {@code k} most uncertain rows, most uncertain first; equal scores in
     * index order (so the selection is deterministic). Fewer when there are fewer rows.
     */
    public static int[] select(double[][] probabilities, int k, Strategy strategy) {
        Objects.requireNonNull(probabilities, "UncertaintySampling.select: probabilities");
        if (k < 0) {
            throw new IllegalArgumentException("UncertaintySampling.select: k must be >= 0, got " + k);
        }
        if (probabilities.length == 0) {
            return new int[0];
        }
        check(probabilities, probabilities[0] == null ? 0 : probabilities[0].length);
        double[] score = new double[probabilities.length];
        for (int i = 0; i < score.length; i++) {
            score[i] = uncertainty(probabilities[i], strategy);
        }
        Integer[] order = new Integer[score.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i));
        int n = Math.min(k, order.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = order[i];
        }
        return out;
    }
}
