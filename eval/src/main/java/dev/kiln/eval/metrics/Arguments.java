package dev.kiln.eval.metrics;

import java.util.Arrays;

/** Argument checks at the API boundary; every message names the function, the argument and the bad value. */
final class Arguments {
    private Arguments() {}

    static void notNull(String fn, String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(fn + ": " + name + " is null");
        }
    }

    static void nonEmpty(String fn, String name, int length) {
        if (length == 0) {
            throw new IllegalArgumentException(fn + ": " + name + " is empty");
        }
    }

    static void sameLength(String fn, String aName, int aLength, String bName, int bLength) {
        if (aLength != bLength) {
            throw new IllegalArgumentException(fn + ": " + aName + " has " + aLength + " entries but " + bName + " has "
                    + bLength);
        }
    }

    /** Two label arrays of the same, non-zero length. */
    static void labelPair(String fn, int[] yTrue, int[] yPred) {
        notNull(fn, "yTrue", yTrue);
        notNull(fn, "yPred", yPred);
        sameLength(fn, "yTrue", yTrue.length, "yPred", yPred.length);
        nonEmpty(fn, "yTrue", yTrue.length);
    }

    static void finite(String fn, String name, double[] values) {
        notNull(fn, name, values);
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(fn + ": " + name + "[" + i + "] = " + values[i] + " is not finite");
            }
        }
    }

    /** Sample weights: null (every sample weighs 1), or one finite, non-negative weight per sample. */
    static void sampleWeight(String fn, double[] sampleWeight, int samples) {
        if (sampleWeight == null) {
            return;
        }
        sameLength(fn, "sampleWeight", sampleWeight.length, "yTrue", samples);
        for (int i = 0; i < sampleWeight.length; i++) {
            double w = sampleWeight[i];
            if (!Double.isFinite(w) || w < 0) {
                throw new IllegalArgumentException(fn + ": sampleWeight[" + i + "] = " + w
                        + " is not a finite, non-negative weight");
            }
        }
    }

    /**
     * A matrix with {@code rows} rows of equal width (at least {@code minColumns}) and finite
     * entries; returns the width.
     */
    static int matrix(String fn, String name, double[][] m, int rows, String rowsName, int minColumns) {
        notNull(fn, name, m);
        if (m.length != rows) {
            throw new IllegalArgumentException(fn + ": " + name + " has " + m.length + " rows but " + rowsName + " has "
                    + rows + " entries");
        }
        nonEmpty(fn, name, rows);
        int width = -1;
        for (int i = 0; i < m.length; i++) {
            if (m[i] == null) {
                throw new IllegalArgumentException(fn + ": " + name + "[" + i + "] is null");
            }
            if (width < 0) {
                width = m[i].length;
            } else if (m[i].length != width) {
                throw new IllegalArgumentException(fn + ": " + name + " row " + i + " has " + m[i].length
                        + " entries but row 0 has " + width + " (one column per class)");
            }
            for (int j = 0; j < width; j++) {
                if (!Double.isFinite(m[i][j])) {
                    throw new IllegalArgumentException(fn + ": " + name + "[" + i + "][" + j + "] = " + m[i][j]
                            + " is not finite");
                }
            }
        }
        if (width < minColumns) {
            throw new IllegalArgumentException(fn + ": " + name + " has " + width + " columns; at least " + minColumns
                    + " classes are needed");
        }
        return width;
    }

    /** Every entry of {@code y} is a class index in {@code [0, numClasses)}. */
    static void classIndices(String fn, String name, int[] y, int numClasses, String classesFrom) {
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= numClasses) {
                throw new IllegalArgumentException(fn + ": " + name + "[" + i + "] = " + y[i] + " is outside the "
                        + numClasses + " classes 0.." + (numClasses - 1) + " (" + classesFrom + ")");
            }
        }
    }

    /** Every entry of {@code y} is 0 or 1. */
    static void binaryLabels(String fn, String name, int[] y) {
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 0 && y[i] != 1) {
                throw new IllegalArgumentException(fn + ": " + name + "[" + i + "] = " + y[i]
                        + " is not a binary label (0 = negative, 1 = positive)");
            }
        }
    }

    static void probability(String fn, String name, double p, String where) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(fn + ": " + name + where + " = " + p + " is not a probability in [0, 1]");
        }
    }

    static String show(int[] values) {
        return Arrays.toString(values);
    }
}
