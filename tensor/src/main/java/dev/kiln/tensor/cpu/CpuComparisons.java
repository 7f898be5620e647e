package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.storage.CpuStorage;

/**
 * Comparisons into BOOL, in the promoted type's precision with IEEE semantics: -0.0 == 0.0, and NaN
 * compares false except NE. Integers compare exactly in long.
 */
final class CpuComparisons {
    private CpuComparisons() {}

    /** out (BOOL) = a op b; a and b are already expanded to out's shape. */
    static void compare(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int n = out.numel();
        if (n == 0) {
            return;
        }
        if (a.dtype() == DType.F32 && b.dtype() == DType.F32 && out.dtype() == DType.BOOL) {
            compareF32(op, a, b, out);
            return;
        }
        CpuStorage sa = storage(a);
        CpuStorage sb = storage(b);
        CpuStorage d = storage(out);
        int[] ao = StridedOffsets.of(a);
        int[] bo = StridedOffsets.of(b);
        boolean floating = a.dtype().isFloatingPoint() || b.dtype().isFloatingPoint();
        if (floating && DType.promote(a.dtype(), b.dtype()) == DType.F64) {
            for (int i = 0; i < n; i++) {
                double x = sa.getDouble(ao[i]);
                double y = sb.getDouble(bo[i]);
                d.setLong(out.offset() + i, holds(op, x < y ? -1 : (x > y ? 1 : 0), x, y) ? 1 : 0);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            boolean v;
            if (floating) {
                // In F32, the promoted float type's precision for F32/F16/BF16.
                float x = (float) sa.getDouble(ao[i]);
                float y = (float) sb.getDouble(bo[i]);
                v = holds(op, x < y ? -1 : (x > y ? 1 : 0), x, y);
            } else {
                long x = sa.getLong(ao[i]);
                long y = sb.getLong(bo[i]);
                v = holds(op, Long.compare(x, y), x, y);
            }
            d.setLong(out.offset() + i, v ? 1 : 0);
        }
    }

    /** Whether {@code x op y} holds, given their order {@code cmp} (IEEE, not Float.compare's total order). */
    private static boolean holds(BinaryOp op, int cmp, double x, double y) {
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

    private static void compareF32(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] as = storage(a).floats();
        float[] bs = storage(b).floats();
        byte[] os = storage(out).bytes();
        BroadcastRows.forEach(a, b, out, (ai, aInner, bi, bInner, o, len) -> {
            for (int i = 0; i < len; i++, ai += aInner, bi += bInner) {
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
        });
    }
}
