package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.storage.CpuStorage;

/** What every CPU op family needs of a tensor: its storage, contiguous copies in a compute dtype, dim orders. */
final class CpuTensors {
    /** Elements below which a kernel is not worth splitting across threads. */
    static final int GRAIN = 1 << 15;

    private CpuTensors() {}

    static CpuStorage storage(Tensor t) {
        return (CpuStorage) t.storage();
    }

    /** Rows per parallel task when each row is {@code rowLength} elements long (at least one). */
    static int rowGrain(int rowLength) {
        return Math.max(1, GRAIN / Math.max(1, rowLength));
    }

    /** Stride of the innermost dimension. */
    static int innerStride(Tensor t) {
        return t.strides()[t.rank() - 1];
    }

    /** A contiguous F64 tensor with t's values (a view when t already is one). */
    static Tensor contiguousF64(Tensor t) {
        if (t.dtype() == DType.F64) {
            return t.contiguous();
        }
        try (Tensor wide = t.to(DType.F64)) {
            return wide.contiguous();
        }
    }

    /** A contiguous F32 tensor with t's values (a view when t already is one). */
    static Tensor contiguousF32(Tensor t) {
        if (t.dtype() == DType.F32) {
            return t.contiguous();
        }
        return t.to(DType.F32).contiguous();
    }

    /** The permutation that moves {@code dims} last (in their order), keeping the others in order. */
    static int[] dimsLast(int rank, int[] dims) {
        int[] order = new int[rank];
        boolean[] moved = new boolean[rank];
        for (int d : dims) {
            moved[d] = true;
        }
        int j = 0;
        for (int i = 0; i < rank; i++) {
            if (!moved[i]) {
                order[j++] = i;
            }
        }
        for (int d : dims) {
            order[j++] = d;
        }
        return order;
    }

    /** The permutation that undoes {@code order}. */
    static int[] inverse(int[] order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            inverse[order[i]] = i;
        }
        return inverse;
    }
}
