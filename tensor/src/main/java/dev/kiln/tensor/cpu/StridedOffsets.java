package dev.kiln.tensor.cpu;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Storage offsets of a strided view's elements in row-major order: the generic kernels' iterator. */
final class StridedOffsets {
    private StridedOffsets() {}

    /** Offset of every element (length numel). */
    static int[] of(Tensor t) {
        return starts(t, 0);
    }

    /** Offset of the first element of every row (innermost dimension); one entry for a scalar. */
    static int[] rowStarts(Tensor t) {
        return starts(t, t.rank() == 0 ? 0 : 1);
    }

    /** Offset of element [b..., 0, 0] of every matrix in a batched tensor (trailing {@code trailing} dims). */
    static int[] batchStarts(Tensor t, int trailing) {
        return starts(t, trailing);
    }

    private static int[] starts(Tensor t, int trailing) {
        int rank = t.rank() - trailing;
        int[] sizes = t.shape().toArray();
        int[] strides = t.strides();
        long count = 1;
        for (int i = 0; i < rank; i++) {
            count *= sizes[i];
        }
        if (t.numel() == 0) {
            count = 0;
        }
        int[] out = new int[(int) count];
        int[] counter = new int[Math.max(rank, 0)];
        int off = t.offset();
        for (int i = 0; i < out.length; i++) {
            out[i] = off;
            // odometer increment of the leading `rank` dims, keeping `off` in step
            for (int d = rank - 1; d >= 0; d--) {
                counter[d]++;
                off += strides[d];
                if (counter[d] < sizes[d]) {
                    break;
                }
                off -= strides[d] * sizes[d];
                counter[d] = 0;
            }
        }
        return out;
    }

    /** Advances a row-major multi-index over {@code shape}. */
    static void increment(int[] counter, Shape shape) {
        for (int d = counter.length - 1; d >= 0; d--) {
            if (++counter[d] < shape.size(d)) {
                return;
            }
            counter[d] = 0;
        }
    }
}
