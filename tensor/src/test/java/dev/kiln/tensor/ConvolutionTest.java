package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.ops.Window2d;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** im2col / col2im against direct loops over the window definition, over strides, padding and dilation. */
class ConvolutionTest {
    private static final SplittableRandom RND = new SplittableRandom(5);

    private static float[] randomFloats(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = RND.nextInt(-64, 64) / 8f; // exact in every float type, so sums are exact too
        }
        return d;
    }

    /** Reference im2col straight from the definition: out[n][(c*kh+i)*kw+j][oh*OW+ow]. */
    private static float[] naiveIm2col(float[] x, int n, int c, int h, int w, Window2d win, float pad) {
        int oh = win.outH(h);
        int ow = win.outW(w);
        float[] out = new float[n * c * win.taps() * oh * ow];
        int k = 0;
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < win.kernelH(); i++) {
                    for (int j = 0; j < win.kernelW(); j++) {
                        for (int y = 0; y < oh; y++) {
                            for (int z = 0; z < ow; z++) {
                                int ih = y * win.strideH() - win.padH() + i * win.dilationH();
                                int iw = z * win.strideW() - win.padW() + j * win.dilationW();
                                boolean in = ih >= 0 && ih < h && iw >= 0 && iw < w;
                                out[k++] = in ? x[((b * c + ch) * h + ih) * w + iw] : pad;
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    private static float[] naiveCol2im(float[] cols, int n, int c, int h, int w, Window2d win) {
        int oh = win.outH(h);
        int ow = win.outW(w);
        float[] out = new float[n * c * h * w];
        int k = 0;
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < win.kernelH(); i++) {
                    for (int j = 0; j < win.kernelW(); j++) {
                        for (int y = 0; y < oh; y++) {
                            for (int z = 0; z < ow; z++) {
                                int ih = y * win.strideH() - win.padH() + i * win.dilationH();
                                int iw = z * win.strideW() - win.padW() + j * win.dilationW();
                                float v = cols[k++];
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    out[((b * c + ch) * h + ih) * w + iw] += v;
                                }
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    private static final Window2d[] WINDOWS = {
        Window2d.of(3, 1, 1),
        Window2d.of(3, 1, 0),
        Window2d.of(2, 2, 0),
        Window2d.of(3, 2, 1),
        new Window2d(2, 3, 1, 2, 0, 2, 1, 1),
        new Window2d(3, 2, 2, 1, 1, 0, 2, 1),
        new Window2d(1, 1, 3, 3, 0, 0, 1, 1),
        new Window2d(3, 3, 1, 1, 4, 4, 1, 1), // padding wider than the kernel reach: rows entirely in padding
        new Window2d(2, 2, 1, 3, 1, 1, 3, 2),
    };

    @Test
    void im2colMatchesDefinitionForEveryWindowAndDtype() {
        int[][] sizes = {{2, 3, 5, 6}, {1, 1, 7, 4}, {3, 2, 4, 9}};
        for (int[] sz : sizes) {
            float[] data = randomFloats(sz[0] * sz[1] * sz[2] * sz[3]);
            for (Window2d win : WINDOWS) {
                if (win.outH(sz[2]) < 1 || win.outW(sz[3]) < 1) {
                    continue;
                }
                for (float pad : new float[] {0f, Float.NEGATIVE_INFINITY}) {
                    float[] want = naiveIm2col(data, sz[0], sz[1], sz[2], sz[3], win, pad);
                    for (DType dt : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                        try (Tensor x32 = Tensor.fromArray(data, sz); Tensor x = x32.to(dt); Tensor cols = x.im2col(win, pad);
                             Tensor got = cols.to(DType.F32)) {
                            assertEquals(Shape.of(sz[0], sz[1] * win.taps(), win.outH(sz[2]) * win.outW(sz[3])), cols.shape());
                            assertEquals(dt, cols.dtype());
                            assertArrayEquals(want, got.toFloatArray(), win + " " + dt + " pad " + pad);
                        }
                    }
                }
            }
        }
    }

    @Test
    void im2colReadsNonContiguousInputs() {
        float[] data = randomFloats(2 * 3 * 5 * 4);
        Window2d win = Window2d.of(3, 2, 1);
        // Build [2, 3, 4, 5] stored as [2, 3, 5, 4] and transposed: same values as the contiguous copy.
        try (Tensor base = Tensor.fromArray(data, 2, 3, 5, 4); Tensor x = base.transpose(2, 3); Tensor xc = x.contiguous();
             Tensor a = x.im2col(win, 0); Tensor b = xc.im2col(win, 0)) {
            assertTrue(!x.isContiguous());
            assertArrayEquals(b.toFloatArray(), a.toFloatArray());
            assertArrayEquals(naiveIm2col(xc.toFloatArray(), 2, 3, 4, 5, win, 0f), a.toFloatArray());
        }
    }

    @Test
    void integerIm2colIsExact() {
        long[] data = {1L << 60, 2, 3, 4, 5, 6, 7, 8, 9};
        try (Tensor x = Tensor.fromArray(data, 1, 1, 3, 3); Tensor cols = x.im2col(Window2d.of(2, 1, 0), -1)) {
            assertEquals(DType.I64, cols.dtype());
            long[] got = cols.toLongArray();
            assertEquals(1L << 60, got[0]); // tap (0,0) at window (0,0)
            assertEquals(4 * 4, got.length);
        }
    }

    @Test
    void col2imMatchesDefinitionAndIsTheAdjointOfIm2col() {
        int[][] sizes = {{2, 3, 5, 6}, {1, 2, 7, 4}};
        for (int[] sz : sizes) {
            for (Window2d win : WINDOWS) {
                int oh = win.outH(sz[2]);
                int ow = win.outW(sz[3]);
                if (oh < 1 || ow < 1) {
                    continue;
                }
                float[] colData = randomFloats(sz[0] * sz[1] * win.taps() * oh * ow);
                float[] want = naiveCol2im(colData, sz[0], sz[1], sz[2], sz[3], win);
                for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                    try (Tensor c32 = Tensor.fromArray(colData, sz[0], sz[1] * win.taps(), oh * ow); Tensor c = c32.to(dt);
                         Tensor img = c.col2im(sz[2], sz[3], win); Tensor got = img.to(DType.F32)) {
                        assertEquals(Shape.of(sz), img.shape());
                        float[] wantRounded = want.clone();
                        if (dt == DType.BF16) { // accumulated in F32, rounded once
                            try (Tensor w32 = Tensor.fromArray(want, sz); Tensor wb = w32.to(dt); Tensor back = wb.to(DType.F32)) {
                                wantRounded = back.toFloatArray();
                            }
                        }
                        assertArrayEquals(wantRounded, got.toFloatArray(), win + " " + dt);
                    }
                }
                // <im2col(x), y> == <x, col2im(y)>: exact here, every product and sum is a small dyadic rational.
                float[] x = randomFloats(sz[0] * sz[1] * sz[2] * sz[3]);
                float[] cols = naiveIm2col(x, sz[0], sz[1], sz[2], sz[3], win, 0f);
                double lhs = 0;
                double rhs = 0;
                for (int i = 0; i < cols.length; i++) {
                    lhs += (double) cols[i] * colData[i];
                }
                for (int i = 0; i < x.length; i++) {
                    rhs += (double) x[i] * want[i];
                }
                assertEquals(lhs, rhs, 1e-9, win.toString());
            }
        }
    }

    @Test
    void badArgumentsNameTheProblem() {
        try (Tensor x = Tensor.zeros(1, 1, 2, 2); Tensor flat = Tensor.zeros(4); Tensor cols = Tensor.zeros(1, 9, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.im2col(Window2d.of(3, 1, 0), 0));
            assertTrue(e.getMessage().contains("does not fit an input of size 2x2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> flat.im2col(Window2d.of(1, 1, 0), 0));
            assertTrue(e.getMessage().contains("4-D"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> cols.col2im(5, 5, Window2d.of(3, 1, 0)));
            assertTrue(e.getMessage().contains("9 window positions"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Window2d.of(0, 1, 0));
            assertTrue(e.getMessage().contains("kernel size"), e.getMessage());
        }
    }

    @Test
    void maxPoolMatchesTheWindowDefinitionWithTorchTieAndNanRules() {
        int n = 2, c = 3, h = 7, w = 6;
        float[] data = randomFloats(n * c * h * w); // values on a 1/8 grid: plenty of ties
        data[5] = Float.NaN;
        data[42] = Float.NaN; // two NaNs in one 2x2 window (plane 1, row 0, columns 0 and 1): the last wins
        data[43] = Float.NaN;
        data[14] = -0.0f; // a window whose maximum is a signed zero: the first of -0.0 and 0.0 wins
        data[15] = 0.0f;
        data[20] = -1f;
        data[21] = -1f;
        for (Window2d win : new Window2d[] {Window2d.of(2, 2, 0), Window2d.of(3, 2, 1), new Window2d(2, 3, 1, 2, 1, 0, 2, 1)}) {
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16}) {
                try (Tensor x32 = Tensor.fromArray(data, n, c, h, w); Tensor x = x32.to(dt); Tensor.MaxPool r = x.maxPool2d(win);
                     Tensor got = r.values().to(DType.F32)) {
                    int oh = win.outH(h), ow = win.outW(w);
                    float[] vals = got.toFloatArray();
                    long[] idx = r.indices().toLongArray();
                    float[] xs = x.to(DType.F32).toFloatArray();
                    for (int p = 0; p < n * c; p++) {
                        for (int y = 0; y < oh; y++) {
                            for (int z = 0; z < ow; z++) {
                                float best = Float.NEGATIVE_INFINITY;
                                int at = -1;
                                for (int i = 0; i < win.kernelH(); i++) {
                                    for (int j = 0; j < win.kernelW(); j++) {
                                        int ih = y * win.strideH() - win.padH() + i * win.dilationH();
                                        int iw = z * win.strideW() - win.padW() + j * win.dilationW();
                                        if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                                            continue;
                                        }
                                        float v = xs[p * h * w + ih * w + iw];
                                        if (at < 0 || v > best || Float.isNaN(v)) {
                                            best = v;
                                            at = ih * w + iw;
                                        }
                                    }
                                }
                                int o = p * oh * ow + y * ow + z;
                                assertEquals(at, idx[o], win + " " + dt + " index at " + o);
                                assertEquals(Float.floatToIntBits(best), Float.floatToIntBits(vals[o]), win + " " + dt + " value bits at " + o);
                            }
                        }
                    }
                    // backward: every output gradient lands on its maximum's position (summed where windows share one)
                    try (Tensor g = Tensor.ones(dt, n, c, oh, ow); Tensor gi = Tensor.maxPool2dBackward(g, r.indices(), h, w)) {
                        double[] gin = gi.toDoubleArray();
                        double[] want = new double[n * c * h * w];
                        for (int o = 0; o < idx.length; o++) {
                            want[(o / (oh * ow)) * h * w + (int) idx[o]] += 1;
                        }
                        assertArrayEquals(want, gin, 0, win + " " + dt);
                    }
                }
            }
        }
    }

    @Test
    void wideColumnsAreThePerImageColumnsSideBySideAndColToImIsTheirAdjoint() {
        int n = 3, c = 2, h = 7, w = 6;
        float[] data = randomFloats(n * c * h * w);
        for (Window2d win : new Window2d[] {Window2d.of(3, 1, 1), Window2d.of(2, 2, 0), new Window2d(3, 2, 2, 1, 1, 0, 1, 2)}) {
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16}) {
                int k = c * win.taps(), l = win.outH(h) * win.outW(w);
                try (Tensor x32 = Tensor.fromArray(data, n, c, h, w); Tensor x = x32.to(dt);
                     Tensor cols = x.im2col(win, 0); Tensor wide = x.im2colWide(win)) {
                    assertEquals(Shape.of(k, n * l), wide.shape(), win + " " + dt);
                    double[] per = cols.toDoubleArray();
                    double[] got = wide.toDoubleArray();
                    for (int img = 0; img < n; img++) {
                        for (int row = 0; row < k; row++) {
                            for (int pos = 0; pos < l; pos++) {
                                assertEquals(per[(img * k + row) * l + pos], got[row * n * l + img * l + pos], 0,
                                        win + " " + dt + " row " + row + " image " + img + " position " + pos);
                            }
                        }
                    }
                    // adjoint: <im2colWide(x), g> = <x, col2imWide(g)>, and col2imWide(g) = col2im of g re-laid per image
                    float[] gs = randomFloats(k * n * l);
                    try (Tensor g32 = Tensor.fromArray(gs, k, n * l); Tensor g = g32.to(dt);
                         Tensor back = g.col2imWide(n, h, w, win);
                         Tensor perImage = g.reshape(k, n, l).permute(1, 0, 2).contiguous();
                         Tensor want = perImage.col2im(h, w, win)) {
                        assertArrayEquals(want.toDoubleArray(), back.toDoubleArray(), 0, win + " " + dt);
                    }
                }
            }
        }
    }
}
