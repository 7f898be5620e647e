package dev.kiln.tensor;

import java.util.Arrays;

/**
 * An immutable list of dimension sizes. A rank-0 shape ({@code []}) is a scalar with one element.
 *
 * <p>Dimension arguments may be negative and count from the end, as in PyTorch.
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;
    private final long numel;

    private Shape(int[] dims) {
        this.dims = dims;
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        this.numel = n;
    }

    /** A shape with the given sizes; every size must be &gt;= 0. */
    public static Shape of(int... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " has negative size " + dims[i]
                        + " in " + Arrays.toString(dims));
            }
            n *= dims[i];
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape: " + Arrays.toString(dims) + " has more than "
                        + Integer.MAX_VALUE + " elements, the most one CPU storage holds");
            }
        }
        return new Shape(dims.clone());
    }

    /** The scalar shape {@code []}. */
    public static Shape scalar() {
        return SCALAR;
    }

    public int rank() {
        return dims.length;
    }

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("size: dimension " + d + " requested of a 0-dimensional shape, which has none");
        }
        return dims[normalizeDim(d, dims.length, "size")];
    }

    /** Total number of elements. */
    public int numel() {
        return (int) numel;
    }

    /** A copy of the sizes. */
    public int[] toArray() {
        return dims.clone();
    }

    /** Row-major (C-order) strides for this shape, in elements. */
    public int[] contiguousStrides() {
        int[] strides = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(dims[i], 1);
        }
        return strides;
    }

    /**
     * The NumPy broadcast of two shapes: aligned from the right, each pair of sizes must be equal or
     * one of them 1.
     *
     * @throws IllegalArgumentException naming {@code op} and both shapes when they do not broadcast
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
            int db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " cannot be broadcast: size " + da + " != " + db + " at dimension " + i
                        + " (aligned from the right)");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /**
     * Resolves a possibly negative dimension index against a rank.
     *
     * @throws IllegalArgumentException naming {@code op} when out of range
     */
    public static int normalizeDim(int dim, int rank, String op) {
        int r = Math.max(rank, 1); // a scalar accepts dim 0 and -1, like PyTorch
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for a tensor of rank "
                    + rank + " (expected " + (-r) + " <= dim < " + r + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
