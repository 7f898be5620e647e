package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.dimsLast;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.storage.CpuStorage;
import java.util.Arrays;
import java.util.Comparator;

/** Indexing ops: index_select, gather, scatter_add (torch semantics) and a stable sort along a dim. */
final class CpuIndexing {
    private CpuIndexing() {}

    /** out = in.index_select(dim, index); index values are already bounds-checked. */
    static void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
        long[] idx = index.toLongArray();
        if (in.rank() == 0) {
            CpuCopy.copy(in, out);
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            try (Tensor src = in.narrow(dim, (int) idx[i], 1); Tensor dst = out.narrow(dim, i, 1)) {
                CpuCopy.copy(src, dst);
            }
        }
    }

    /** out[...i_dim...] = in[...index[...]...]; index has out's shape. */
    static void gather(Tensor in, int dim, Tensor index, Tensor out) {
        CpuStorage s = storage(in);
        CpuStorage d = storage(out);
        long[] idx = index.toLongArray();
        int rank = in.rank();
        int[] inStrides = in.strides();
        int[] counter = new int[rank];
        boolean floating = in.dtype().isFloatingPoint();
        if (in.dtype() == DType.F32) { // typed arrays: no per-element dtype dispatch
            float[] sf = s.floats();
            float[] df = d.floats();
            for (int i = 0; i < idx.length; i++) {
                int off = in.offset();
                for (int k = 0; k < rank; k++) {
                    off += (k == dim ? (int) idx[i] : counter[k]) * inStrides[k];
                }
                df[out.offset() + i] = sf[off];
                StridedOffsets.increment(counter, index.shape());
            }
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            int off = in.offset();
            for (int k = 0; k < rank; k++) {
                off += (k == dim ? (int) idx[i] : counter[k]) * inStrides[k];
            }
            if (floating) {
                d.setDouble(out.offset() + i, s.getDouble(off));
            } else {
                d.setLong(out.offset() + i, s.getLong(off));
            }
            StridedOffsets.increment(counter, index.shape());
        }
    }

    /** out[index[...] at dim] += src[...]; out is a contiguous copy of the self tensor. */
    static void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        CpuStorage s = storage(src);
        CpuStorage d = storage(out);
        long[] idx = index.toLongArray();
        int rank = out.rank();
        int[] outStrides = out.strides();
        int[] srcStrides = src.strides();
        int[] counter = new int[rank];
        boolean floating = out.dtype().isFloatingPoint();
        if (out.dtype() == DType.F32 && src.dtype() == DType.F32) {
            float[] sf = s.floats();
            float[] df = d.floats();
            for (int i = 0; i < idx.length; i++) {
                int o = out.offset();
                int so = src.offset();
                for (int k = 0; k < rank; k++) {
                    o += (k == dim ? (int) idx[i] : counter[k]) * outStrides[k];
                    so += counter[k] * srcStrides[k];
                }
                df[o] += sf[so];
                StridedOffsets.increment(counter, index.shape());
            }
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            int o = out.offset();
            int so = src.offset();
            for (int k = 0; k < rank; k++) {
                o += (k == dim ? (int) idx[i] : counter[k]) * outStrides[k];
                so += counter[k] * srcStrides[k];
            }
            if (out.dtype() == DType.F64) {
                d.setDouble(o, d.getDouble(o) + s.getDouble(so));
            } else if (floating) {
                d.setDouble(o, (float) d.getDouble(o) + (float) s.getDouble(so));
            } else {
                d.setLong(o, d.getLong(o) + s.getLong(so));
            }
            StridedOffsets.increment(counter, index.shape());
        }
    }

    /** Stable sort along dim (NaN last); values in in's dtype, indices I64. */
    static void sort(Tensor in, int dim, boolean descending, Tensor values, Tensor indices) {
        int rank = in.rank();
        int[] order = rank == 0 ? new int[0] : dimsLast(rank, new int[] {dim});
        int inner = rank == 0 ? 1 : in.size(dim);
        int rows = inner == 0 ? 0 : in.numel() / inner;
        boolean floating = in.dtype().isFloatingPoint();
        DType sortType = floating ? (in.dtype() == DType.F64 ? DType.F64 : DType.F32) : DType.I64; // exact keys
        try (Tensor moved = in.permute(order); Tensor x = moved.to(sortType).contiguous();
             Tensor vals = Tensor.empty(x.dtype(), Device.CPU, moved.shape());
             Tensor idxs = Tensor.empty(DType.I64, Device.CPU, moved.shape())) {
            CpuStorage xs = storage(x);
            CpuStorage vs = storage(vals);
            long[] is = storage(idxs).longs();
            Integer[] perm = new Integer[inner];
            for (int r = 0; r < rows; r++) {
                int base = x.offset() + r * inner;
                for (int i = 0; i < inner; i++) {
                    perm[i] = i;
                }
                Comparator<Integer> cmp = floating
                        ? (p, q) -> nanLastCompare(xs.getDouble(base + p), xs.getDouble(base + q))
                        : (p, q) -> Long.compare(xs.getLong(base + p), xs.getLong(base + q));
                Arrays.sort(perm, descending ? cmp.reversed() : cmp); // stable (TimSort)
                for (int i = 0; i < inner; i++) {
                    is[r * inner + i] = perm[i];
                    if (floating) {
                        vs.setDouble(r * inner + i, xs.getDouble(base + perm[i]));
                    } else {
                        vs.setLong(r * inner + i, xs.getLong(base + perm[i]));
                    }
                }
            }
            try (Tensor vb = vals.permute(CpuTensors.inverse(order)); Tensor ib = idxs.permute(CpuTensors.inverse(order))) {
                CpuCopy.copy(vb, values);
                CpuCopy.copy(ib, indices);
            }
        }
    }

    /** Orders NaN above every number, as torch.sort does. */
    private static int nanLastCompare(double x, double y) {
        boolean xn = Double.isNaN(x);
        boolean yn = Double.isNaN(y);
        if (xn || yn) {
            return Boolean.compare(xn, yn);
        }
        return Double.compare(x == 0 ? 0.0 : x, y == 0 ? 0.0 : y);
    }
}
