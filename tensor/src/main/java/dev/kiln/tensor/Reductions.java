package dev.kiln.tensor;

import dev.kiln.tensor.ops.ReduceOp;
import java.util.Arrays;

/** Reductions and softmax: dim handling, keepdim and result dtypes; kernels are the backend's. */
final class Reductions {
    private Reductions() {}

    /** Sorted distinct dims; null or empty means all dims. */
    static int[] normalizeDims(String op, int[] dims, int rank) {
        if (dims == null || dims.length == 0) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        boolean[] seen = new boolean[Math.max(rank, 1)];
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.normalizeDim(dims[i], rank, op);
            if (seen[d]) {
                throw new IllegalArgumentException(op + ": dimension " + d + " appears more than once in " + Arrays.toString(dims));
            }
            seen[d] = true;
            out[i] = d;
        }
        Arrays.sort(out);
        return rank == 0 ? new int[0] : out;
    }

    static Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepdim, int correction) {
        String name = op.opName();
        x.checkOpen(name);
        int[] d = normalizeDims(name, dims, x.rank());
        DType out = switch (op) {
            case SUM -> x.dtype().isFloatingPoint() ? x.dtype() : DType.I64;
            case MAX, MIN -> x.dtype();
            default -> {
                if (!x.dtype().isFloatingPoint()) {
                    throw new IllegalArgumentException(name + ": input dtype must be floating point, got " + x.dtype()
                            + " (convert with .to(DType.F32))");
                }
                yield x.dtype();
            }
        };
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && x.dtype().isBool()) {
            throw new IllegalArgumentException(name + ": not supported for BOOL tensors");
        }
        // Like torch, max/min fail only when a reduced dimension is empty (there is no identity);
        // reducing an empty tensor over non-empty dims (e.g. [2, 0, 3] over dim 0) gives an empty result.
        for (int dim : d) {
            if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && x.size(dim) == 0) {
                throw new IllegalArgumentException(name + ": cannot reduce over dimension " + dim + " of size 0 (shape " + x.shape() + ")");
            }
        }
        if (correction < 0) {
            throw new IllegalArgumentException(name + ": correction must be >= 0, got " + correction);
        }
        Shape kept = keptShape(x.shape(), d);
        Tensor result = Tensor.empty(out, x.device(), kept);
        x.backend().reduce(op, x, d, correction, result);
        if (keepdim) {
            return result;
        }
        Tensor squeezed = result.reshape(droppedShape(x.shape(), d));
        result.close();
        return squeezed;
    }

    static Tensor argReduce(ReduceOp op, Tensor x, Integer dim, boolean keepdim) {
        String name = op.opName();
        x.checkOpen(name);
        // Only an empty reduced extent has no answer; argmax(dim) of e.g. [2, 0, 3] over dim 0 is an empty [0, 3].
        if (x.numel() == 0 && (dim == null || x.size(Shape.normalizeDim(dim, x.rank(), name)) == 0)) {
            throw new IllegalArgumentException(name + ": cannot take " + name + " of an empty tensor (shape " + x.shape()
                    + (dim == null ? "" : ", dimension " + dim) + ")");
        }
        if (x.dtype().isBool()) {
            throw new IllegalArgumentException(name + ": not supported for BOOL tensors");
        }
        if (dim == null) {
            try (Tensor flat = x.reshape(-1)) {
                return argReduce(op, flat, 0, false); // over all elements: a scalar index, as torch.argmax()
            }
        }
        int d = Shape.normalizeDim(dim, x.rank(), name);
        int[] dims = x.rank() == 0 ? new int[0] : new int[] {d};
        Tensor result = Tensor.empty(DType.I64, x.device(), keptShape(x.shape(), dims));
        x.backend().reduce(op, x, dims, 0, result);
        if (keepdim) {
            return result;
        }
        Tensor squeezed = result.reshape(droppedShape(x.shape(), dims));
        result.close();
        return squeezed;
    }

    static Tensor softmax(Tensor x, int dim, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        x.checkOpen(name);
        int d = Shape.normalizeDim(dim, x.rank(), name);
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(name + ": input dtype must be floating point, got " + x.dtype());
        }
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        x.backend().softmax(x, x.rank() == 0 ? 0 : d, log, out);
        return out;
    }

    static Shape keptShape(Shape s, int[] dims) {
        int[] k = s.toArray();
        for (int d : dims) {
            k[d] = 1;
        }
        return Shape.of(k);
    }

    static int[] droppedShape(Shape s, int[] dims) {
        int[] out = new int[s.rank() - dims.length];
        for (int i = 0, j = 0, di = 0; i < s.rank(); i++) {
            if (di < dims.length && dims[di] == i) {
                di++;
            } else {
                out[j++] = s.size(i);
            }
        }
        return out;
    }
}
