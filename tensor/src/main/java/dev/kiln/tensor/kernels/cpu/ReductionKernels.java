package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.ReduceOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row reductions and softmax over contiguous F32 rows. Sums use several vector accumulators (lanes
 * act as a pairwise tree), which keeps rounding error near sqrt(n)·eps rather than n·eps.
 */
public final class ReductionKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private ReductionKernels() {}

    public static float sum(float[] x, int off, int n) {
        int i = 0;
        int step = S.length();
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        for (int bound = n - 2 * step + 1; i < bound; i += 2 * step) {
            acc0 = acc0.add(FloatVector.fromArray(S, x, off + i));
            acc1 = acc1.add(FloatVector.fromArray(S, x, off + i + step));
        }
        for (; i <= n - step; i += step) {
            acc0 = acc0.add(FloatVector.fromArray(S, x, off + i));
        }
        double s = VectorMath.sum(acc0.add(acc1));
        for (; i < n; i++) {
            s += x[off + i];
        }
        return (float) s;
    }

    public static float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                acc = acc.max(FloatVector.fromArray(S, x, off + i)); // Math.max semantics: NaN propagates
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    public static float min(float[] x, int off, int n) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.min(m, x[off + i]);
        }
        return m;
    }

    /**
     * out[j] = scale · Σ_r x[off + r·cols + j] for j in [0, cols): the sum of {@code rows} contiguous
     * rows. Accumulates in one F32 row pass per input row, split over columns between threads so
     * no two threads write the same output.
     */
    public static void sumRows(float[] x, int off, int rows, int cols, float[] out, int outOff, float scale) {
        CpuParallel.forRange(cols, Math.max(S.length(), (1 << 15) / Math.max(1, rows)), (c0, c1) -> {
            java.util.Arrays.fill(out, outOff + c0, outOff + c1, 0f);
            int width = c1 - c0;
            int bound = c0 + S.loopBound(width);
            for (int r = 0; r < rows; r++) {
                int row = off + r * cols;
                int j = c0;
                for (; j < bound; j += S.length()) {
                    FloatVector.fromArray(S, out, outOff + j).add(FloatVector.fromArray(S, x, row + j))
                            .intoArray(out, outOff + j);
                }
                for (; j < c1; j++) {
                    out[outOff + j] += x[row + j];
                }
            }
            if (scale != 1f) {
                for (int j = c0; j < c1; j++) {
                    out[outOff + j] *= scale;
                }
            }
        });
    }

    /**
     * {@code out[b] = scale * sum over a < outer, c < inner of x[off + (a*mid + b)*inner + c]}: a
     * contiguous [outer, mid, inner] tensor summed over its first and last dims (the bias gradient of
     * an NCHW activation), without moving the kept dim last first. One task per output.
     */
    public static void sumOuterInner(float[] x, int off, int outer, int mid, int inner, float[] out, int outOff, float scale) {
        CpuParallel.forRange(mid, Math.max(1, (1 << 15) / Math.max(1, outer * inner)), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                double acc = 0;
                for (int a = 0; a < outer; a++) {
                    acc += sum(x, off + (a * mid + b) * inner, inner);
                }
                out[outOff + b] = (float) (acc * scale);
            }
        });
    }

    /** One output of a reduction over the contiguous row x[off, off+n). */
    public static float reduceRow(ReduceOp op, float[] x, int off, int n, int correction) {
        return switch (op) {
            case SUM -> sum(x, off, n);
            case MEAN -> n == 0 ? Float.NaN : (float) ((double) sum(x, off, n) / n);
            case MAX -> max(x, off, n);
            case MIN -> min(x, off, n);
            case VAR -> {
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    mean += x[off + i];
                }
                mean /= n;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    double d = x[off + i] - mean;
                    ss += d * d;
                }
                yield (float) (ss / Math.max(0, n - correction));
            }
            case LOGSUMEXP -> {
                float m = max(x, off, n);
                if (n == 0) {
                    yield Float.NEGATIVE_INFINITY;
                }
                if (Float.isInfinite(m) || Float.isNaN(m)) {
                    // all -inf gives -inf; any +inf gives +inf; NaN propagates
                    yield m;
                }
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += Math.exp(x[off + i] - m);
                }
                yield (float) (m + Math.log(s));
            }
            default -> throw new IllegalArgumentException("reduceRow: " + op);
        };
    }

    /** Index of the first maximum (or minimum); a NaN counts as the extreme, as in torch. */
    public static long argExtreme(float[] x, int off, int n, boolean max) {
        int best = 0;
        float bv = x[off];
        if (Float.isNaN(bv)) {
            return 0;
        }
        for (int i = 1; i < n; i++) {
            float v = x[off + i];
            if (Float.isNaN(v)) {
                return i;
            }
            if (max ? v > bv : v < bv) {
                bv = v;
                best = i;
            }
        }
        return best;
    }

    /** y = softmax(x) (or log_softmax) over one contiguous row, max-subtracted for stability. */
    public static void softmaxRow(float[] x, int xo, float[] y, int yo, int n, boolean log) {
        if (n == 0) {
            return;
        }
        float m = max(x, xo, n);
        if (m == Float.NEGATIVE_INFINITY) {
            m = 0; // an all -inf row gives NaN like torch (exp(-inf - -inf)); keep the arithmetic defined
        }
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(m));
            if (!log) {
                e.intoArray(y, yo + i);
            }
            acc = acc.add(e);
        }
        double s = VectorMath.sum(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - m);
            if (!log) {
                y[yo + i] = e;
            }
            s += e;
        }
        if (log) {
            float shift = (float) (m + Math.log(s));
            for (int j = 0; j < n; j++) {
                y[yo + j] = x[xo + j] - shift;
            }
        } else {
            float inv = (float) (1 / s);
            for (int j = 0; j < n; j++) {
                y[yo + j] *= inv;
            }
        }
    }
}
