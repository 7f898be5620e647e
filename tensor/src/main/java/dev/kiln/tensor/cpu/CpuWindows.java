package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.rowGrain;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.WindowKernels;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.storage.CpuStorage;
import java.util.Arrays;

/**
 * Sliding-window ops over [N, C, H, W]: im2col and its adjoint col2im (convolution as GEMM), max
 * pooling and its backward. F32 runs {@link WindowKernels} one (image, channel) plane per task;
 * the halves go through F32 (max pooling picks an input value, so that is exact); F64 and the
 * integers walk the windows through the storage accessors, exact for every dtype.
 */
final class CpuWindows {
    private CpuWindows() {}

    /** in [N, C, H, W] to out [N, C*kh*kw, OH*OW] (any view of that shape); padding reads padValue. */
    static void im2col(Tensor in, Window2d window, double padValue, Tensor out) {
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
                CpuCopy.copy(tmp, out);
            }
            return;
        }
        if (in.dtype() == DType.F32) {
            // out may be a view with strided rows: [N, K, L] seen through [K, N, L] (Convolution.im2colWide)
            int imageStride = out.strides()[0];
            int rowStride = out.strides()[1];
            int taps = window.taps();
            try (Tensor x = in.contiguous()) {
                float[] xs = storage(x).floats();
                float[] os = storage(out).floats();
                int xo = x.offset();
                int oo = out.offset();
                float pad = (float) padValue;
                CpuParallel.forRange(n * c, rowGrain(planeCols), (s, e) -> {
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
                CpuCopy.copy(tmp, out);
            }
            return;
        }
        // Other dtypes: element by element through the storage accessors (exact for every dtype).
        try (Tensor x = in.contiguous()) {
            CpuStorage xs = storage(x);
            CpuStorage os = storage(out);
            boolean floating = in.dtype().isFloatingPoint();
            forEachTap(n * c, h, w, window, (p, col, ih, iw, inside) -> {
                int dst = out.offset() + p * planeCols + col;
                int src = x.offset() + (p * h + ih) * w + iw;
                if (floating) {
                    os.setDouble(dst, inside ? xs.getDouble(src) : padValue);
                } else {
                    os.setLong(dst, inside ? xs.getLong(src) : (long) padValue);
                }
            });
        }
    }

    /** cols [N, C*kh*kw, OH*OW] (any view) summed into out [N, C, H, W] (contiguous). */
    static void col2im(Tensor cols, Window2d window, Tensor out) {
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
            float[] xs = storage(cols).floats();
            float[] os = storage(out).floats();
            int xo = cols.offset();
            int oo = out.offset();
            Arrays.fill(os, oo, oo + out.numel(), 0f);
            // Each (image, channel) plane of the output is written by exactly one task.
            CpuParallel.forRange(n * c, rowGrain(planeCols), (s, e) -> {
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
                CpuCopy.copy(tmp, out);
            }
            return;
        }
        try (Tensor x = cols.contiguous()) {
            CpuStorage xs = storage(x);
            CpuStorage os = storage(out);
            CpuCopy.fill(out, 0);
            forEachTap(n * c, h, w, window, (p, col, ih, iw, inside) -> {
                if (inside) {
                    int src = x.offset() + p * planeCols + col;
                    int dst = out.offset() + (p * h + ih) * w + iw;
                    os.setDouble(dst, os.getDouble(dst) + xs.getDouble(src));
                }
            });
        }
    }

    /** One window tap at one output position: the generic (any dtype) im2col/col2im paths' loop body. */
    @FunctionalInterface
    private interface Tap {
        /**
         * @param plane  the (image, channel) plane
         * @param col    the tap's column index within the plane's block of im2col output
         * @param inside whether input position (ih, iw) lies inside the image (false: padding)
         */
        void visit(int plane, int col, int ih, int iw, boolean inside);
    }

    /** Every tap of every window of every plane, in im2col's output order (plane, i, j, oh, ow). */
    private static void forEachTap(int planes, int h, int w, Window2d window, Tap tap) {
        int outH = window.outH(h);
        int outW = window.outW(w);
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < window.kernelH(); i++) {
                for (int j = 0; j < window.kernelW(); j++) {
                    for (int oh = 0; oh < outH; oh++) {
                        for (int ow = 0; ow < outW; ow++) {
                            int ih = oh * window.strideH() - window.padH() + i * window.dilationH();
                            int iw = ow * window.strideW() - window.padW() + j * window.dilationW();
                            int col = ((i * window.kernelW() + j) * outH + oh) * outW + ow;
                            tap.visit(p, col, ih, iw, ih >= 0 && ih < h && iw >= 0 && iw < w);
                        }
                    }
                }
            }
        }
    }

    /** in [N, C, H, W] to values [N, C, OH, OW] (in's dtype) and indices (I64, flat h*W + w in the plane). */
    static void maxPool2d(Tensor in, Window2d window, Tensor values, Tensor indices) {
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
            float[] xs = storage(x).floats();
            float[] os = storage(target).floats();
            long[] is = storage(indices).longs();
            int xo = x.offset();
            int oo = target.offset();
            int io = indices.offset();
            CpuParallel.forRange(planes, rowGrain(h * w), (s, e) -> {
                for (int p = s; p < e; p++) {
                    WindowKernels.maxPoolPlane(xs, xo + p * h * w, h, w, window, os, oo + p * outPlane, is, io + p * outPlane);
                }
            });
            if (!f32) {
                CpuCopy.copy(v, values);
            }
        }
    }

    /** Exact max pooling for F64 through the storage accessors. */
    private static void maxPool2dGeneric(Tensor in, Window2d window, Tensor values, Tensor indices) {
        int planes = in.size(0) * in.size(1);
        int h = in.size(2);
        int w = in.size(3);
        int outH = window.outH(h);
        int outW = window.outW(w);
        try (Tensor x = in.contiguous()) {
            CpuStorage xs = storage(x);
            CpuStorage vs = storage(values);
            long[] is = storage(indices).longs();
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

    /** gradIn [N, C, H, W] (zeroed here) += grad [N, C, OH, OW] scattered to the positions in indices. */
    static void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn) {
        int planes = gradIn.size(0) * gradIn.size(1);
        int plane = gradIn.size(2) * gradIn.size(3);
        int outPlane = grad.numel() / Math.max(1, planes);
        CpuCopy.fill(gradIn, 0);
        try (Tensor g = grad.contiguous(); Tensor ix = indices.contiguous()) {
            long[] is = storage(ix).longs();
            int io = ix.offset();
            if (gradIn.dtype() == DType.F32 && g.dtype() == DType.F32) {
                float[] gs = storage(g).floats();
                float[] ds = storage(gradIn).floats();
                int go = g.offset();
                int dof = gradIn.offset();
                // Each plane's gradient is written by one task only.
                CpuParallel.forRange(planes, rowGrain(outPlane), (s, e) -> {
                    for (int p = s; p < e; p++) {
                        for (int k = 0; k < outPlane; k++) {
                            ds[dof + p * plane + (int) is[io + p * outPlane + k]] += gs[go + p * outPlane + k];
                        }
                    }
                });
                return;
            }
            CpuStorage gs = storage(g);
            CpuStorage ds = storage(gradIn);
            for (int p = 0; p < planes; p++) {
                for (int k = 0; k < outPlane; k++) {
                    int at = gradIn.offset() + p * plane + (int) is[io + p * outPlane + k];
                    ds.setDouble(at, ds.getDouble(at) + gs.getDouble(g.offset() + p * outPlane + k));
                }
            }
        }
    }
}
