package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;

/** Max or average pooling over square windows (torch's MaxPool2d / AvgPool2d; stride defaults to the kernel). */
public final class Pool2d extends UnaryModule {
    private final boolean max;
    private final int kernel;
    private final int stride;
    private final int padding;

    private Pool2d(boolean max, int kernel, int stride, int padding) {
        this.max = max;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    public static Pool2d max(int kernel) {
        return new Pool2d(true, kernel, kernel, 0);
    }

    public static Pool2d max(int kernel, int stride, int padding) {
        return new Pool2d(true, kernel, stride, padding);
    }

    public static Pool2d avg(int kernel) {
        return new Pool2d(false, kernel, kernel, 0);
    }

    public static Pool2d avg(int kernel, int stride, int padding) {
        return new Pool2d(false, kernel, stride, padding);
    }

    /** Whether this is max pooling (else average pooling). */
    public boolean isMax() {
        return max;
    }

    public int kernelSize() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    @Override
    public Var forward(Var x) {
        return max ? Functional.maxPool2d(x, kernel, stride, padding) : Functional.avgPool2d(x, kernel, stride, padding);
    }

    @Override
    public String toString() {
        return (max ? "MaxPool2d" : "AvgPool2d") + "(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
