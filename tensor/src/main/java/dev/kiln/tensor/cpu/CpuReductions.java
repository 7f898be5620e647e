package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.contiguousF32;
import static dev.kiln.tensor.cpu.CpuTensors.contiguousF64;
import static dev.kiln.tensor.cpu.CpuTensors.dimsLast;
import static dev.kiln.tensor.cpu.CpuTensors.rowGrain;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.DoubleReductionKernels;
import dev.kiln.tensor.kernels.cpu.ReductionKernels;
import dev.kiln.tensor.ops.ReduceOp;
import dev.kiln.tensor.storage.CpuStorage;

/**
 * Reductions and softmax. The general path moves the reduced dims last and reduces contiguous rows
 * ([outer, inner]); contiguous F32 sums over leading or surrounding dims add whole rows in place
 * instead. F32 and the halves reduce in F32, F64 in double, integers exactly in long.
 */
final class CpuReductions {
    private CpuReductions() {}

    /** Reduces {@code dims} (sorted, distinct) of in into out (in's shape with those dims 1). */
    static void reduce(ReduceOp op, Tensor in, int[] dims, int correction, Tensor out) {
        int inner = reducedCount(in, dims);
        int outer = out.numel();
        int[] kept = keptBlock(in, dims);
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && in.dtype() == DType.F32 && in.isContiguous()
                && kept != null && kept[2] > 1 && inner > 0) {
            // Kept dims in the middle of reduced ones ([N, C, H, W] summed over N, H, W): sum rows in place.
            ReductionKernels.sumOuterInner(storage(in).floats(), in.offset(), kept[0], outer, kept[2], storage(out).floats(),
                    out.offset(), op == ReduceOp.MEAN ? 1f / inner : 1f);
            return;
        }
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && in.dtype() == DType.F32 && in.isContiguous()
                && isLeadingPrefix(dims) && inner > 0 && outer > 1) {
            // Reducing leading dims of a contiguous tensor (a bias gradient, a batch mean): add whole
            // rows instead of transposing the input to make the reduced dims innermost.
            ReductionKernels.sumRows(storage(in).floats(), in.offset(), inner, outer, storage(out).floats(), out.offset(),
                    op == ReduceOp.MEAN ? 1f / inner : 1f);
            return;
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        try (Tensor moved = in.permute(dimsLast(in.rank(), dims))) {
            switch (ComputePrecision.of(in.dtype())) {
                case DOUBLE -> reduceRowsF64(op, moved, inner, outer, correction, out);
                case FLOAT, HALF -> {
                    if (arg || out.dtype() == DType.F32) {
                        reduceRowsF32(op, moved, inner, outer, correction, out);
                    } else {
                        ComputePrecision.throughF32(out, tmp -> reduceRowsF32(op, moved, inner, outer, correction, tmp));
                    }
                }
                case LONG -> {
                    if (arg) {
                        argExtremeLong(op == ReduceOp.ARGMAX, moved, inner, outer, out);
                    } else {
                        reduceRowsLong(op, moved, inner, outer, out);
                    }
                }
            }
        }
    }

    /** Elements reduced into each output: the product of the reduced dims' sizes. */
    private static int reducedCount(Tensor in, int[] dims) {
        int count = 1;
        for (int d : dims) {
            count *= in.size(d);
        }
        return count;
    }

    /** Rows of moved (the reduced dims last) in F32; out is F32, or I64 for the arg ops. */
    private static void reduceRowsF32(ReduceOp op, Tensor moved, int inner, int outer, int correction, Tensor out) {
        try (Tensor x = contiguousF32(moved)) {
            float[] xs = storage(x).floats();
            int xo = x.offset();
            int oo = out.offset();
            if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                long[] os = storage(out).longs();
                CpuParallel.forRange(outer, rowGrain(inner), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        os[oo + r] = ReductionKernels.argExtreme(xs, xo + r * inner, inner, op == ReduceOp.ARGMAX);
                    }
                });
                return;
            }
            float[] os = storage(out).floats();
            CpuParallel.forRange(outer, rowGrain(inner), (s, e) -> {
                for (int r = s; r < e; r++) {
                    os[oo + r] = ReductionKernels.reduceRow(op, xs, xo + r * inner, inner, correction);
                }
            });
        }
    }

    /** Rows of moved (the reduced dims last) in double; out is F64, or I64 for the arg ops. */
    private static void reduceRowsF64(ReduceOp op, Tensor moved, int inner, int outer, int correction, Tensor out) {
        try (Tensor x = contiguousF64(moved)) {
            double[] xs = storage(x).doubles();
            int xo = x.offset();
            int oo = out.offset();
            if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                long[] os = storage(out).longs();
                CpuParallel.forRange(outer, rowGrain(inner), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        os[oo + r] = DoubleReductionKernels.argExtreme(xs, xo + r * inner, inner, op == ReduceOp.ARGMAX);
                    }
                });
                return;
            }
            double[] os = storage(out).doubles();
            CpuParallel.forRange(outer, rowGrain(inner), (s, e) -> {
                for (int r = s; r < e; r++) {
                    os[oo + r] = DoubleReductionKernels.reduceRow(op, xs, xo + r * inner, inner, correction);
                }
            });
        }
    }

    /** argmax/argmin over integers: exact comparison in long, the first extreme wins. */
    private static void argExtremeLong(boolean max, Tensor moved, int inner, int outer, Tensor out) {
        try (Tensor x = moved.to(DType.I64).contiguous()) {
            long[] xs = storage(x).longs();
            long[] os = storage(out).longs();
            for (int r = 0; r < outer; r++) {
                int base = x.offset() + r * inner;
                int best = 0;
                for (int i = 1; i < inner; i++) {
                    long v = xs[base + i];
                    if (max ? v > xs[base + best] : v < xs[base + best]) best = i;
                }
                os[out.offset() + r] = best;
            }
        }
    }

    /** Integer and bool SUM / MAX / MIN in exact long arithmetic. */
    private static void reduceRowsLong(ReduceOp op, Tensor moved, int inner, int outer, Tensor out) {
        try (Tensor x = moved.to(DType.I64).contiguous()) {
            long[] xs = storage(x).longs();
            CpuStorage d = storage(out);
            for (int r = 0; r < outer; r++) {
                int base = x.offset() + r * inner;
                long acc = op == ReduceOp.SUM ? 0 : xs[base];
                for (int i = op == ReduceOp.SUM ? 0 : 1; i < inner; i++) {
                    long v = xs[base + i];
                    acc = switch (op) {
                        case SUM -> acc + v;
                        case MAX -> Math.max(acc, v);
                        case MIN -> Math.min(acc, v);
                        default -> throw new IllegalStateException("integer reduce " + op);
                    };
                }
                d.setLong(out.offset() + r, acc);
            }
        }
    }

    /** Softmax (or log-softmax) along dim: rows moved last, computed in double for F64, else in F32. */
    static void softmax(Tensor in, int dim, boolean log, Tensor out) {
        int rank = in.rank();
        int[] order = rank == 0 ? new int[0] : dimsLast(rank, new int[] {dim});
        int inner = rank == 0 ? 1 : in.size(dim);
        int rows = inner == 0 ? 0 : in.numel() / inner;
        boolean wide = ComputePrecision.of(in.dtype()) == ComputePrecision.DOUBLE;
        try (Tensor moved = in.permute(order); Tensor x = wide ? contiguousF64(moved) : contiguousF32(moved);
             Tensor y = Tensor.empty(x.dtype(), Device.CPU, moved.shape())) {
            int xo = x.offset();
            if (wide) {
                double[] xs = storage(x).doubles();
                double[] ys = storage(y).doubles();
                CpuParallel.forRange(rows, rowGrain(inner), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        DoubleReductionKernels.softmaxRow(xs, xo + r * inner, ys, r * inner, inner, log);
                    }
                });
            } else {
                float[] xs = storage(x).floats();
                float[] ys = storage(y).floats();
                CpuParallel.forRange(rows, rowGrain(inner), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        ReductionKernels.softmaxRow(xs, xo + r * inner, ys, r * inner, inner, log);
                    }
                });
            }
            try (Tensor back = y.permute(CpuTensors.inverse(order))) {
                CpuCopy.copy(back, out);
            }
        }
    }

    /**
     * When the kept dims form one block between reduced ones, {@code {before, kept, after}}: the
     * element counts of the reduced dims before the block, of the block, and of those after it;
     * otherwise null. Size-1 dims count as either.
     */
    private static int[] keptBlock(Tensor in, int[] dims) {
        boolean[] reduced = new boolean[in.rank()];
        for (int d : dims) {
            reduced[d] = true;
        }
        int lo = -1, hi = -1;
        for (int d = 0; d < in.rank(); d++) {
            if (!reduced[d] && in.size(d) != 1) {
                lo = lo < 0 ? d : lo;
                hi = d;
            }
        }
        if (lo < 0) {
            return null;
        }
        int[] counts = {1, 1, 1};
        for (int d = 0; d < in.rank(); d++) {
            if (d >= lo && d <= hi && reduced[d] && in.size(d) != 1) {
                return null;
            }
            counts[d < lo ? 0 : d <= hi ? 1 : 2] *= in.size(d);
        }
        return counts;
    }

    private static boolean isLeadingPrefix(int[] dims) {
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] != i) {
                return false;
            }
        }
        return dims.length > 0;
    }
}
