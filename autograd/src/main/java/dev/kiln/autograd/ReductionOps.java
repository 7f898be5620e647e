package dev.kiln.autograd;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Reductions and softmax, forward and backward side by side. */
final class ReductionOps {
    private ReductionOps() {}

    // sum over dims (null = all): da = g broadcast back over the reduced dims
    static Var sum(Var a, int[] dims, boolean keepdim) {
        a = AutocastPolicy.cast("sum", a);
        Tensor x = a.value();
        Tensor out = dims == null ? x.sum() : x.sum(dims, keepdim);
        return Var.op("sum", out, g -> new Tensor[] {expandBack(g, x.shape(), dims, keepdim)}, a);
    }

    // mean over dims (null = all): da = g broadcast back, divided by the number of reduced elements
    static Var mean(Var a, int[] dims, boolean keepdim) {
        Tensor x = a.value();
        Tensor out = dims == null ? x.mean() : x.mean(dims, keepdim);
        double count = (double) x.numel() / Math.max(1, out.numel());
        return Var.op("mean", out, g -> new Tensor[] {expandBack(g, x.shape(), dims, keepdim).div(count)}, a);
    }

    // logsumexp over dims: da = g broadcast back * exp(a - out), i.e. g times the softmax over dims
    static Var logsumexp(Var a, int[] dims, boolean keepdim) {
        a = AutocastPolicy.cast("logsumexp", a);
        Tensor x = a.value();
        Tensor out = x.logsumexp(dims, keepdim);
        return Var.op("logsumexp", out, g -> {
            Tensor outKept = keepdim ? out : out.reshape(keepShape(x.shape(), dims));
            Tensor weights = x.sub(outKept).exp();
            return new Tensor[] {expandBack(g, x.shape(), dims, keepdim).mul(weights)};
        }, a);
    }

    /** The gradient of a reduction output {@code g}, broadcast (as a view) to the input shape. */
    private static Tensor expandBack(Tensor g, Shape in, int[] dims, boolean keepdim) {
        if (dims == null) {
            return g.reshape(keepShape(in, null)).expand(in.toArray());
        }
        Tensor kept = keepdim ? g : g.reshape(keepShape(in, dims));
        return kept.expand(in.toArray());
    }

    /** {@code in} with the reduced dims set to 1 (all of them when {@code dims} is null). */
    private static int[] keepShape(Shape in, int[] dims) {
        int[] s = in.toArray();
        if (dims == null) {
            java.util.Arrays.fill(s, 1);
            return s;
        }
        for (int d : dims) {
            s[Shape.normalizeDim(d, in.rank(), "sum")] = 1;
        }
        return s;
    }

    // y = softmax(a, dim): da = y * (g - sum(g*y, dim))
    static Var softmax(Var a, int dim) {
        a = AutocastPolicy.cast("softmax", a);
        Tensor y = a.value().softmax(dim);
        return Var.op("softmax", y, g -> {
            Tensor dot = g.mul(y).sum(new int[] {dim}, true);
            return new Tensor[] {y.mul(g.sub(dot))};
        }, a);
    }

    // y = logSoftmax(a, dim): da = g - softmax(a) * sum(g, dim)
    static Var logSoftmax(Var a, int dim) {
        a = AutocastPolicy.cast("logSoftmax", a);
        Tensor y = a.value().logSoftmax(dim);
        return Var.op("logSoftmax", y, g -> {
            Tensor total = g.sum(new int[] {dim}, true);
            return new Tensor[] {g.sub(y.exp().mul(total))};
        }, a);
    }

    // max (or min) over dims (null = all), torch's amax/amin: the gradient is shared evenly by
    // every element equal to the extremum (ties split it), da = g * (a == out) / count
    static Var extremum(Var a, int[] dims, boolean keepdim, boolean max) {
        Tensor x = a.value();
        Tensor out = dims == null ? (max ? x.max() : x.min()) : (max ? x.max(dims, keepdim) : x.min(dims, keepdim));
        return Var.op(max ? "max" : "min", out, g -> {
            Tensor outKept = out.reshape(keepShape(x.shape(), dims));
            Tensor hits = x.eq(outKept).to(g.dtype());
            Tensor count = hits.sum(dims == null ? allDims(x.rank()) : dims, true);
            return new Tensor[] {expandBack(g, x.shape(), dims, keepdim).mul(hits).div(count)};
        }, a);
    }

    private static int[] allDims(int rank) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = i;
        }
        return d;
    }

    // var over dims with correction c (N reduced elements): da = g * 2 (a - mean) / (N - c)
    static Var var(Var a, int[] dims, int correction, boolean keepdim) {
        Tensor x = a.value();
        int[] d = dims == null ? allDims(x.rank()) : dims;
        Tensor out = x.var(d, correction, keepdim);
        double count = (double) x.numel() / Math.max(1, out.numel());
        return Var.op("var", out, g -> {
            Tensor centered = x.sub(x.mean(d, true));
            return new Tensor[] {expandBack(g, x.shape(), d, keepdim).mul(centered).mul(2.0 / (count - correction))};
        }, a);
    }

    // std = sqrt(var): da = g * (a - mean) / ((N - c) * std)
    static Var std(Var a, int[] dims, int correction, boolean keepdim) {
        Tensor x = a.value();
        int[] d = dims == null ? allDims(x.rank()) : dims;
        Tensor out = x.std(d, correction, keepdim);
        double count = (double) x.numel() / Math.max(1, out.numel());
        return Var.op("std", out, g -> {
            Tensor centered = x.sub(x.mean(d, true));
            Tensor stdKept = out.reshape(keepShape(x.shape(), d));
            return new Tensor[] {expandBack(g, x.shape(), d, keepdim).mul(centered).div(stdKept).mul(1.0 / (count - correction))};
        }, a);
    }
}
