package dev.kiln.eval.validation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Stratified k-fold cross-validation (scikit-learn 1.2.1's {@code StratifiedKFold}): every fold gets
 * close to the overall class proportions. The number of samples of each class in each fold follows
 * scikit-learn's rule exactly: order the classes by first appearance in y, list the samples sorted
 * by that class order, and deal them round-robin to the folds. Within a class the samples go to
 * folds in blocks, in index order — so without shuffling the folds equal scikit-learn's — or, with
 * a seed, in a shuffled order of the class's fold slots (same counts; the permutation comes from
 * Kiln's own generator, not numpy's). Immutable.
 */
public final class StratifiedKFold {
    private final int numFolds;
    private final boolean shuffle;
    private final long seed;

    private StratifiedKFold(int numFolds, boolean shuffle, long seed) {
        if (numFolds < 2) {
            throw new IllegalArgumentException("StratifiedKFold: numFolds = " + numFolds + " must be at least 2");
        }
        this.numFolds = numFolds;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    public static StratifiedKFold of(int numFolds) {
        return new StratifiedKFold(numFolds, false, 0);
    }

    public static StratifiedKFold shuffled(int numFolds, long seed) {
        return new StratifiedKFold(numFolds, true, seed);
    }

    public int numFolds() {
        return numFolds;
    }

    /**
     * The fold of each sample. Throws when there are fewer samples than folds, or when every class
     * has fewer members than folds (as scikit-learn; a class smaller than k, where others are not,
     * is allowed and simply misses some folds — scikit-learn warns).
     */
    public int[] foldOf(int[] y) {
        String fn = "StratifiedKFold";
        if (y == null) {
            throw new IllegalArgumentException(fn + ": y is null");
        }
        int n = y.length;
        if (n < numFolds) {
            throw new IllegalArgumentException(fn + ": numFolds = " + numFolds + " is more than the " + n + " samples");
        }
        // classes in order of first appearance, with their members in index order
        Map<Integer, List<Integer>> members = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            members.computeIfAbsent(y[i], key -> new ArrayList<>()).add(i);
        }
        int[] counts = members.values().stream().mapToInt(List::size).toArray();
        if (Arrays.stream(counts).allMatch(count -> count < numFolds)) {
            throw new IllegalArgumentException(fn + ": numFolds = " + numFolds
                    + " is more than the number of members of every class (largest class: "
                    + Arrays.stream(counts).max().orElse(0) + ")");
        }
        int[][] allocation = allocation(counts, numFolds);
        SplittableRandom random = new SplittableRandom(seed);
        int[] foldOf = new int[n];
        int k = 0;
        for (List<Integer> classMembers : members.values()) {
            int[] slots = new int[classMembers.size()];          // fold of each member, in blocks
            for (int f = 0, at = 0; f < numFolds; f++) {
                for (int i = 0; i < allocation[f][k]; i++) {
                    slots[at++] = f;
                }
            }
            if (shuffle) {
                Shuffling.shuffle(slots, random);
            }
            for (int i = 0; i < slots.length; i++) {
                foldOf[classMembers.get(i)] = slots[i];
            }
            k++;
        }
        return foldOf;
    }

    /**
     * allocation[f][k] = the number of samples of class k in fold f: scikit-learn deals the samples,
     * sorted by class, round-robin (sample p of the sorted list goes to fold p mod k), so class k,
     * occupying positions [start, start + count), gives fold f every position congruent to f.
     */
    static int[][] allocation(int[] counts, int numFolds) {
        int[][] allocation = new int[numFolds][counts.length];
        int start = 0;
        for (int k = 0; k < counts.length; k++) {
            for (int f = 0; f < numFolds; f++) {
                allocation[f][k] = congruentCount(start, start + counts[k], f, numFolds);
            }
            start += counts[k];
        }
        return allocation;
    }

    /** The number of integers p in [from, to) with p mod m == r. */
    private static int congruentCount(int from, int to, int r, int m) {
        return countBelow(to, r, m) - countBelow(from, r, m);
    }

    private static int countBelow(int bound, int r, int m) {
        return bound <= r ? 0 : (bound - r - 1) / m + 1;
    }

    /** The k folds of the samples labelled {@code y}. */
    public List<Fold> split(int[] y) {
        int[] foldOf = foldOf(y);
        List<Fold> folds = new ArrayList<>(numFolds);
        for (int f = 0; f < numFolds; f++) {
            folds.add(Fold.of(f, foldOf));
        }
        return folds;
    }

    @Override
    public String toString() {
        return "StratifiedKFold[" + numFolds + (shuffle ? ", shuffled, seed " + seed : "") + "]";
    }
}
