package dev.kiln.tensor;

import dev.kiln.tensor.ops.Window2d;

/**
 * Sliding-window ops behind convolution and pooling: {@link #im2col} lays every window of an image
 * out as a column (torch's {@code F.unfold}), so a convolution becomes one matrix product, and
 * {@link #col2im} is its adjoint (torch's {@code F.fold}): it adds every column back into the
 * image positions it was read from, which is both the convolution's input gradient and a way to
 * build transposed convolutions.
 */
final class Convolution {
    private Convolution() {}

    private static void checkWindowFits(String op, int h, int w, Window2d window) {
        if (window.outH(h) < 1 || window.outW(w) < 1) {
            throw new IllegalArgumentException(op + ": a " + window.kernelH() + "x" + window.kernelW()
                    + " window (dilation " + window.dilationH() + "x" + window.dilationW() + ", padding " + window.padH()
                    + "x" + window.padW() + ") does not fit an input of size " + h + "x" + w);
        }
    }

    /** [N, C, H, W] -> [N, C*kh*kw, OH*OW]; positions in the padding read {@code padValue}. */
    static Tensor im2col(Tensor x, Window2d window, double padValue) {
        x.checkOpen("im2col");
        if (x.rank() != 4) {
            throw new IllegalArgumentException("im2col: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        checkWindowFits("im2col", x.size(2), x.size(3), window);
        int rows = x.size(1) * window.taps();
        int cols = window.outH(x.size(2)) * window.outW(x.size(3));
        Tensor out = Tensor.empty(x.dtype(), x.device(), Shape.of(x.size(0), rows, cols));
        x.backend().im2col(x, window, padValue, out);
        return out;
    }

    /**
     * [N, C, H, W] -> [C*kh*kw, N*OH*OW]: {@link #im2col} with zero padding and the images' columns
     * side by side, so that one [OC, C*kh*kw] GEMM convolves the whole batch without first
     * permuting [N, K, L] to [K, N, L] (a copy as large as the columns).
     */
    static Tensor im2colWide(Tensor x, Window2d window) {
        x.checkOpen("im2colWide");
        if (x.rank() != 4) {
            throw new IllegalArgumentException("im2colWide: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        checkWindowFits("im2colWide", x.size(2), x.size(3), window);
        int n = x.size(0);
        int rows = x.size(1) * window.taps();
        int cols = window.outH(x.size(2)) * window.outW(x.size(3));
        try (Tensor wide = Tensor.empty(x.dtype(), x.device(), Shape.of(rows, n, cols));
             Tensor perImage = wide.permute(1, 0, 2)) {
            x.backend().im2col(x, window, 0, perImage);
            return wide.reshape(rows, n * cols);
        }
    }

    /** The adjoint of {@link #im2colWide}: [C*kh*kw, N*OH*OW] -> [N, C, height, width]. */
    static Tensor col2imWide(Tensor cols, int n, int height, int width, Window2d window) {
        cols.checkOpen("col2imWide");
        if (cols.rank() != 2 || n < 1 || cols.size(1) % n != 0) {
            throw new IllegalArgumentException("col2imWide: input must be 2-D [C*kh*kw, N*L] with N = " + n
                    + " dividing dimension 1, got shape " + cols.shape());
        }
        try (Tensor split = cols.reshape(cols.size(0), n, cols.size(1) / n); Tensor perImage = split.permute(1, 0, 2)) {
            return col2im(perImage, height, width, window);
        }
    }

    /** [N, C*kh*kw, OH*OW] -> [N, C, H, W], summing the columns back into the image (overlaps add). */
    static Tensor col2im(Tensor cols, int height, int width, Window2d window) {
        cols.checkOpen("col2im");
        if (cols.rank() != 3) {
            throw new IllegalArgumentException("col2im: input must be 3-D [N, C*kh*kw, L], got shape " + cols.shape());
        }
        if (!cols.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("col2im: input must be floating point, got " + cols.dtype());
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("col2im: output size must be positive, got " + height + "x" + width);
        }
        checkWindowFits("col2im", height, width, window);
        if (cols.size(1) % window.taps() != 0) {
            throw new IllegalArgumentException("col2im: dimension 1 of the input (" + cols.size(1)
                    + ") must be divisible by the window's " + window.taps() + " taps, got shape " + cols.shape());
        }
        int blocks = window.outH(height) * window.outW(width);
        if (cols.size(2) != blocks) {
            throw new IllegalArgumentException("col2im: an output of " + height + "x" + width + " has " + blocks
                    + " window positions, but dimension 2 of the input is " + cols.size(2) + " (shape " + cols.shape() + ")");
        }
        int channels = cols.size(1) / window.taps();
        Tensor out = Tensor.empty(cols.dtype(), cols.device(), Shape.of(cols.size(0), channels, height, width));
        cols.backend().col2im(cols, window, out);
        return out;
    }

    /** Max pooling [N, C, H, W] -> {values, indices (I64 flat positions in each H*W plane)}. */
    static Tensor.MaxPool maxPool2d(Tensor x, Window2d window) {
        x.checkOpen("maxPool2d");
        if (x.rank() != 4) {
            throw new IllegalArgumentException("maxPool2d: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("maxPool2d: input must be floating point, got " + x.dtype());
        }
        checkWindowFits("maxPool2d", x.size(2), x.size(3), window);
        Shape out = Shape.of(x.size(0), x.size(1), window.outH(x.size(2)), window.outW(x.size(3)));
        Tensor values = Tensor.empty(x.dtype(), x.device(), out);
        Tensor indices = Tensor.empty(DType.I64, x.device(), out);
        x.backend().maxPool2d(x, window, values, indices);
        return new Tensor.MaxPool(values, indices);
    }

    /** The gradient of {@link #maxPool2d}: grad [N, C, OH, OW] scattered into [N, C, height, width] at indices. */
    static Tensor maxPool2dBackward(Tensor grad, Tensor indices, int height, int width) {
        grad.checkOpen("maxPool2dBackward");
        if (grad.rank() != 4 || !grad.shape().equals(indices.shape()) || indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("maxPool2dBackward: grad and indices must be 4-D of one shape (indices I64), got "
                    + grad.shape() + " and " + indices.dtype() + " " + indices.shape());
        }
        Tensor gradIn = Tensor.empty(grad.dtype(), grad.device(), Shape.of(grad.size(0), grad.size(1), height, width));
        grad.backend().maxPool2dBackward(grad, indices, gradIn);
        return gradIn;
    }
}
