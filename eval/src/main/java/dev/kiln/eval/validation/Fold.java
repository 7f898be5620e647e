package dev.kiln.eval.validation;

/**
 * One cross-validation fold: sample indices to train on and to evaluate on, each sorted ascending,
 * disjoint, together covering every sample. The arrays are fresh for each fold and belong to the
 * caller.
 *
 * @param index the fold's number, 0..k-1
 */
public record Fold(int index, int[] train, int[] test) {

    /** The complement of a fold assignment: test = samples assigned to {@code fold}, train = the rest. */
    static Fold of(int fold, int[] foldOfSample) {
        int testSize = 0;
        for (int f : foldOfSample) {
            testSize += f == fold ? 1 : 0;
        }
        int[] test = new int[testSize];
        int[] train = new int[foldOfSample.length - testSize];
        for (int i = 0, a = 0, b = 0; i < foldOfSample.length; i++) {
            if (foldOfSample[i] == fold) {
                test[a++] = i;
            } else {
                train[b++] = i;
            }
        }
        return new Fold(fold, train, test);
    }

    @Override
    public String toString() {
        return "Fold[" + index + ": " + train.length + " train, " + test.length + " test]";
    }
}
