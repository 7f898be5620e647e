package dev.kiln.tensor.cpu;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import java.util.Arrays;

/**
 * Copy of a strided F32 view (a transpose, a permute, a slice, an expanded broadcast) into a
 * contiguous tensor, a row at a time: a stride-1 row is one {@code arraycopy}, a stride-0 row (a
 * broadcast) one {@code fill}. Dims that are contiguous among themselves are merged first, so rows
 * are as long as the layout allows.
 *
 * <p>Why: the generic path builds an offset array for every element of both sides, which made the
 * copies around a convolution's matrix products (an expanded loss gradient, a permuted bias
 * gradient) cost more than the products themselves (see {@code ./kiln bench conv}).
 */
final class StridedCopy {
    private static final int GRAIN = 1 << 15;

    private StridedCopy() {}

    /** Copies src into the contiguous out of the same shape (both F32). */
    static void f32(Tensor src, float[] x, float[] y, int yo) {
        int[] sizes = new int[src.rank()];
        int[] strides = new int[src.rank()];
        int rank = 0;
        for (int d = 0; d < src.rank(); d++) {
            int n = src.size(d);
            if (n == 1) {
                continue;
            }
            if (rank > 0 && strides[rank - 1] == src.strides()[d] * n) {
                sizes[rank - 1] *= n; // the previous dim steps exactly over this one: merge them
                strides[rank - 1] = src.strides()[d];
                continue;
            }
            sizes[rank] = n;
            strides[rank] = src.strides()[d];
            rank++;
        }
        int xo = src.offset();
        if (rank == 0) {
            y[yo] = x[xo];
            return;
        }
        int width = sizes[rank - 1];
        int stride = strides[rank - 1];
        int rows = src.numel() / width;
        int lead = rank - 1;
        CpuParallel.forRange(rows, Math.max(1, GRAIN / width), (r0, r1) -> {
            int[] counter = new int[lead];
            int off = xo;
            for (int d = lead - 1, r = r0; d >= 0; d--) {
                counter[d] = r % sizes[d];
                r /= sizes[d];
                off += counter[d] * strides[d];
            }
            for (int r = r0; r < r1; r++) {
                int dst = yo + r * width;
                if (stride == 1) {
                    System.arraycopy(x, off, y, dst, width);
                } else if (stride == 0) {
                    Arrays.fill(y, dst, dst + width, x[off]);
                } else {
                    for (int j = 0, s = off; j < width; j++, s += stride) {
                        y[dst + j] = x[s];
                    }
                }
                for (int d = lead - 1; d >= 0; d--) { // odometer over the leading dims
                    off += strides[d];
                    if (++counter[d] < sizes[d]) {
                        break;
                    }
                    off -= strides[d] * sizes[d];
                    counter[d] = 0;
                }
            }
        });
    }
}
