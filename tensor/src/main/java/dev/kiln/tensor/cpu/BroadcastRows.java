package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.GRAIN;
import static dev.kiln.tensor.cpu.CpuTensors.rowGrain;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;

/**
 * How every binary elementwise op (arithmetic in each precision, comparisons) walks its operands,
 * already expanded to out's shape. Trailing dims are folded into one run as long as each operand
 * steps through them at one constant stride (size-1 dims always fold), so a contiguous pair, a
 * tensor and a scalar, or a conv bias {@code [N,C,H,W] + [C,1,1]} become a few long runs instead of
 * one short run per innermost row. Each run gives every operand a start and one stride (1
 * contiguous, 0 a broadcast value, anything else strided). Out is contiguous.
 */
final class BroadcastRows {
    /** One run: {@code length} outputs from {@code oStart}; operand i at start + i * inner stride. */
    @FunctionalInterface
    interface Run {
        void apply(int aStart, int aInner, int bStart, int bInner, int oStart, int length);
    }

    /**
     * The folded walk: runs of {@code runLength} outputs over the trailing {@code foldedDims} dims,
     * stepping a by {@code aInner} and b by {@code bInner} within a run.
     */
    record Layout(int foldedDims, int runLength, int aInner, int bInner) {}

    private BroadcastRows() {}

    static void forEach(Tensor a, Tensor b, Tensor out, Run run) {
        int n = out.numel();
        if (n == 0) {
            return;
        }
        Layout layout = layout(a, b);
        int ai = layout.aInner();
        int bi = layout.bInner();
        int oo = out.offset();
        if (layout.foldedDims() == out.rank()) {
            // the whole tensor is one run: split it across threads
            int ao = a.offset();
            int bo = b.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> run.apply(ao + s * ai, ai, bo + s * bi, bi, oo + s, e - s));
            return;
        }
        int length = layout.runLength();
        int[] aRun = StridedOffsets.batchStarts(a, layout.foldedDims());
        int[] bRun = StridedOffsets.batchStarts(b, layout.foldedDims());
        CpuParallel.forRange(aRun.length, rowGrain(length), (s, e) -> {
            for (int r = s; r < e; r++) {
                run.apply(aRun[r], ai, bRun[r], bi, oo + r * length, length);
            }
        });
    }

    /** True when the folded walk steps each operand by 1 or 0 (never strided): the blocked kernels' case. */
    static boolean unitOrBroadcastInner(Tensor a, Tensor b) {
        Layout layout = layout(a, b);
        int ai = layout.aInner();
        int bi = layout.bInner();
        return (ai == 0 || ai == 1) && (bi == 0 || bi == 1);
    }

    /**
     * Folds trailing dims while both operands (of out's shape) advance by a constant stride across
     * them; out is contiguous, so it always folds. A scalar or an all-ones shape folds completely,
     * with run strides 0.
     */
    static Layout layout(Tensor a, Tensor b) {
        int rank = a.rank();
        int[] sizes = a.shape().toArray();
        int[] as = a.strides();
        int[] bs = b.strides();
        int run = 1;
        int ai = 0;
        int bi = 0;
        boolean started = false;
        int d = rank - 1;
        for (; d >= 0; d--) {
            int size = sizes[d];
            if (size == 1) {
                continue;
            }
            if (!started) {
                ai = as[d];
                bi = bs[d];
                started = true;
            } else if (as[d] != ai * run || bs[d] != bi * run) {
                break;
            }
            run *= size;
        }
        return new Layout(rank - 1 - d, run, ai, bi);
    }
}
