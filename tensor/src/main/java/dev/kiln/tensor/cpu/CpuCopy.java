package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.innerStride;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.HalfConversions;
import dev.kiln.tensor.storage.CpuStorage;
import dev.kiln.tensor.storage.Storage;
import java.util.Arrays;

/**
 * Moving elements: host arrays in and out, fill, arange and copies between layouts and dtypes
 * (the casts: float to integer truncates toward zero, I64 to a float dtype rounds once).
 */
final class CpuCopy {
    private CpuCopy() {}

    /** Storage holding a copy of {@code hostArray}. */
    static Storage upload(DType dtype, Object hostArray) {
        Object copy = switch (hostArray) {
            case double[] a -> a.clone();
            case float[] a -> a.clone();
            case short[] a -> a.clone();
            case long[] a -> a.clone();
            case int[] a -> a.clone();
            case byte[] a -> a.clone();
            default -> throw new IllegalArgumentException("upload: unsupported host array " + hostArray.getClass());
        };
        return CpuStorage.wrap(dtype, copy);
    }

    /** t's elements in row-major order as a fresh host array. */
    static Object download(Tensor t) {
        int n = t.numel();
        CpuStorage s = storage(t);
        if (t.isContiguous() || n == 0) { // an empty view's offset may lie past the end of its storage
            Object out = switch (t.dtype()) {
                case F64 -> new double[n];
                case F32 -> new float[n];
                case F16, BF16 -> new short[n];
                case I64 -> new long[n];
                case I32 -> new int[n];
                case I8, BOOL -> new byte[n];
            };
            if (n > 0) {
                System.arraycopy(s.array(), t.offset(), out, 0, n);
            }
            return out;
        }
        try (Tensor c = t.copy()) {
            return download(c);
        }
    }

    static void fill(Tensor out, double value) {
        CpuStorage s = storage(out);
        int n = out.numel();
        int o = out.offset();
        switch (out.dtype()) {
            case F64 -> Arrays.fill(s.doubles(), o, o + n, value);
            case F32 -> Arrays.fill(s.floats(), o, o + n, (float) value);
            case F16 -> Arrays.fill(s.shorts(), o, o + n, HalfConversions.f64ToF16(value));
            case BF16 -> Arrays.fill(s.shorts(), o, o + n, HalfConversions.f64ToBf16(value));
            case I64 -> Arrays.fill(s.longs(), o, o + n, (long) value);
            case I32 -> Arrays.fill(s.ints(), o, o + n, (int) (long) value);
            case I8 -> Arrays.fill(s.bytes(), o, o + n, (byte) (long) value);
            case BOOL -> Arrays.fill(s.bytes(), o, o + n, (byte) (value != 0 ? 1 : 0));
        }
    }

    static void arange(Tensor out, double start, double step) {
        CpuStorage s = storage(out);
        for (int i = 0; i < out.numel(); i++) {
            if (out.dtype().isFloatingPoint()) {
                s.setDouble(out.offset() + i, start + i * step);
            } else {
                s.setLong(out.offset() + i, (long) (start + i * step));
            }
        }
    }

    /** Copies (and converts) src into out of the same shape. */
    static void copy(Tensor src, Tensor out) {
        CpuStorage s = storage(src);
        CpuStorage d = storage(out);
        int n = src.numel();
        if (n == 0) {
            return; // nothing to move, and an empty view's offset may lie past the end of its storage
        }
        if (src.isContiguous() && out.isContiguous()) {
            if (src.dtype() == out.dtype()) {
                System.arraycopy(s.array(), src.offset(), d.array(), out.offset(), n);
                return;
            }
            if (src.dtype() == DType.F32 && out.dtype() == DType.F16) {
                HalfConversions.f32ToF16(s.floats(), src.offset(), d.shorts(), out.offset(), n);
                return;
            }
            if (src.dtype() == DType.F32 && out.dtype() == DType.BF16) {
                HalfConversions.f32ToBf16(s.floats(), src.offset(), d.shorts(), out.offset(), n);
                return;
            }
            if (src.dtype() == DType.F16 && out.dtype() == DType.F32) {
                HalfConversions.f16ToF32(s.shorts(), src.offset(), d.floats(), out.offset(), n);
                return;
            }
            if (src.dtype() == DType.BF16 && out.dtype() == DType.F32) {
                HalfConversions.bf16ToF32(s.shorts(), src.offset(), d.floats(), out.offset(), n);
                return;
            }
            if (src.dtype() == DType.F32 && out.dtype() == DType.F64) {
                float[] f = s.floats();
                double[] g = d.doubles();
                for (int i = 0, so = src.offset(), o = out.offset(); i < n; i++) g[o + i] = f[so + i]; // exact
                return;
            }
            if (src.dtype() == DType.F64 && out.dtype() == DType.F32) {
                double[] f = s.doubles();
                float[] g = d.floats();
                for (int i = 0, so = src.offset(), o = out.offset(); i < n; i++) g[o + i] = (float) f[so + i]; // RNE, once
                return;
            }
        }
        if ((src.dtype() == DType.BOOL || src.dtype() == DType.I8) && out.dtype() == DType.F32 && src.isContiguous()
                && out.isContiguous()) {
            byte[] sb = s.bytes();
            float[] df = d.floats();
            int so = src.offset();
            int oo = out.offset();
            for (int i = 0; i < n; i++) {
                df[oo + i] = sb[so + i];
            }
            return;
        }
        if (src.dtype() == DType.F32 && out.dtype() == DType.F32 && out.isContiguous()) {
            StridedCopy.f32(src, s.floats(), d.floats(), out.offset());
            return;
        }
        if (src.dtype() == out.dtype() && src.rank() > 0 && src.size(-1) >= 8 && innerStride(src) == 1
                && innerStride(out) == 1) {
            // Rows contiguous on both sides (a slice of cat/stack's output, a narrowed view): one
            // arraycopy per row instead of an offset per element (that was a third of an LSTM
            // training step, in stack and cat).
            int[] sr = StridedOffsets.rowStarts(src);
            int[] dr = StridedOffsets.rowStarts(out);
            int len = src.size(-1);
            Object sa = s.array();
            Object da = d.array();
            for (int r = 0; r < sr.length; r++) {
                System.arraycopy(sa, sr[r], da, dr[r], len);
            }
            return;
        }
        int[] so = StridedOffsets.of(src);
        int[] dof = StridedOffsets.of(out);
        if (src.dtype() == out.dtype()) {
            Object sa = s.array();
            Object da = d.array();
            switch (sa) {
                case double[] f -> { double[] g = (double[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                case float[] f -> { float[] g = (float[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                case short[] f -> { short[] g = (short[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                case long[] f -> { long[] g = (long[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                case int[] f -> { int[] g = (int[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                case byte[] f -> { byte[] g = (byte[]) da; for (int i = 0; i < n; i++) g[dof[i]] = f[so[i]]; }
                default -> throw new IllegalStateException("copy: unexpected array " + sa.getClass());
            }
            return;
        }
        boolean exactInts = !src.dtype().isFloatingPoint() && !out.dtype().isFloatingPoint();
        for (int i = 0; i < n; i++) {
            if (exactInts) {
                d.setLong(dof[i], s.getLong(so[i]));
            } else if (out.dtype().isBool()) {
                double v = s.getDouble(so[i]);
                d.setLong(dof[i], v != 0 || Double.isNaN(v) ? 1 : 0);
            } else if (!out.dtype().isFloatingPoint()) {
                d.setLong(dof[i], floatToLong(s.getDouble(so[i])));
            } else if (src.dtype() == DType.I64 && out.dtype() != DType.F64) {
                // I64 rounds straight to float (F32, and F16/BF16 through F32 as torch's casts do): via
                // double it could round twice. setDouble then rounds every other double exactly once.
                d.setDouble(dof[i], (float) s.getLong(so[i]));
            } else {
                d.setDouble(dof[i], s.getDouble(so[i])); // to F64 exact (I64: one rounding to nearest)
            }
        }
    }

    /** Float to integer conversion truncates toward zero, as torch's .to(int) does (NaN gives 0 here). */
    private static long floatToLong(double v) {
        return (long) v;
    }
}
