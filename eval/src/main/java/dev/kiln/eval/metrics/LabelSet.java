package dev.kiln.eval.metrics;

import java.util.Arrays;

/**
 * The labels a label-based metric reports on, in report order, with a fast label → position
 * lookup. Without explicit labels these are scikit-learn's default: the sorted union of the labels
 * present in yTrue and yPred.
 */
final class LabelSet {
    private final int[] labels;          // report order
    private final int[] sortedLabels;    // ascending, for binary search
    private final int[] positionOfSorted;

    private LabelSet(int[] labels) {
        this.labels = labels;
        Integer[] order = new Integer[labels.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(labels[a], labels[b]));
        sortedLabels = new int[labels.length];
        positionOfSorted = new int[labels.length];
        for (int i = 0; i < order.length; i++) {
            sortedLabels[i] = labels[order[i]];
            positionOfSorted[i] = order[i];
        }
    }

    /** The sorted distinct labels occurring in the arrays. */
    static int[] present(int[]... ys) {
        int total = 0;
        for (int[] y : ys) {
            total += y.length;
        }
        int[] all = new int[total];
        int k = 0;
        for (int[] y : ys) {
            System.arraycopy(y, 0, all, k, y.length);
            k += y.length;
        }
        return Arrays.stream(all).sorted().distinct().toArray();
    }

    static LabelSet of(int[] labels) {
        return new LabelSet(labels.clone());
    }

    /** Explicit labels, which must be distinct. */
    static LabelSet explicit(String fn, int[] labels) {
        if (labels.length == 0) {
            throw new IllegalArgumentException(fn + ": labels is empty; give at least one label");
        }
        LabelSet set = new LabelSet(labels.clone());
        for (int i = 1; i < set.sortedLabels.length; i++) {
            if (set.sortedLabels[i] == set.sortedLabels[i - 1]) {
                throw new IllegalArgumentException(fn + ": labels " + Arrays.toString(labels) + " lists "
                        + set.sortedLabels[i] + " twice");
            }
        }
        return set;
    }

    /** Labels 0..numClasses-1. */
    static LabelSet range(int numClasses) {
        int[] labels = new int[numClasses];
        for (int i = 0; i < numClasses; i++) {
            labels[i] = i;
        }
        return new LabelSet(labels);
    }

    int size() {
        return labels.length;
    }

    int label(int position) {
        return labels[position];
    }

    int[] labels() {
        return labels.clone();
    }

    /** The position of {@code label} in report order, or -1 when it is not one of these labels. */
    int indexOf(int label) {
        int at = Arrays.binarySearch(sortedLabels, label);
        return at >= 0 ? positionOfSorted[at] : -1;
    }

    boolean sameSetAs(int[] other) {
        int[] sortedOther = Arrays.stream(other).sorted().distinct().toArray();
        return Arrays.equals(sortedLabels, sortedOther);
    }
}
