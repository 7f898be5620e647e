package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.kernels.cpu.HalfConversions;

/**
 * Elementwise ops on F16/BF16 tensors without full-size F32 temporaries: the operands are widened
 * a block at a time into small per-thread float buffers (with the vectorised conversions), the
 * F32 kernel runs on the block, and the result is rounded straight into the half output. Same
 * results as widening everything first (each element is widened exactly, computed in F32 and
 * rounded once), a fraction of the memory traffic and no allocation.
 */
final class HalfBlocks {
    /** Elements per block: three float buffers of this size stay in L1. */
    static final int BLOCK = 1024;
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][BLOCK]);

    private HalfBlocks() {}

    static void widen(DType t, short[] src, int off, float[] dst, int n) {
        if (t == DType.F16) {
            HalfConversions.f16ToF32(src, off, dst, 0, n);
        } else {
            HalfConversions.bf16ToF32(src, off, dst, 0, n);
        }
    }

    static void narrow(DType t, float[] src, short[] dst, int off, int n) {
        if (t == DType.F16) {
            HalfConversions.f32ToF16(src, 0, dst, off, n);
        } else {
            HalfConversions.f32ToBf16(src, 0, dst, off, n);
        }
    }

    /** out[oo + i] = f(x[xo + i]) for i in [from, to); x and out of half dtype {@code t}. */
    static void unary(UnaryKernel f, DType t, short[] x, int xo, short[] out, int oo, int from, int to) {
        float[][] buf = BUFFERS.get();
        for (int s = from; s < to; s += BLOCK) {
            int len = Math.min(BLOCK, to - s);
            widen(t, x, xo + s, buf[0], len);
            f.f32(buf[0], 0, buf[1], 0, len);
            narrow(t, buf[1], out, oo + s, len);
        }
    }

    /**
     * One output run of {@code length} elements of a binary function: a and b start at
     * {@code aStart}/{@code bStart} with inner stride 1 (contiguous) or 0 (a broadcast value); out is
     * contiguous from {@code oStart}.
     */
    static void binaryRow(BinaryKernel f, DType t, short[] a, int aStart, int aInner, short[] b, int bStart, int bInner,
                          short[] out, int oStart, int length) {
        float[][] buf = BUFFERS.get();
        for (int s = 0; s < length; s += BLOCK) {
            int len = Math.min(BLOCK, length - s);
            load(t, a, aStart, aInner, s, buf[0], len);
            load(t, b, bStart, bInner, s, buf[1], len);
            f.f32(buf[0], 0, 1, buf[1], 0, 1, buf[2], 0, len);
            narrow(t, buf[2], out, oStart + s, len);
        }
    }

    private static void load(DType t, short[] src, int start, int inner, int s, float[] dst, int len) {
        if (inner == 1) {
            widen(t, src, start + s, dst, len);
        } else {
            float v = t == DType.F16 ? HalfConversions.f16ToF32(src[start]) : HalfConversions.bf16ToF32(src[start]);
            java.util.Arrays.fill(dst, 0, len, v);
        }
    }
}
