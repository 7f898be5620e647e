package dev.kiln.eval.validation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A seeded three-way split of sample indices into train, validation and test sets (each sorted
 * ascending, disjoint, covering every sample). Sizes follow scikit-learn's rule for fractional
 * test sizes: test = ceil(testFraction · n), validation = ceil(validationFraction · n), train = the
 * rest, which must not be empty. Either fraction may be 0 for a two-way split.
 */
public record TrainValTestSplit(int[] train, int[] validation, int[] test) {

    /** A uniformly random split: a seeded permutation cut into test, validation, then train. */
    public static TrainValTestSplit random(int numSamples, double validationFraction, double testFraction, long seed) {
        String fn = "TrainValTestSplit.random";
        int[] sizes = sizes(fn, numSamples, validationFraction, testFraction);
        int[] order = Shuffling.identity(numSamples);
        Shuffling.shuffle(order, new SplittableRandom(seed));
        int nTest = sizes[0], nVal = sizes[1];
        int[] test = Arrays.copyOfRange(order, 0, nTest);
        int[] validation = Arrays.copyOfRange(order, nTest, nTest + nVal);
        int[] train = Arrays.copyOfRange(order, nTest + nVal, numSamples);
        Arrays.sort(test);
        Arrays.sort(validation);
        Arrays.sort(train);
        return new TrainValTestSplit(train, validation, test);
    }

    /**
     * A split that keeps each class's proportion in every set. Per class, the test and validation
     * counts are apportioned by largest remainder: class c with n_c of the n samples is owed
     * size · n_c / n of a set, gets the integer part, and the units left go to the classes owed the
     * largest fractions (ties in a seeded random order); so each class's count is within one of its
     * exact share while the set sizes stay exact. Validation is apportioned after test, from what
     * test left of each class. Within each class the members are assigned in seeded random order.
     */
    public static TrainValTestSplit stratified(int[] y, double validationFraction, double testFraction, long seed) {
        String fn = "TrainValTestSplit.stratified";
        if (y == null) {
            throw new IllegalArgumentException(fn + ": y is null");
        }
        int n = y.length;
        int[] sizes = sizes(fn, n, validationFraction, testFraction);
        TreeMap<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            byClass.computeIfAbsent(y[i], key -> new ArrayList<>()).add(i);
        }
        int c = byClass.size();
        int[] counts = byClass.values().stream().mapToInt(List::size).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        int[] testCounts = apportion(sizes[0], counts, n, counts, random);
        int[] remaining = new int[c];
        for (int k = 0; k < c; k++) {
            remaining[k] = counts[k] - testCounts[k];
        }
        int[] valCounts = apportion(sizes[1], counts, n, remaining, random);
        int[] test = new int[sizes[0]], validation = new int[sizes[1]], train = new int[n - sizes[0] - sizes[1]];
        int t = 0, v = 0, r = 0, k = 0;
        for (List<Integer> members : byClass.values()) {
            int[] shuffled = members.stream().mapToInt(Integer::intValue).toArray();
            Shuffling.shuffle(shuffled, random);
            for (int i = 0; i < shuffled.length; i++) {
                if (i < testCounts[k]) {
                    test[t++] = shuffled[i];
                } else if (i < testCounts[k] + valCounts[k]) {
                    validation[v++] = shuffled[i];
                } else {
                    train[r++] = shuffled[i];
                }
            }
            k++;
        }
        Arrays.sort(test);
        Arrays.sort(validation);
        Arrays.sort(train);
        return new TrainValTestSplit(train, validation, test);
    }

    /**
     * Largest-remainder apportionment of {@code total} units over classes owed total · counts[k] / n
     * each, never giving a class more than {@code capacity[k]}.
     */
    static int[] apportion(int total, int[] counts, int n, int[] capacity, SplittableRandom random) {
        int c = counts.length;
        double[] owed = new double[c];
        int[] given = new int[c];
        int left = total;
        for (int k = 0; k < c; k++) {
            owed[k] = (double) total * counts[k] / n;
            given[k] = Math.min((int) Math.floor(owed[k]), capacity[k]);
            left -= given[k];
        }
        int[] tieOrder = Shuffling.identity(c);
        Shuffling.shuffle(tieOrder, random);
        int[] rank = new int[c];
        for (int i = 0; i < c; i++) {
            rank[tieOrder[i]] = i;
        }
        while (left > 0) {
            int best = -1;
            for (int k = 0; k < c; k++) {
                if (given[k] < capacity[k] && (best < 0 || owed[k] - given[k] > owed[best] - given[best]
                        || (owed[k] - given[k] == owed[best] - given[best] && rank[k] < rank[best]))) {
                    best = k;
                }
            }
            given[best]++;           // capacity suffices: the sizes leave at least one sample for train
            left--;
        }
        return given;
    }

    private static int[] sizes(String fn, int n, double validationFraction, double testFraction) {
        if (n < 1) {
            throw new IllegalArgumentException(fn + ": numSamples = " + n + " must be positive");
        }
        if (!(validationFraction >= 0 && validationFraction < 1) || !(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException(fn + ": validationFraction = " + validationFraction + " and testFraction = "
                    + testFraction + " must lie in [0, 1)");
        }
        int nTest = (int) Math.ceil(testFraction * n);
        int nVal = (int) Math.ceil(validationFraction * n);
        if (nTest + nVal >= n) {
            throw new IllegalArgumentException(fn + ": with " + n + " samples, testFraction = " + testFraction
                    + " (" + nTest + " samples) and validationFraction = " + validationFraction + " (" + nVal
                    + " samples) leave no training samples");
        }
        return new int[] {nTest, nVal};
    }

    @Override
    public String toString() {
        return "TrainValTestSplit[" + train.length + " train, " + validation.length + " validation, " + test.length
                + " test]";
    }
}
