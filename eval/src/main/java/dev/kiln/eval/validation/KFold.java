package dev.kiln.eval.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * k-fold cross-validation (scikit-learn's {@code KFold}): the samples, in order or shuffled with a
 * seed, are cut into k consecutive test folds of sizes n / k, the first n % k folds one larger; each
 * fold trains on the other k - 1. Without shuffling the folds equal scikit-learn's exactly; with
 * it the fold sizes do (the permutation comes from Kiln's own generator). Immutable.
 */
public final class KFold {
    private final int numFolds;
    private final boolean shuffle;
    private final long seed;

    private KFold(int numFolds, boolean shuffle, long seed) {
        if (numFolds < 2) {
            throw new IllegalArgumentException("KFold: numFolds = " + numFolds + " must be at least 2");
        }
        this.numFolds = numFolds;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    /** Folds of consecutive samples, in order. */
    public static KFold of(int numFolds) {
        return new KFold(numFolds, false, 0);
    }

    /** Folds of a seeded random permutation. */
    public static KFold shuffled(int numFolds, long seed) {
        return new KFold(numFolds, true, seed);
    }

    public int numFolds() {
        return numFolds;
    }

    /** The fold of each sample, 0..k-1. */
    public int[] foldOf(int numSamples) {
        if (numSamples < numFolds) {
            throw new IllegalArgumentException("KFold: numFolds = " + numFolds + " is more than the " + numSamples
                    + " samples (scikit-learn: 'Cannot have number of splits n_splits greater than the number of samples')");
        }
        int[] order = Shuffling.identity(numSamples);
        if (shuffle) {
            Shuffling.shuffle(order, new SplittableRandom(seed));
        }
        int[] foldOf = new int[numSamples];
        int at = 0;
        for (int f = 0; f < numFolds; f++) {
            int size = numSamples / numFolds + (f < numSamples % numFolds ? 1 : 0);
            for (int i = 0; i < size; i++) {
                foldOf[order[at++]] = f;
            }
        }
        return foldOf;
    }

    /** The k folds of {@code numSamples} samples. */
    public List<Fold> split(int numSamples) {
        int[] foldOf = foldOf(numSamples);
        List<Fold> folds = new ArrayList<>(numFolds);
        for (int f = 0; f < numFolds; f++) {
            folds.add(Fold.of(f, foldOf));
        }
        return folds;
    }

    @Override
    public String toString() {
        return "KFold[" + numFolds + (shuffle ? ", shuffled, seed " + seed : "") + "]";
    }
}
