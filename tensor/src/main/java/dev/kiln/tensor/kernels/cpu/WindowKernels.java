package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.Window2d;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * im2col / col2im over one image plane of one channel, F32. The two loops mirror each other
 * exactly (same index arithmetic), which is what makes col2im the adjoint of im2col.
 *
 * <p>The inner loop runs over output columns with a fixed input row, so for stride 1 it reads
 * and writes consecutive addresses; positions that fall into the padding are filled (im2col) or
 * skipped (col2im) without a per-element bounds test, by clipping the column range first.
 */
public final class WindowKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private WindowKernels() {}

    /**
     * Writes the taps of one input plane {@code x[xo .. xo + h*w)} into {@code kh*kw} rows of
     * {@code cols}, the first at {@code co}, each {@code outH*outW} long and {@code rowStride}
     * apart ({@code outH*outW} for one image's columns; more when the columns of all images sit
     * side by side).
     */
    public static void im2colPlane(float[] x, int xo, int h, int w, Window2d win, float pad, float[] cols, int co, int rowStride) {
        int outH = win.outH(h);
        int outW = win.outW(w);
        int l = rowStride;
        for (int i = 0; i < win.kernelH(); i++) {
            for (int j = 0; j < win.kernelW(); j++) {
                int row = co + (i * win.kernelW() + j) * l;
                int colShift = j * win.dilationW() - win.padW();
                int owLo = Math.min(firstInside(colShift, win.strideW()), outW);
                int owHi = lastInsideExclusive(colShift, win.strideW(), w, outW);
                for (int oh = 0; oh < outH; oh++) {
                    int ih = oh * win.strideH() - win.padH() + i * win.dilationH();
                    int dst = row + oh * outW;
                    if (ih < 0 || ih >= h) {
                        java.util.Arrays.fill(cols, dst, dst + outW, pad);
                        continue;
                    }
                    int src = xo + ih * w + colShift;
                    java.util.Arrays.fill(cols, dst, dst + owLo, pad);
                    if (win.strideW() == 1) {
                        if (owHi > owLo) {
                            System.arraycopy(x, src + owLo, cols, dst + owLo, owHi - owLo);
                        }
                    } else {
                        for (int ow = owLo; ow < owHi; ow++) {
                            cols[dst + ow] = x[src + ow * win.strideW()];
                        }
                    }
                    java.util.Arrays.fill(cols, dst + Math.max(owHi, owLo), dst + outW, pad);
                }
            }
        }
    }

    /**
     * Adds {@code kh*kw} rows of {@code cols} (the first at {@code co}, {@code rowStride} apart)
     * into the plane {@code x[xo .. xo + h*w)}.
     */
    public static void col2imPlane(float[] cols, int co, int rowStride, int h, int w, Window2d win, float[] x, int xo) {
        int outH = win.outH(h);
        int outW = win.outW(w);
        int l = rowStride;
        for (int i = 0; i < win.kernelH(); i++) {
            for (int j = 0; j < win.kernelW(); j++) {
                int row = co + (i * win.kernelW() + j) * l;
                int colShift = j * win.dilationW() - win.padW();
                int owLo = Math.min(firstInside(colShift, win.strideW()), outW);
                int owHi = lastInsideExclusive(colShift, win.strideW(), w, outW);
                for (int oh = 0; oh < outH; oh++) {
                    int ih = oh * win.strideH() - win.padH() + i * win.dilationH();
                    if (ih < 0 || ih >= h) {
                        continue;
                    }
                    int src = row + oh * outW;
                    int dst = xo + ih * w + colShift;
                    if (win.strideW() == 1) {
                        addRow(cols, src, x, dst, owLo, owHi);
                        continue;
                    }
                    for (int ow = owLo; ow < owHi; ow++) {
                        x[dst + ow * win.strideW()] += cols[src + ow];
                    }
                }
            }
        }
    }

    /**
     * {@code x[dst + i] += cols[src + i]} for i in [lo, hi). C2 does not vectorise the scalar loop
     * (it cannot rule out that the two arrays alias); explicit vectors made col2im about 2× faster
     * (res64 of {@code kiln bench conv}, one thread: 6.9 → 3.3 ms).
     */
    private static void addRow(float[] cols, int src, float[] x, int dst, int lo, int hi) {
        int i = lo;
        for (int bound = lo + S.loopBound(Math.max(0, hi - lo)); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, dst + i).add(FloatVector.fromArray(S, cols, src + i)).intoArray(x, dst + i);
        }
        for (; i < hi; i++) {
            x[dst + i] += cols[src + i];
        }
    }

    /** Smallest ow >= 0 with {@code ow*stride + shift >= 0}. */
    static int firstInside(int shift, int stride) {
        return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    }

    /** One past the largest ow < outW with {@code ow*stride + shift < w} (may be below firstInside). */
    static int lastInsideExclusive(int shift, int stride, int w, int outW) {
        int limit = w - shift; // need ow*stride < limit
        if (limit <= 0) {
            return 0;
        }
        return Math.min(outW, (limit - 1) / stride + 1);
    }

    /**
     * Max pooling of one plane: out[oh*outW + ow] = the largest x in the window (padding excluded),
     * idx = its flat position ih*w + iw in the plane. As torch: the first maximum wins ties, and a
     * NaN in the window wins over numbers (the last NaN, as torch's {@code val > max || isnan(val)}).
     * The unpadded, undilated 2×2 window (nearly every CNN's pooling) has its own branch-free loop.
     */
    public static void maxPoolPlane(float[] x, int xo, int h, int w, Window2d win, float[] out, int oo, long[] idx, int io) {
        if (win.kernelH() == 2 && win.kernelW() == 2 && win.dilationH() == 1 && win.dilationW() == 1
                && win.padH() == 0 && win.padW() == 0
                && maxPool2x2Plane(x, xo, h, w, win.strideH(), win.strideW(), out, oo, idx, io)) {
            return;
        }
        int outH = win.outH(h);
        int outW = win.outW(w);
        for (int oh = 0; oh < outH; oh++) {
            int h0 = oh * win.strideH() - win.padH();
            for (int ow = 0; ow < outW; ow++) {
                int w0 = ow * win.strideW() - win.padW();
                float best = Float.NEGATIVE_INFINITY;
                int bestAt = -1;
                for (int i = 0; i < win.kernelH(); i++) {
                    int ih = h0 + i * win.dilationH();
                    if (ih < 0 || ih >= h) {
                        continue;
                    }
                    for (int j = 0; j < win.kernelW(); j++) {
                        int iw = w0 + j * win.dilationW();
                        if (iw < 0 || iw >= w) {
                            continue;
                        }
                        float v = x[xo + ih * w + iw];
                        if (bestAt < 0 || v > best || Float.isNaN(v)) {
                            best = v;
                            bestAt = ih * w + iw;
                        }
                    }
                }
                out[oo + oh * outW + ow] = best;
                idx[io + oh * outW + ow] = bestAt;
            }
        }
    }

    /**
     * {@link #maxPoolPlane} for an unpadded 2×2 window with any stride, without data-dependent
     * branches. Whether {@code v > best} holds is a coin flip on real activations, so the general
     * compare-and-update loop mispredicts about every other element: 6.3 ms against 1.2 ms here for
     * a [64, 32, 26, 26] input on one thread (measured; it was a fifth of the reference CNN's step).
     * The maximum comes from {@link Math#max} (a blend, no branch), the index from selecting the
     * first of the four positions equal to it (integer conditional moves), and the value is read
     * back at that position so that of {@code -0.0} and {@code 0.0} the first one wins, as in
     * torch. A NaN makes the maximum NaN, equal to nothing: the loop only notes it (a branch in the
     * loop would cost the conditional moves: 2.5 ms, measured) and returns false, and the caller
     * redoes the plane with the general loop, which applies torch's rule (the last NaN wins).
     */
    private static boolean maxPool2x2Plane(float[] x, int xo, int h, int w, int sh, int sw, float[] out, int oo, long[] idx, int io) {
        int outH = (h - 2) / sh + 1;
        int outW = (w - 2) / sw + 1;
        boolean sawNaN = false;
        for (int oh = 0; oh < outH; oh++) {
            int row = oh * sh * w;
            int o = oh * outW;
            for (int ow = 0; ow < outW; ow++, o++) {
                int p = row + ow * sw;
                float a = x[xo + p], b = x[xo + p + 1], c = x[xo + p + w], d = x[xo + p + w + 1];
                float m = Math.max(Math.max(a, b), Math.max(c, d));
                int at = d == m ? p + w + 1 : -1;
                at = c == m ? p + w : at;
                at = b == m ? p + 1 : at;
                at = a == m ? p : at;
                sawNaN |= m != m;
                out[oo + o] = x[xo + Math.max(at, 0)]; // at = -1 only with a NaN: the plane is redone
                idx[io + o] = at;
            }
        }
        return !sawNaN;
    }
}
