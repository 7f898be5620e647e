package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.GRAIN;
import static dev.kiln.tensor.cpu.CpuTensors.rowGrain;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;

/**
 * How every binary elementwise op (arithmetic in each precision, comparisons) walks its operands,
 * already expanded to out's shape: two contiguous operands are one run split across threads;
 * otherwise the output goes row by row (innermost dim), each operand row given by its start and
 * inner stride (1 contiguous, 0 a broadcast value, anything else strided). Out is contiguous.
 */
final class BroadcastRows {
    /** One run: {@code length} outputs from {@code oStart}; operand i at start + i * inner stride. */
    @FunctionalInterface
    interface Run {
        void apply(int aStart, int aInner, int bStart, int bInner, int oStart, int length);
    }

    private BroadcastRows() {}

    static void forEach(Tensor a, Tensor b, Tensor out, Run run) {
        int n = out.numel();
        if (a.isContiguous() && b.isContiguous()) {
            int ao = a.offset();
            int bo = b.offset();
            int oo = out.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> run.apply(ao + s, 1, bo + s, 1, oo + s, e - s));
            return;
        }
        int rank = out.rank();
        int inner = rank == 0 ? 1 : out.size(-1);
        int rows = n / inner;
        int aInner = innerStride(a);
        int bInner = innerStride(b);
        int[] aRow = StridedOffsets.rowStarts(a);
        int[] bRow = StridedOffsets.rowStarts(b);
        int oo = out.offset();
        CpuParallel.forRange(rows, rowGrain(inner), (s, e) -> {
            for (int r = s; r < e; r++) {
                run.apply(aRow[r], aInner, bRow[r], bInner, oo + r * inner, inner);
            }
        });
    }

    /** True when both operands are contiguous or their inner strides are each 1 or 0 (never strided). */
    static boolean unitOrBroadcastInner(Tensor a, Tensor b) {
        if (a.isContiguous() && b.isContiguous()) {
            return true;
        }
        int aInner = innerStride(a);
        int bInner = innerStride(b);
        return (aInner == 0 || aInner == 1) && (bInner == 0 || bInner == 1);
    }

    /** The innermost stride, 0 for a scalar (its one value read again for every output). */
    private static int innerStride(Tensor t) {
        return t.rank() == 0 ? 0 : t.strides()[t.rank() - 1];
    }
}
