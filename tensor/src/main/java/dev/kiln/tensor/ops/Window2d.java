package dev.kiln.tensor.ops;

/**
 * The sliding window of a 2-D convolution or pooling: kernel size, stride, zero padding on each
 * side, and dilation (spacing between kernel taps), per spatial dim. Output size follows torch's
 * formula {@code out = floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1}.
 */
public record Window2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                       int dilationH, int dilationW) {

    public Window2d {
        if (kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("Window2d: kernel size must be positive, got " + kernelH + "x" + kernelW);
        }
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("Window2d: stride must be positive, got " + strideH + "x" + strideW);
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("Window2d: padding must be non-negative, got " + padH + "x" + padW);
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("Window2d: dilation must be positive, got " + dilationH + "x" + dilationW);
        }
    }

    /** A square window: kernel k, stride s, padding p, no dilation. */
    public static Window2d of(int k, int s, int p) {
        return new Window2d(k, k, s, s, p, p, 1, 1);
    }

    /** Number of kernel taps, {@code kernelH * kernelW}. */
    public int taps() {
        return kernelH * kernelW;
    }

    /** Output height for an input of height {@code h}, or a negative value when the window does not fit. */
    public int outH(int h) {
        return Math.floorDiv(h + 2 * padH - dilationH * (kernelH - 1) - 1, strideH) + 1;
    }

    /** Output width for an input of width {@code w}, or a negative value when the window does not fit. */
    public int outW(int w) {
        return Math.floorDiv(w + 2 * padW - dilationW * (kernelW - 1) - 1, strideW) + 1;
    }
}
