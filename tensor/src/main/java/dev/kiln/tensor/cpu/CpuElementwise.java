package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.GRAIN;
import static dev.kiln.tensor.cpu.CpuTensors.contiguousF32;
import static dev.kiln.tensor.cpu.CpuTensors.contiguousF64;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.storage.CpuStorage;

/**
 * Elementwise ops: unary and binary functions (through {@link UnaryKernel}/{@link BinaryKernel},
 * one path per {@link ComputePrecision}), where and clamp. Comparisons are {@link CpuComparisons}.
 */
final class CpuElementwise {
    private CpuElementwise() {}

    /** out = f(in); out is in's shape, contiguous, of in's dtype or (integer in, float f) F32. */
    static void unary(UnaryKernel f, Tensor in, Tensor out) {
        int n = in.numel();
        switch (ComputePrecision.of(out.dtype())) {
            case DOUBLE -> {
                try (Tensor x = contiguousF64(in)) {
                    double[] xs = storage(x).doubles();
                    double[] os = storage(out).doubles();
                    int xo = x.offset();
                    int oo = out.offset();
                    CpuParallel.forRange(n, GRAIN, (s, e) -> f.f64(xs, xo + s, os, oo + s, e - s));
                }
            }
            case FLOAT -> {
                try (Tensor x = contiguousF32(in)) {
                    float[] xs = storage(x).floats();
                    float[] os = storage(out).floats();
                    int xo = x.offset();
                    int oo = out.offset();
                    CpuParallel.forRange(n, GRAIN, (s, e) -> f.f32(xs, xo + s, os, oo + s, e - s));
                }
            }
            case HALF -> {
                if (in.dtype() == out.dtype() && in.isContiguous() && n > 0) {
                    // Block by block, no F32 temporaries (see HalfBlocks).
                    short[] xs = storage(in).shorts();
                    short[] os = storage(out).shorts();
                    int xo = in.offset();
                    int oo = out.offset();
                    CpuParallel.forRange(n, GRAIN, (s, e) -> HalfBlocks.unary(f, out.dtype(), xs, xo, os, oo, s, e));
                } else {
                    ComputePrecision.throughF32(out, tmp -> unary(f, in, tmp));
                }
            }
            case LONG -> {
                CpuStorage s = storage(in);
                CpuStorage d = storage(out);
                int[] so = StridedOffsets.of(in);
                for (int i = 0; i < n; i++) {
                    d.setLong(out.offset() + i, f.integer(s.getLong(so[i])));
                }
            }
        }
    }

    /** out = f(a, b) for an arithmetic function; a and b are already expanded to out's shape. */
    static void binary(BinaryKernel f, Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        switch (ComputePrecision.of(out.dtype())) {
            case DOUBLE -> {
                // F64 with any other dtype promotes to F64: widen the other operand (exactly, or for I64
                // with one rounding, as torch does) and compute in double.
                try (Tensor a64 = a.dtype() == DType.F64 ? a.expand(a.shape().toArray()) : a.to(DType.F64);
                     Tensor b64 = b.dtype() == DType.F64 ? b.expand(b.shape().toArray()) : b.to(DType.F64)) {
                    binaryF64(f, a64, b64, out);
                }
            }
            case FLOAT -> {
                if (a.dtype() == DType.F32 && b.dtype() == DType.F32) {
                    binaryF32(f, a, b, out);
                } else {
                    binaryMixed(f, a, b, out);
                }
            }
            case HALF -> {
                if (a.dtype() == out.dtype() && b.dtype() == out.dtype() && BroadcastRows.unitOrBroadcastInner(a, b)) {
                    binaryHalfBlocked(f, a, b, out);
                } else {
                    ComputePrecision.throughF32(out, tmp -> {
                        try (Tensor a32 = contiguousF32(a); Tensor b32 = contiguousF32(b)) {
                            binaryF32(f, a32, b32, tmp);
                        }
                    });
                }
            }
            case LONG -> binaryMixed(f, a, b, out);
        }
    }

    private static void binaryF32(BinaryKernel f, Tensor a, Tensor b, Tensor out) {
        float[] as = storage(a).floats();
        float[] bs = storage(b).floats();
        float[] os = storage(out).floats();
        BroadcastRows.forEach(a, b, out, (ai, aInner, bi, bInner, o, len) -> f.f32(as, ai, aInner, bs, bi, bInner, os, o, len));
    }

    private static void binaryF64(BinaryKernel f, Tensor a, Tensor b, Tensor out) {
        double[] as = storage(a).doubles();
        double[] bs = storage(b).doubles();
        double[] os = storage(out).doubles();
        BroadcastRows.forEach(a, b, out, (ai, aInner, bi, bInner, o, len) -> f.f64(as, ai, aInner, bs, bi, bInner, os, o, len));
    }

    /** Half operands and output block by block through small F32 buffers (no full-size temporaries). */
    private static void binaryHalfBlocked(BinaryKernel f, Tensor a, Tensor b, Tensor out) {
        short[] as = storage(a).shorts();
        short[] bs = storage(b).shorts();
        short[] os = storage(out).shorts();
        DType t = out.dtype();
        BroadcastRows.forEach(a, b, out,
                (ai, aInner, bi, bInner, o, len) -> HalfBlocks.binaryRow(f, t, as, ai, aInner, bs, bi, bInner, os, o, len));
    }

    /**
     * Mixed dtypes into F32 (computed in F32, the promoted float type's precision) and integers
     * (exact in long; true division gives F32), element by element through the storage accessors.
     */
    private static void binaryMixed(BinaryKernel f, Tensor a, Tensor b, Tensor out) {
        CpuStorage sa = storage(a);
        CpuStorage sb = storage(b);
        CpuStorage d = storage(out);
        int[] ao = StridedOffsets.of(a);
        int[] bo = StridedOffsets.of(b);
        boolean floating = a.dtype().isFloatingPoint() || b.dtype().isFloatingPoint();
        DType computeType = DType.promote(a.dtype(), b.dtype());
        for (int i = 0, n = out.numel(); i < n; i++) {
            int oi = out.offset() + i;
            if (floating) {
                d.setDouble(oi, f.f32((float) sa.getDouble(ao[i]), (float) sb.getDouble(bo[i])));
                continue;
            }
            long x = sa.getLong(ao[i]);
            long y = sb.getLong(bo[i]);
            if (f.floatForIntegers()) {
                d.setDouble(oi, (float) ((double) x / (double) y));
            } else {
                d.setLong(oi, f.integer(x, y, computeType));
            }
        }
    }

    /** out = cond ? a : b; all already expanded to out's shape. */
    static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        CpuStorage sc = storage(cond);
        CpuStorage sa = storage(a);
        CpuStorage sb = storage(b);
        CpuStorage d = storage(out);
        int[] co = StridedOffsets.of(cond);
        int[] ao = StridedOffsets.of(a);
        int[] bo = StridedOffsets.of(b);
        boolean floating = out.dtype().isFloatingPoint();
        for (int i = 0; i < out.numel(); i++) {
            boolean c = sc.bytes()[co[i]] != 0;
            CpuStorage src = c ? sa : sb;
            int off = c ? ao[i] : bo[i];
            if (floating) {
                d.setDouble(out.offset() + i, src.getDouble(off));
            } else {
                d.setLong(out.offset() + i, src.getLong(off));
            }
        }
    }

    /** Clamps to [min, max] (either may be NaN meaning unbounded). */
    static void clamp(Tensor in, double min, double max, Tensor out) {
        CpuStorage s = storage(in);
        CpuStorage d = storage(out);
        int[] so = StridedOffsets.of(in);
        boolean floating = in.dtype().isFloatingPoint();
        for (int i = 0; i < in.numel(); i++) {
            if (in.dtype() == DType.F64) {
                double v = s.getDouble(so[i]);
                if (!Double.isNaN(min) && v < min) v = min;
                if (!Double.isNaN(max) && v > max) v = max;
                d.setDouble(out.offset() + i, v);
            } else if (floating) {
                float v = (float) s.getDouble(so[i]);
                if (!Double.isNaN(min) && v < (float) min) v = (float) min;
                if (!Double.isNaN(max) && v > (float) max) v = (float) max;
                d.setDouble(out.offset() + i, v);
            } else {
                long v = s.getLong(so[i]);
                if (!Double.isNaN(min) && v < min) v = (long) Math.ceil(min);
                if (!Double.isNaN(max) && v > max) v = (long) Math.floor(max);
                d.setLong(out.offset() + i, v);
            }
        }
    }
}
