package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.backend.Backend;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.DoubleElementwiseKernels;
import dev.kiln.tensor.kernels.cpu.DoubleGemm;
import dev.kiln.tensor.kernels.cpu.DoubleReductionKernels;
import dev.kiln.tensor.kernels.cpu.ElementwiseKernels;
import dev.kiln.tensor.kernels.cpu.FlashAttentionKernels;
import dev.kiln.tensor.kernels.cpu.HalfConversions;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import dev.kiln.tensor.kernels.cpu.LayerNormKernels;
import dev.kiln.tensor.kernels.cpu.LstmCellKernels;
import dev.kiln.tensor.kernels.cpu.ReductionKernels;
import dev.kiln.tensor.kernels.cpu.WindowKernels;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.FusedStep;
import dev.kiln.tensor.ops.ReduceOp;
import dev.kiln.tensor.ops.UnaryOp;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.CpuStorage;
import dev.kiln.tensor.storage.Storage;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend. F32 has fast paths (Vector API kernels, packed GEMM); F16/BF16 are widened to
 * F32, computed and rounded back; F64 computes in double end to end (its own kernels, never via
 * F32); integers compute in {@code long}. Generic paths walk strided views through precomputed
 * storage offsets ({@link StridedOffsets}).
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    /** Elements below which a kernel is not worth splitting across threads. */
    private static final int GRAIN = 1 << 15;

    private CpuBackend() {}

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(DType dtype, int length) {
        return CpuStorage.allocate(dtype, length);
    }

    @Override
    public Storage upload(DType dtype, Object hostArray) {
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

    private static CpuStorage st(Tensor t) {
        return (CpuStorage) t.storage();
    }

    @Override
    public Object download(Tensor t) {
        int n = t.numel();
        CpuStorage s = st(t);
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

    @Override
    public void fill(Tensor out, double value) {
        CpuStorage s = st(out);
        int n = out.numel();
        int o = out.offset();
        switch (out.dtype()) {
            case F64 -> java.util.Arrays.fill(s.doubles(), o, o + n, value);
            case F32 -> java.util.Arrays.fill(s.floats(), o, o + n, (float) value);
            case F16 -> java.util.Arrays.fill(s.shorts(), o, o + n, HalfConversions.f64ToF16(value));
            case BF16 -> java.util.Arrays.fill(s.shorts(), o, o + n, HalfConversions.f64ToBf16(value));
            case I64 -> java.util.Arrays.fill(s.longs(), o, o + n, (long) value);
            case I32 -> java.util.Arrays.fill(s.ints(), o, o + n, (int) (long) value);
            case I8 -> java.util.Arrays.fill(s.bytes(), o, o + n, (byte) (long) value);
            case BOOL -> java.util.Arrays.fill(s.bytes(), o, o + n, (byte) (value != 0 ? 1 : 0));
        }
    }

    @Override
    public void arange(Tensor out, double start, double step) {
        CpuStorage s = st(out);
        for (int i = 0; i < out.numel(); i++) {
            if (out.dtype().isFloatingPoint()) {
                s.setDouble(out.offset() + i, start + i * step);
            } else {
                s.setLong(out.offset() + i, (long) (start + i * step));
            }
        }
    }

    @Override
    public void copy(Tensor src, Tensor out) {
        CpuStorage s = st(src);
        CpuStorage d = st(out);
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

    /** A contiguous F64 tensor with t's values (a view when t already is one). */
    private static Tensor asF64Contiguous(Tensor t) {
        if (t.dtype() == DType.F64) {
            return t.contiguous();
        }
        try (Tensor wide = t.to(DType.F64)) {
            return wide.contiguous();
        }
    }

    /** A contiguous F32 tensor with t's values (a view when t already is one). */
    private static Tensor asF32Contiguous(Tensor t) {
        if (t.dtype() == DType.F32) {
            return t.contiguous();
        }
        return t.to(DType.F32).contiguous();
    }

    @Override
    public void unary(UnaryOp op, Tensor in, Tensor out) {
        int n = in.numel();
        if (out.dtype().isHalf() && in.dtype() == out.dtype() && in.isContiguous() && n > 0) {
            short[] xs = st(in).shorts();
            short[] os = st(out).shorts();
            int xo = in.offset();
            int oo = out.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> HalfBlocks.unary(op, out.dtype(), xs, xo, os, oo, s, e));
            return;
        }
        if (out.dtype() == DType.F64) {
            try (Tensor x = asF64Contiguous(in)) {
                double[] xs = st(x).doubles();
                double[] os = st(out).doubles();
                int xo = x.offset();
                int oo = out.offset();
                CpuParallel.forRange(n, GRAIN, (s, e) -> DoubleElementwiseKernels.unary(op, xs, xo + s, os, oo + s, e - s));
            }
            return;
        }
        if (out.dtype().isFloatingPoint()) {
            try (Tensor x = asF32Contiguous(in)) {
                float[] xs = st(x).floats();
                int xo = x.offset();
                if (out.dtype() == DType.F32) {
                    float[] os = st(out).floats();
                    int oo = out.offset();
                    CpuParallel.forRange(n, GRAIN, (s, e) -> ElementwiseKernels.unary(op, xs, xo + s, os, oo + s, e - s));
                } else {
                    try (Tensor tmp = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                        float[] os = st(tmp).floats();
                        CpuParallel.forRange(n, GRAIN, (s, e) -> ElementwiseKernels.unary(op, xs, xo + s, os, s, e - s));
                        copy(tmp, out);
                    }
                }
            }
            return;
        }
        CpuStorage s = st(in);
        CpuStorage d = st(out);
        int[] so = StridedOffsets.of(in);
        for (int i = 0; i < n; i++) {
            long v = s.getLong(so[i]);
            long r = switch (op) {
                case NEG -> -v;
                case ABS -> Math.abs(v);
                case SIGN -> Long.signum(v);
                case RELU -> Math.max(v, 0);
                default -> throw new IllegalStateException("unary: " + op + " has no integer form");
            };
            d.setLong(out.offset() + i, r);
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int n = out.numel();
        if (n == 0) {
            return;
        }
        if (!op.isComparison() && out.dtype() == DType.F32 && a.dtype() == DType.F32 && b.dtype() == DType.F32) {
            binaryF32(op, a, b, out);
            return;
        }
        if (op.isComparison() && a.dtype() == DType.F32 && b.dtype() == DType.F32 && out.dtype() == DType.BOOL) {
            compareF32(op, a, b, out);
            return;
        }
        if (!op.isComparison() && out.dtype() == DType.F64) {
            // F64 with any other dtype promotes to F64: widen the other operand (exactly, or for I64
            // with one rounding, as torch does) and compute in double.
            try (Tensor a64 = a.dtype() == DType.F64 ? a.expand(a.shape().toArray()) : a.to(DType.F64);
                 Tensor b64 = b.dtype() == DType.F64 ? b.expand(b.shape().toArray()) : b.to(DType.F64)) {
                binaryF64(op, a64, b64, out);
            }
            return;
        }
        if (!op.isComparison() && out.dtype().isHalf() && a.dtype() == out.dtype() && b.dtype() == out.dtype()
                && binaryHalfBlocked(op, a, b, out)) {
            return;
        }
        if (!op.isComparison() && out.dtype().isHalf()) {
            try (Tensor a32 = asF32Contiguous(a); Tensor b32 = asF32Contiguous(b);
                 Tensor tmp = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                binaryF32(op, a32, b32, tmp);
                copy(tmp, out);
            }
            return;
        }
        CpuStorage sa = st(a);
        CpuStorage sb = st(b);
        CpuStorage d = st(out);
        int[] ao = StridedOffsets.of(a);
        int[] bo = StridedOffsets.of(b);
        boolean floating = a.dtype().isFloatingPoint() || b.dtype().isFloatingPoint();
        DType computeType = DType.promote(a.dtype(), b.dtype());
        if (floating && computeType == DType.F64) {
            // Comparisons in double (the promoted type), IEEE order, NaN unordered.
            for (int i = 0; i < n; i++) {
                double x = sa.getDouble(ao[i]);
                double y = sb.getDouble(bo[i]);
                d.setLong(out.offset() + i, compare(op, x < y ? -1 : (x > y ? 1 : 0), x, y) ? 1 : 0);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            int oi = out.offset() + i;
            if (floating) {
                // Compare or compute in the promoted float type's precision (F32 for F32/F16/BF16).
                float x = (float) sa.getDouble(ao[i]);
                float y = (float) sb.getDouble(bo[i]);
                if (op.isComparison()) {
                    // IEEE order (-0.0 == 0.0), not Float.compare's total order; NaN is handled in compare.
                    d.setLong(oi, compare(op, x < y ? -1 : (x > y ? 1 : 0), x, y) ? 1 : 0);
                } else {
                    d.setDouble(oi, ElementwiseKernels.scalar(op, x, y));
                }
            } else {
                long x = sa.getLong(ao[i]);
                long y = sb.getLong(bo[i]);
                if (op.isComparison()) {
                    d.setLong(oi, compare(op, Long.compare(x, y), x, y) ? 1 : 0);
                } else if (op == BinaryOp.DIV) {
                    d.setDouble(oi, (float) ((double) x / (double) y));
                } else {
                    d.setLong(oi, integerOp(op, x, y, computeType));
                }
            }
        }
    }

    private static boolean compare(BinaryOp op, int cmp, double x, double y) {
        boolean unordered = Double.isNaN(x) || Double.isNaN(y);
        return switch (op) {
            // cmp, not x == y: longs beyond 2^53 are not exact as doubles.
            case EQ -> !unordered && cmp == 0;
            case NE -> unordered || cmp != 0;
            case LT -> !unordered && cmp < 0;
            case LE -> !unordered && cmp <= 0;
            case GT -> !unordered && cmp > 0;
            case GE -> !unordered && cmp >= 0;
            default -> throw new IllegalStateException("compare: " + op);
        };
    }

    private static long integerOp(BinaryOp op, long x, long y, DType type) {
        return switch (op) {
            case ADD -> type.isBool() ? (x | y) : x + y;
            case SUB -> x - y;
            case MUL -> type.isBool() ? (x & y) : x * y;
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case RELU_BACKWARD -> y > 0 ? x : 0;
            case POW -> {
                if (y < 0) {
                    if (x == 1) yield 1;
                    if (x == -1) yield (y & 1) == 0 ? 1 : -1;
                    throw new ArithmeticException("pow: integers to negative integer powers are not allowed (" + x + "^" + y + ")");
                }
                long r = 1;
                long base = x;
                long e = y;
                while (e > 0) {
                    if ((e & 1) == 1) r *= base;
                    base *= base;
                    e >>= 1;
                }
                yield r;
            }
            default -> throw new IllegalStateException("integer op " + op);
        };
    }

    /**
     * A half-precision binary op block by block (no F32 temporaries) when each operand's innermost
     * stride is 1 or 0; false (nothing done) for other layouts.
     */
    private static boolean binaryHalfBlocked(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int n = out.numel();
        int rank = out.rank();
        short[] as = st(a).shorts();
        short[] bs = st(b).shorts();
        short[] os = st(out).shorts();
        int oo = out.offset();
        DType t = out.dtype();
        if (a.isContiguous() && b.isContiguous()) {
            int ao = a.offset();
            int bo = b.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> HalfBlocks.binaryRow(op, t, as, ao, 1, bs, bo, 1, os, oo, s, e));
            return true;
        }
        int inner = rank == 0 ? 1 : out.size(-1);
        int aInner = rank == 0 ? 0 : a.strides()[rank - 1];
        int bInner = rank == 0 ? 0 : b.strides()[rank - 1];
        if ((aInner != 0 && aInner != 1) || (bInner != 0 && bInner != 1)) {
            return false;
        }
        int rows = n / inner;
        int[] aRow = StridedOffsets.rowStarts(a);
        int[] bRow = StridedOffsets.rowStarts(b);
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(inner, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                HalfBlocks.binaryRow(op, t, as, aRow[r], aInner, bs, bRow[r], bInner, os, oo + r * inner, 0, inner);
            }
        });
        return true;
    }

    /** F32 comparison into BOOL, one row (innermost dim) at a time, IEEE semantics (NaN compares false except NE). */
    private static void compareF32(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] as = st(a).floats();
        float[] bs = st(b).floats();
        byte[] os = st(out).bytes();
        int n = out.numel();
        int rank = out.rank();
        int inner = rank == 0 ? 1 : out.size(-1);
        int rows = n / inner;
        int aInner = rank == 0 ? 0 : a.strides()[rank - 1];
        int bInner = rank == 0 ? 0 : b.strides()[rank - 1];
        int[] aRow = StridedOffsets.rowStarts(a);
        int[] bRow = StridedOffsets.rowStarts(b);
        int oo = out.offset();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(inner, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                int ai = aRow[r];
                int bi = bRow[r];
                int o = oo + r * inner;
                for (int i = 0; i < inner; i++, ai += aInner, bi += bInner) {
                    float x = as[ai];
                    float y = bs[bi];
                    boolean v = switch (op) {
                        case EQ -> x == y;
                        case NE -> x != y;
                        case LT -> x < y;
                        case LE -> x <= y;
                        case GT -> x > y;
                        case GE -> x >= y;
                        default -> throw new IllegalStateException("compare: " + op);
                    };
                    os[o + i] = (byte) (v ? 1 : 0);
                }
            }
        });
    }

    /** F32 binary op over broadcast (stride-0) views, one row (innermost dim) at a time. */
    private static void binaryF32(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] as = st(a).floats();
        float[] bs = st(b).floats();
        float[] os = st(out).floats();
        int n = out.numel();
        if (a.isContiguous() && b.isContiguous()) {
            int ao = a.offset();
            int bo = b.offset();
            int oo = out.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> ElementwiseKernels.binary(op, as, ao + s, 1, bs, bo + s, 1, os, oo + s, e - s));
            return;
        }
        int rank = out.rank();
        int inner = rank == 0 ? 1 : out.size(-1);
        int rows = n / inner;
        int aInner = rank == 0 ? 0 : a.strides()[rank - 1];
        int bInner = rank == 0 ? 0 : b.strides()[rank - 1];
        int[] aRow = StridedOffsets.rowStarts(a);
        int[] bRow = StridedOffsets.rowStarts(b);
        int oo = out.offset();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(inner, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                ElementwiseKernels.binary(op, as, aRow[r], aInner, bs, bRow[r], bInner, os, oo + r * inner, inner);
            }
        });
    }

    /** F64 twin of {@link #binaryF32}: one row (innermost dim) at a time over broadcast views. */
    private static void binaryF64(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        double[] as = st(a).doubles();
        double[] bs = st(b).doubles();
        double[] os = st(out).doubles();
        int n = out.numel();
        if (a.isContiguous() && b.isContiguous()) {
            int ao = a.offset();
            int bo = b.offset();
            int oo = out.offset();
            CpuParallel.forRange(n, GRAIN, (s, e) -> DoubleElementwiseKernels.binary(op, as, ao + s, 1, bs, bo + s, 1, os, oo + s, e - s));
            return;
        }
        int rank = out.rank();
        int inner = rank == 0 ? 1 : out.size(-1);
        int rows = n / inner;
        int aInner = rank == 0 ? 0 : a.strides()[rank - 1];
        int bInner = rank == 0 ? 0 : b.strides()[rank - 1];
        int[] aRow = StridedOffsets.rowStarts(a);
        int[] bRow = StridedOffsets.rowStarts(b);
        int oo = out.offset();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(inner, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                DoubleElementwiseKernels.binary(op, as, aRow[r], aInner, bs, bRow[r], bInner, os, oo + r * inner, inner);
            }
        });
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        CpuStorage sc = st(cond);
        CpuStorage sa = st(a);
        CpuStorage sb = st(b);
        CpuStorage d = st(out);
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

    @Override
    public void clamp(Tensor in, double min, double max, Tensor out) {
        CpuStorage s = st(in);
        CpuStorage d = st(out);
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

    /** in with the given dims moved last, as a contiguous [outer, inner] problem. */
    private static int[] dimsLastOrder(int rank, int[] dims) {
        int[] order = new int[rank];
        boolean[] reduced = new boolean[rank];
        for (int d : dims) {
            reduced[d] = true;
        }
        int j = 0;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                order[j++] = i;
            }
        }
        for (int d : dims) {
            order[j++] = d;
        }
        return order;
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

    @Override
    public void reduce(ReduceOp op, Tensor in, int[] dims, int correction, Tensor out) {
        int inner = 1;
        for (int d : dims) {
            inner *= in.size(d);
        }
        int outer = out.numel();
        int[] kept = keptBlock(in, dims);
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && in.dtype() == DType.F32 && in.isContiguous()
                && kept != null && kept[2] > 1 && inner > 0) {
            // Kept dims in the middle of reduced ones ([N, C, H, W] summed over N, H, W): sum rows in place.
            ReductionKernels.sumOuterInner(st(in).floats(), in.offset(), kept[0], outer, kept[2], st(out).floats(),
                    out.offset(), op == ReduceOp.MEAN ? 1f / inner : 1f);
            return;
        }
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && in.dtype() == DType.F32 && in.isContiguous()
                && isLeadingPrefix(dims) && inner > 0 && outer > 1) {
            // Reducing leading dims of a contiguous tensor (a bias gradient, a batch mean): add whole
            // rows instead of transposing the input to make the reduced dims innermost.
            ReductionKernels.sumRows(st(in).floats(), in.offset(), inner, outer, st(out).floats(), out.offset(),
                    op == ReduceOp.MEAN ? 1f / inner : 1f);
            return;
        }
        try (Tensor moved = in.permute(dimsLastOrder(in.rank(), dims))) {
            if (in.dtype() == DType.F64) {
                reduceF64(op, moved, inner, outer, correction, out);
                return;
            }
            if (in.dtype().isFloatingPoint() || op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                boolean ints = !in.dtype().isFloatingPoint();
                if (ints) {
                    // argmax/argmin over integers: exact comparison in long.
                    try (Tensor x = moved.to(DType.I64).contiguous()) {
                        long[] xs = st(x).longs();
                        long[] os = st(out).longs();
                        for (int r = 0; r < outer; r++) {
                            int base = x.offset() + r * inner;
                            int best = 0;
                            for (int i = 1; i < inner; i++) {
                                long v = xs[base + i];
                                if (op == ReduceOp.ARGMAX ? v > xs[base + best] : v < xs[base + best]) best = i;
                            }
                            os[out.offset() + r] = best;
                        }
                    }
                    return;
                }
                try (Tensor x = asF32Contiguous(moved)) {
                    float[] xs = st(x).floats();
                    int xo = x.offset();
                    if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                        long[] os = st(out).longs();
                        int oo = out.offset();
                        int fInner = inner;
                        CpuParallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, inner)), (s, e) -> {
                            for (int r = s; r < e; r++) {
                                os[oo + r] = ReductionKernels.argExtreme(xs, xo + r * fInner, fInner, op == ReduceOp.ARGMAX);
                            }
                        });
                        return;
                    }
                    try (Tensor tmp = out.dtype() == DType.F32 ? null : Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                        Tensor target = tmp == null ? out : tmp;
                        float[] os = st(target).floats();
                        int oo = target.offset();
                        int fInner = inner;
                        CpuParallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, inner)), (s, e) -> {
                            for (int r = s; r < e; r++) {
                                os[oo + r] = ReductionKernels.reduceRow(op, xs, xo + r * fInner, fInner, correction);
                            }
                        });
                        if (tmp != null) {
                            copy(tmp, out);
                        }
                    }
                }
                return;
            }
            // Integer and bool SUM / MAX / MIN in exact long arithmetic.
            try (Tensor x = moved.to(DType.I64).contiguous()) {
                long[] xs = st(x).longs();
                CpuStorage d = st(out);
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
    }

    /** Reductions of F64 input (moved: the reduced dims last) in double; arg ops write I64. */
    private static void reduceF64(ReduceOp op, Tensor moved, int inner, int outer, int correction, Tensor out) {
        try (Tensor x = asF64Contiguous(moved)) {
            double[] xs = st(x).doubles();
            int xo = x.offset();
            int oo = out.offset();
            int grain = Math.max(1, GRAIN / Math.max(1, inner));
            if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                long[] os = st(out).longs();
                CpuParallel.forRange(outer, grain, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        os[oo + r] = DoubleReductionKernels.argExtreme(xs, xo + r * inner, inner, op == ReduceOp.ARGMAX);
                    }
                });
                return;
            }
            double[] os = st(out).doubles();
            CpuParallel.forRange(outer, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    os[oo + r] = DoubleReductionKernels.reduceRow(op, xs, xo + r * inner, inner, correction);
                }
            });
        }
    }

    @Override
    public void softmax(Tensor in, int dim, boolean log, Tensor out) {
        int rank = in.rank();
        int[] order = rank == 0 ? new int[0] : dimsLastOrder(rank, new int[] {dim});
        int inner = rank == 0 ? 1 : in.size(dim);
        int rows = inner == 0 ? 0 : in.numel() / inner;
        if (in.dtype() == DType.F64) {
            try (Tensor moved = in.permute(order); Tensor x = asF64Contiguous(moved);
                 Tensor y = Tensor.empty(DType.F64, Device.CPU, moved.shape())) {
                double[] xs = st(x).doubles();
                double[] ys = st(y).doubles();
                int xo = x.offset();
                CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, inner)), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        DoubleReductionKernels.softmaxRow(xs, xo + r * inner, ys, r * inner, inner, log);
                    }
                });
                int[] inverse = new int[rank];
                for (int i = 0; i < rank; i++) {
                    inverse[order[i]] = i;
                }
                try (Tensor back = y.permute(inverse)) {
                    copy(back, out);
                }
            }
            return;
        }
        try (Tensor moved = in.permute(order); Tensor x = asF32Contiguous(moved);
             Tensor y = Tensor.empty(DType.F32, Device.CPU, moved.shape())) {
            float[] xs = st(x).floats();
            float[] ys = st(y).floats();
            int xo = x.offset();
            CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, inner)), (s, e) -> {
                for (int r = s; r < e; r++) {
                    ReductionKernels.softmaxRow(xs, xo + r * inner, ys, r * inner, inner, log);
                }
            });
            int[] inverse = new int[rank];
            for (int i = 0; i < rank; i++) {
                inverse[order[i]] = i;
            }
            try (Tensor back = y.permute(inverse)) {
                copy(back, out);
            }
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        if (a.dtype() == DType.F64) {
            matmulF64(a, b, out);
            return;
        }
        if (a.dtype() != DType.F32) {
            if (a.dtype().isFloatingPoint()) {
                try (Tensor a32 = a.to(DType.F32); Tensor b32 = b.to(DType.F32);
                     Tensor o32 = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                    matmul(a32, b32, o32);
                    copy(o32, out);
                }
                return;
            }
            matmulIntegers(a, b, out);
            return;
        }
        int rank = out.rank();
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        int batches = m * n == 0 ? 0 : out.numel() / (m * n);
        Tensor aa = gemmOperand(a);
        Tensor bb = gemmOperand(b);
        try (aa; bb) {
            int[] as = aa.strides();
            int[] bs = bb.strides();
            boolean transA = as[rank - 1] != 1;
            boolean transB = bs[rank - 1] != 1;
            int lda = transA ? as[rank - 1] : as[rank - 2];
            int ldb = transB ? bs[rank - 1] : bs[rank - 2];
            int[] aStarts = StridedOffsets.batchStarts(aa, 2);
            int[] bStarts = StridedOffsets.batchStarts(bb, 2);
            float[] af = st(aa).floats();
            float[] bf = st(bb).floats();
            float[] of = st(out).floats();
            int oo = out.offset();
            if (batches == 0) {
                return;
            }
            if (k == 0) {
                java.util.Arrays.fill(of, oo, oo + out.numel(), 0f);
                return;
            }
            long flopsPerBatch = 2L * m * n * k;
            if (batches > 1 && flopsPerBatch < (1L << 22)) {
                // Many small products: one thread per group of batches; the GEMM inside runs single-threaded.
                CpuParallel.forRange(batches, Math.max(1, (int) ((1L << 21) / Math.max(1, flopsPerBatch))), (s, e) -> {
                    for (int i = s; i < e; i++) {
                        PackedGemm.sgemm(transA, transB, m, n, k, 1f, af, aStarts[i], Math.max(lda, 1), bf, bStarts[i],
                                Math.max(ldb, 1), 0f, of, oo + i * m * n, Math.max(n, 1));
                    }
                });
            } else {
                for (int i = 0; i < batches; i++) {
                    PackedGemm.sgemm(transA, transB, m, n, k, 1f, af, aStarts[i], Math.max(lda, 1), bf, bStarts[i],
                            Math.max(ldb, 1), 0f, of, oo + i * m * n, Math.max(n, 1));
                }
            }
        }
    }

    /**
     * A view PackedGemm can read: each matrix row-major (inner stride 1) or transposed (row stride 1),
     * with a leading dimension covering the other; otherwise a contiguous copy. Batch strides may be
     * anything (including 0 for broadcast batches).
     */
    private static int innerStride(Tensor t) {
        return t.strides()[t.rank() - 1];
    }

    private static Tensor gemmOperand(Tensor t) {
        int rank = t.rank();
        int[] s = t.strides();
        int rows = t.size(-2);
        int cols = t.size(-1);
        boolean rowMajor = (s[rank - 1] == 1 || cols == 1) && s[rank - 2] >= Math.max(cols, 1);
        boolean colMajor = (s[rank - 2] == 1 || rows == 1) && s[rank - 1] >= Math.max(rows, 1);
        if (rowMajor && s[rank - 1] == 1) {
            return t.reshape(t.shape().toArray());
        }
        if (colMajor && s[rank - 2] == 1 && s[rank - 1] != 1) {
            return t.reshape(t.shape().toArray());
        }
        return t.copy();
    }

    /**
     * F64 matmul straight from the (possibly transposed, sliced or batch-broadcast) views: every
     * output row of every batch is an independent task for {@link DoubleGemm#row}.
     */
    private static void matmulF64(Tensor a, Tensor b, Tensor out) {
        int rank = out.rank();
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        int batches = m * n == 0 ? 0 : out.numel() / (m * n);
        if (batches == 0) {
            return;
        }
        int[] as = a.strides();
        int[] bs = b.strides();
        int aRow = as[rank - 2];
        int aCol = as[rank - 1];
        int bRow = bs[rank - 2];
        int bCol = bs[rank - 1];
        int[] aStarts = StridedOffsets.batchStarts(a, 2);
        int[] bStarts = StridedOffsets.batchStarts(b, 2);
        double[] ad = k == 0 ? null : st(a).doubles();
        double[] bd = k == 0 ? null : st(b).doubles();
        double[] od = st(out).doubles();
        int oo = out.offset();
        if (k == 0) {
            java.util.Arrays.fill(od, oo, oo + out.numel(), 0.0);
            return;
        }
        int grain = (int) Math.max(1, (1L << 16) / Math.max(1L, 2L * n * k)); // ~64K flops per task
        CpuParallel.forRange(batches * m, grain, (s, e) -> {
            for (int r = s; r < e; r++) {
                int bi = r / m;
                int i = r % m;
                DoubleGemm.row(ad, aStarts[bi] + i * aRow, aCol, bd, bStarts[bi], bRow, bCol, k, n, od, oo + r * n);
            }
        });
    }

    private static void matmulIntegers(Tensor a, Tensor b, Tensor out) {
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        try (Tensor x = a.to(DType.I64).contiguous(); Tensor y = b.to(DType.I64).contiguous()) {
            long[] xs = st(x).longs();
            long[] ys = st(y).longs();
            CpuStorage d = st(out);
            int batches = m * n == 0 ? 0 : out.numel() / (m * n);
            for (int bi = 0; bi < batches; bi++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        long acc = 0;
                        for (int p = 0; p < k; p++) {
                            acc += xs[x.offset() + bi * m * k + i * k + p] * ys[y.offset() + bi * k * n + p * n + j];
                        }
                        d.setLong(out.offset() + bi * m * n + i * n + j, acc);
                    }
                }
            }
        }
    }

    @Override
    public void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
        long[] idx = index.toLongArray();
        if (in.rank() == 0) {
            copy(in, out);
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            try (Tensor src = in.narrow(dim, (int) idx[i], 1); Tensor dst = out.narrow(dim, i, 1)) {
                copy(src, dst);
            }
        }
    }

    @Override
    public void gather(Tensor in, int dim, Tensor index, Tensor out) {
        CpuStorage s = st(in);
        CpuStorage d = st(out);
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

    @Override
    public void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        CpuStorage s = st(src);
        CpuStorage d = st(out);
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

    @Override
    public void sort(Tensor in, int dim, boolean descending, Tensor values, Tensor indices) {
        int rank = in.rank();
        int[] order = rank == 0 ? new int[0] : dimsLastOrder(rank, new int[] {dim});
        int inner = rank == 0 ? 1 : in.size(dim);
        int rows = inner == 0 ? 0 : in.numel() / inner;
        boolean floating = in.dtype().isFloatingPoint();
        DType sortType = floating ? (in.dtype() == DType.F64 ? DType.F64 : DType.F32) : DType.I64; // exact keys
        try (Tensor moved = in.permute(order); Tensor x = moved.to(sortType).contiguous();
             Tensor vals = Tensor.empty(x.dtype(), Device.CPU, moved.shape());
             Tensor idxs = Tensor.empty(DType.I64, Device.CPU, moved.shape())) {
            CpuStorage xs = st(x);
            CpuStorage vs = st(vals);
            long[] is = st(idxs).longs();
            Integer[] perm = new Integer[inner];
            for (int r = 0; r < rows; r++) {
                int base = x.offset() + r * inner;
                for (int i = 0; i < inner; i++) {
                    perm[i] = i;
                }
                java.util.Comparator<Integer> cmp = floating
                        ? (p, q) -> nanLastCompare(xs.getDouble(base + p), xs.getDouble(base + q))
                        : (p, q) -> Long.compare(xs.getLong(base + p), xs.getLong(base + q));
                java.util.Arrays.sort(perm, descending ? cmp.reversed() : cmp); // stable (TimSort)
                for (int i = 0; i < inner; i++) {
                    is[r * inner + i] = perm[i];
                    if (floating) {
                        vs.setDouble(r * inner + i, xs.getDouble(base + perm[i]));
                    } else {
                        vs.setLong(r * inner + i, xs.getLong(base + perm[i]));
                    }
                }
            }
            int[] inverse = new int[rank];
            for (int i = 0; i < rank; i++) {
                inverse[order[i]] = i;
            }
            try (Tensor vb = vals.permute(inverse); Tensor ib = idxs.permute(inverse)) {
                copy(vb, values);
                copy(ib, indices);
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

    @Override
    public void randomInt(Generator g, long low, long high, Tensor out) {
        int n = out.numel();
        long[] tmp = out.dtype() == DType.I64 ? st(out).longs() : new long[n];
        int off = out.dtype() == DType.I64 ? out.offset() : 0;
        g.fillRandInt(tmp, off, n, low, high);
        if (out.dtype() != DType.I64) {
            CpuStorage d = st(out);
            for (int i = 0; i < n; i++) {
                d.setLong(out.offset() + i, tmp[i]);
            }
        }
    }

    @Override
    public void random(Generator g, Distribution dist, double a, double b, Tensor out) {
        // Every float dtype draws the same F32 stream (the Generator's contract) and converts it:
        // F64 values are the F32 draws widened exactly, so rand(F64) == rand(F32).to(F64) for a seed.
        int n = out.numel();
        float[] target = out.dtype() == DType.F32 ? st(out).floats() : new float[n];
        int off = out.dtype() == DType.F32 ? out.offset() : 0;
        if (dist == Distribution.UNIFORM) {
            g.fillUniform(target, off, n, (float) a, (float) b);
        } else {
            g.fillNormal(target, off, n, (float) a, (float) b);
        }
        if (out.dtype() != DType.F32) {
            // A CPU tensor whatever the creation device is: this backend only reads its own storage.
            try (Tensor tmp = Tensor.ofStorage(CpuStorage.wrap(DType.F32, target), out.shape(), out.shape().contiguousStrides(), 0)) {
                copy(tmp, out);
            }
        }
    }

    @Override
    public void im2col(Tensor in, Window2d window, double padValue, Tensor out) {
        int n = in.size(0);
        int c = in.size(1);
        int h = in.size(2);
        int w = in.size(3);
        int planeCols = window.taps() * window.outH(h) * window.outW(w);
        if (out.numel() == 0) {
            return;
        }
        boolean rowsContiguous = out.strides()[2] == 1 || out.size(2) == 1;
        if (!out.isContiguous() && !(in.dtype() == DType.F32 && rowsContiguous)) {
            try (Tensor tmp = Tensor.empty(out.dtype(), Device.CPU, out.shape())) {
                im2col(in, window, padValue, tmp);
                copy(tmp, out);
            }
            return;
        }
        if (in.dtype() == DType.F32) {
            // out may be a view with strided rows: [N, K, L] seen through [K, N, L] (Convolution.im2colWide)
            int imageStride = out.strides()[0];
            int rowStride = out.strides()[1];
            int taps = window.taps();
            try (Tensor x = in.contiguous()) {
                float[] xs = st(x).floats();
                float[] os = st(out).floats();
                int xo = x.offset();
                int oo = out.offset();
                float pad = (float) padValue;
                CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, planeCols)), (s, e) -> {
                    for (int p = s; p < e; p++) {
                        int co = oo + (p / c) * imageStride + (p % c) * taps * rowStride;
                        WindowKernels.im2colPlane(xs, xo + p * h * w, h, w, window, pad, os, co, rowStride);
                    }
                });
            }
            return;
        }
        if (in.dtype().isHalf()) {
            try (Tensor x = in.to(DType.F32); Tensor tmp = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                im2col(x, window, padValue, tmp);
                copy(tmp, out);
            }
            return;
        }
        // Other dtypes: element by element through the storage accessors (exact for every dtype).
        try (Tensor x = in.contiguous()) {
            CpuStorage xs = st(x);
            CpuStorage os = st(out);
            boolean floating = in.dtype().isFloatingPoint();
            int outH = window.outH(h);
            int outW = window.outW(w);
            for (int p = 0; p < n * c; p++) {
                for (int i = 0; i < window.kernelH(); i++) {
                    for (int j = 0; j < window.kernelW(); j++) {
                        for (int oh = 0; oh < outH; oh++) {
                            for (int ow = 0; ow < outW; ow++) {
                                int ih = oh * window.strideH() - window.padH() + i * window.dilationH();
                                int iw = ow * window.strideW() - window.padW() + j * window.dilationW();
                                int dst = out.offset() + p * planeCols + ((i * window.kernelW() + j) * outH + oh) * outW + ow;
                                boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                                int src = x.offset() + (p * h + ih) * w + iw;
                                if (floating) {
                                    os.setDouble(dst, inside ? xs.getDouble(src) : padValue);
                                } else {
                                    os.setLong(dst, inside ? xs.getLong(src) : (long) padValue);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void col2im(Tensor cols, Window2d window, Tensor out) {
        int n = out.size(0);
        int c = out.size(1);
        int h = out.size(2);
        int w = out.size(3);
        int planeCols = window.taps() * window.outH(h) * window.outW(w);
        if (cols.dtype() == DType.F32) {
            if (cols.strides()[2] != 1 && cols.size(2) != 1) {
                try (Tensor x = cols.contiguous()) {
                    col2im(x, window, out);
                }
                return;
            }
            // cols may be a view with strided rows (the gradient of Convolution.im2colWide): read in place
            int imageStride = cols.strides()[0];
            int rowStride = cols.strides()[1];
            int taps = window.taps();
            float[] xs = st(cols).floats();
            float[] os = st(out).floats();
            int xo = cols.offset();
            int oo = out.offset();
            java.util.Arrays.fill(os, oo, oo + out.numel(), 0f);
            // Each (image, channel) plane of the output is written by exactly one task.
            CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, planeCols)), (s, e) -> {
                for (int p = s; p < e; p++) {
                    int co = xo + (p / c) * imageStride + (p % c) * taps * rowStride;
                    WindowKernels.col2imPlane(xs, co, rowStride, h, w, window, os, oo + p * h * w);
                }
            });
            return;
        }
        if (cols.dtype().isHalf()) {
            // Accumulate in F32 and round once, as torch's CPU kernels do for half types.
            try (Tensor x = cols.to(DType.F32); Tensor tmp = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
                col2im(x, window, tmp);
                copy(tmp, out);
            }
            return;
        }
        try (Tensor x = cols.contiguous()) {
            CpuStorage xs = st(x);
            CpuStorage os = st(out);
            fill(out, 0);
            int outH = window.outH(h);
            int outW = window.outW(w);
            for (int p = 0; p < n * c; p++) {
                for (int i = 0; i < window.kernelH(); i++) {
                    for (int j = 0; j < window.kernelW(); j++) {
                        for (int oh = 0; oh < outH; oh++) {
                            for (int ow = 0; ow < outW; ow++) {
                                int ih = oh * window.strideH() - window.padH() + i * window.dilationH();
                                int iw = ow * window.strideW() - window.padW() + j * window.dilationW();
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                                    continue;
                                }
                                int src = x.offset() + p * planeCols + ((i * window.kernelW() + j) * outH + oh) * outW + ow;
                                int dst = out.offset() + (p * h + ih) * w + iw;
                                os.setDouble(dst, os.getDouble(dst) + xs.getDouble(src));
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale,
                                 Tensor out, Tensor lse) {
        try (Tensor qc = q.contiguous(); Tensor kc = k.contiguous(); Tensor vc = v.contiguous();
             Tensor pad = keyPadding == null ? null : keyPadding.contiguous()) {
            FlashAttentionKernels.forward(attentionGeometry(qc, kc, pad, causal, scale),
                    slab(qc), slab(kc), slab(vc), slab(out), slab(lse));
        }
    }

    @Override
    public void attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse,
                                  Tensor keyPadding, boolean causal, double scale,
                                  Tensor gradQ, Tensor gradK, Tensor gradV) {
        try (Tensor qc = q.contiguous(); Tensor kc = k.contiguous(); Tensor vc = v.contiguous();
             Tensor oc = out.contiguous(); Tensor lc = lse.contiguous(); Tensor gc = gradOut.contiguous();
             Tensor pad = keyPadding == null ? null : keyPadding.contiguous()) {
            FlashAttentionKernels.backward(attentionGeometry(qc, kc, pad, causal, scale),
                    slab(qc), slab(kc), slab(vc), slab(oc), slab(lc), slab(gc), slab(gradQ), slab(gradK), slab(gradV));
        }
    }

    private static FlashAttentionKernels.Geometry attentionGeometry(Tensor q, Tensor k, Tensor pad, boolean causal,
                                                                    double scale) {
        return new FlashAttentionKernels.Geometry(q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3),
                causal, (float) scale, pad == null ? null : st(pad).bytes(), pad == null ? 0 : pad.offset());
    }

    private static FlashAttentionKernels.Slab slab(Tensor t) {
        return new FlashAttentionKernels.Slab(st(t).floats(), t.offset());
    }

    @Override
    public void maxPool2d(Tensor in, Window2d window, Tensor values, Tensor indices) {
        int planes = in.size(0) * in.size(1);
        int h = in.size(2);
        int w = in.size(3);
        int outPlane = window.outH(h) * window.outW(w);
        if (values.numel() == 0) {
            return;
        }
        boolean f32 = in.dtype() == DType.F32;
        // Other float dtypes run through an F32 copy: max picks an input value, so F16/BF16 are exact;
        // F64 keeps its own path below to stay exact.
        if (in.dtype() == DType.F64) {
            maxPool2dGeneric(in, window, values, indices);
            return;
        }
        try (Tensor x = f32 ? in.contiguous() : in.to(DType.F32).contiguous();
             Tensor v = f32 ? null : Tensor.empty(DType.F32, Device.CPU, values.shape())) {
            Tensor target = f32 ? values : v;
            float[] xs = st(x).floats();
            float[] os = st(target).floats();
            long[] is = st(indices).longs();
            int xo = x.offset();
            int oo = target.offset();
            int io = indices.offset();
            CpuParallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, h * w)), (s, e) -> {
                for (int p = s; p < e; p++) {
                    WindowKernels.maxPoolPlane(xs, xo + p * h * w, h, w, window, os, oo + p * outPlane, is, io + p * outPlane);
                }
            });
            if (!f32) {
                copy(v, values);
            }
        }
    }

    /** Exact max pooling for F64 through the storage accessors. */
    private void maxPool2dGeneric(Tensor in, Window2d window, Tensor values, Tensor indices) {
        int planes = in.size(0) * in.size(1);
        int h = in.size(2);
        int w = in.size(3);
        int outH = window.outH(h);
        int outW = window.outW(w);
        try (Tensor x = in.contiguous()) {
            CpuStorage xs = st(x);
            CpuStorage vs = st(values);
            long[] is = st(indices).longs();
            for (int p = 0; p < planes; p++) {
                for (int oh = 0; oh < outH; oh++) {
                    for (int ow = 0; ow < outW; ow++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int bestAt = -1;
                        for (int i = 0; i < window.kernelH(); i++) {
                            int ih = oh * window.strideH() - window.padH() + i * window.dilationH();
                            for (int j = 0; j < window.kernelW() && ih >= 0 && ih < h; j++) {
                                int iw = ow * window.strideW() - window.padW() + j * window.dilationW();
                                if (iw < 0 || iw >= w) {
                                    continue;
                                }
                                double v = xs.getDouble(x.offset() + (p * h + ih) * w + iw);
                                if (bestAt < 0 || v > best || Double.isNaN(v)) {
                                    best = v;
                                    bestAt = ih * w + iw;
                                }
                            }
                        }
                        int o = (p * outH + oh) * outW + ow;
                        vs.setDouble(values.offset() + o, best);
                        is[indices.offset() + o] = bestAt;
                    }
                }
            }
        }
    }

    @Override
    public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn) {
        int planes = gradIn.size(0) * gradIn.size(1);
        int plane = gradIn.size(2) * gradIn.size(3);
        int outPlane = grad.numel() / Math.max(1, planes);
        fill(gradIn, 0);
        try (Tensor g = grad.contiguous(); Tensor ix = indices.contiguous()) {
            long[] is = st(ix).longs();
            int io = ix.offset();
            if (gradIn.dtype() == DType.F32 && g.dtype() == DType.F32) {
                float[] gs = st(g).floats();
                float[] ds = st(gradIn).floats();
                int go = g.offset();
                int dof = gradIn.offset();
                // Each plane's gradient is written by one task only.
                CpuParallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, outPlane)), (s, e) -> {
                    for (int p = s; p < e; p++) {
                        for (int k = 0; k < outPlane; k++) {
                            ds[dof + p * plane + (int) is[io + p * outPlane + k]] += gs[go + p * outPlane + k];
                        }
                    }
                });
                return;
            }
            CpuStorage gs = st(g);
            CpuStorage ds = st(gradIn);
            for (int p = 0; p < planes; p++) {
                for (int k = 0; k < outPlane; k++) {
                    int at = gradIn.offset() + p * plane + (int) is[io + p * outPlane + k];
                    ds.setDouble(at, ds.getDouble(at) + gs.getDouble(g.offset() + p * outPlane + k));
                }
            }
        }
    }

    @Override
    public void lstmCell(Tensor gates, Tensor c, Tensor hc) {
        int rows = c.size(0), hidden = c.size(1);
        float[] as = st(gates).floats(), cs = st(c).floats(), out = st(hc).floats();
        int ao = gates.offset(), co = c.offset(), oo = hc.offset();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, 8 * hidden)), (s, e) ->
                LstmCellKernels.forward(as, ao, cs, co, hidden, s, e, out, oo));
    }

    @Override
    public void lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad, Tensor dGates, Tensor dC) {
        int rows = c.size(0), hidden = c.size(1);
        float[] as = st(gates).floats(), cs = st(c).floats(), hs = st(hc).floats(), gs = st(grad).floats();
        float[] das = st(dGates).floats(), dcs = st(dC).floats();
        int ao = gates.offset(), co = c.offset(), ho = hc.offset(), go = grad.offset(), dao = dGates.offset(), dco = dC.offset();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, 12 * hidden)), (s, e) ->
                LstmCellKernels.backward(as, ao, cs, co, hs, ho, gs, go, hidden, s, e, das, dao, dcs, dco));
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int d, Tensor y, Tensor mean, Tensor rstd) {
        int rows = mean.numel();
        float[] xs = st(x).floats();
        float[] ws = weight == null ? null : st(weight).floats();
        float[] bs = bias == null ? null : st(bias).floats();
        float[] ys = st(y).floats();
        float[] ms = st(mean).floats();
        float[] rs = st(rstd).floats();
        int xo = x.offset(), yo = y.offset();
        int wo = weight == null ? 0 : weight.offset();
        int bo = bias == null ? 0 : bias.offset();
        if (mean.offset() != 0 || rstd.offset() != 0) {
            throw new IllegalStateException("layerNorm: statistics tensors must start at offset 0");
        }
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, d)), (s, e) ->
                LayerNormKernels.forward(xs, xo, ws, wo, bs, bo, (float) eps, d, s, e, ys, yo, ms, rs));
    }

    @Override
    public void layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, int d, Tensor dx,
                                  Tensor dweight, Tensor dbias) {
        int rows = mean.numel();
        float[] gs = st(dy).floats();
        float[] xs = st(x).floats();
        float[] ws = weight == null ? null : st(weight).floats();
        float[] ms = st(mean).floats();
        float[] rs = st(rstd).floats();
        float[] dxs = st(dx).floats();
        int go = dy.offset(), xo = x.offset(), dxo = dx.offset();
        int wo = weight == null ? 0 : weight.offset();
        float[] dwTotal = dweight == null ? null : new float[d];
        float[] dbTotal = dbias == null ? null : new float[d];
        Object lock = new Object();
        // Each chunk accumulates dw/db privately, then adds them in under a lock: rows are split
        // across threads, the parameter gradients are shared.
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, d)), (s, e) -> {
            float[] dwPart = dwTotal == null ? null : new float[d];
            float[] dbPart = dbTotal == null ? null : new float[d];
            LayerNormKernels.backward(gs, go, xs, xo, ws, wo, ms, rs, d, s, e, dxs, dxo, dwPart, dbPart);
            synchronized (lock) {
                for (int i = 0; i < d; i++) {
                    if (dwPart != null) {
                        dwTotal[i] += dwPart[i];
                    }
                    if (dbPart != null) {
                        dbTotal[i] += dbPart[i];
                    }
                }
            }
        });
        if (dweight != null) {
            System.arraycopy(dwTotal, 0, st(dweight).floats(), dweight.offset(), d);
        }
        if (dbias != null) {
            System.arraycopy(dbTotal, 0, st(dbias).floats(), dbias.offset(), d);
        }
    }
    // ---------------------------------------------------------------- training, bulk I/O, settings

    @Override
    public void sgdStep(FusedStep.Sgd step, Tensor param, Tensor grad, Tensor momentumBuffer) {
        CpuTraining.sgd(step, param, grad, momentumBuffer);
    }

    @Override
    public void adamStep(FusedStep.Adam step, Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {
        CpuTraining.adam(step, param, grad, expAvg, expAvgSq, maxExpAvgSq);
    }

    @Override
    public void rmspropStep(FusedStep.Rmsprop step, Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
                            Tensor momentumBuffer) {
        CpuTraining.rmsprop(step, param, grad, squareAvg, gradAvg, momentumBuffer);
    }

    @Override
    public void adagradStep(FusedStep.Adagrad step, Tensor param, Tensor grad, Tensor sum) {
        CpuTraining.adagrad(step, param, grad, sum);
    }

    @Override
    public void sumOfSquares(Tensor in, Tensor out) {
        CpuTraining.sumOfSquares(in, out);
    }

    @Override
    public void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite) {
        CpuTraining.scaleAndCheckFinite(t, scale, foundNonFinite);
    }

    @Override
    public void writeBytes(Tensor t, MemorySegment dst) {
        CpuBulkIo.write(t, dst);
    }

    @Override
    public void readBytes(MemorySegment src, Tensor out) {
        CpuBulkIo.read(src, out);
    }

    @Override
    public int threads() {
        return CpuParallel.threads();
    }

    @Override
    public int setThreads(int threads) {
        int before = CpuParallel.threads();
        CpuParallel.setThreads(threads);
        return before;
    }
}
