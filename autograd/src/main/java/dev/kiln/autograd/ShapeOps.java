package dev.kiln.autograd;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/** View ops (reshape, permute, transpose, unsqueeze, expand) and their backward; all are views. */
final class ShapeOps {
    private ShapeOps() {}

    /**
     * Undoes NumPy broadcasting for a gradient: sums {@code g} over the leading dims that
     * broadcasting added and over the dims where {@code target} has size 1, giving {@code target}'s shape.
     */
    static Tensor sumToShape(Tensor g, Shape target) {
        if (g.shape().equals(target)) {
            return g;
        }
        int lead = g.rank() - target.rank();
        if (lead < 0) {
            throw new IllegalArgumentException("sumToShape: gradient " + g.shape() + " has lower rank than " + target);
        }
        int[] dims = new int[g.rank()];
        int n = 0;
        for (int i = 0; i < g.rank(); i++) {
            if (i < lead || (target.size(i - lead) == 1 && g.size(i) != 1)) {
                dims[n++] = i;
            }
        }
        Tensor summed = n == 0 ? g : g.sum(Arrays.copyOf(dims, n), true);
        return summed.reshape(target.toArray());
    }

    // reshape: [in] -> [shape]; da = g reshaped back
    static Var reshape(Var a, int... shape) {
        Tensor x = a.value();
        int[] in = x.shape().toArray();
        return Var.op("reshape", x.reshape(shape), g -> new Tensor[] {g.reshape(in)}, a);
    }

    // permute: out dim i = in dim order[i]; da = g permuted by the inverse order
    static Var permute(Var a, int... order) {
        Tensor out = a.value().permute(order);
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            inverse[Shape.normalizeDim(order[i], order.length, "permute")] = i;
        }
        return Var.op("permute", out, g -> new Tensor[] {g.permute(inverse)}, a);
    }

    // transpose swaps two dims; it is its own inverse
    static Var transpose(Var a, int dim0, int dim1) {
        return Var.op("transpose", a.value().transpose(dim0, dim1), g -> new Tensor[] {g.transpose(dim0, dim1)}, a);
    }

    // unsqueeze inserts a size-1 dim; da = g reshaped back
    static Var unsqueeze(Var a, int dim) {
        Tensor x = a.value();
        int[] in = x.shape().toArray();
        return Var.op("unsqueeze", x.unsqueeze(dim), g -> new Tensor[] {g.reshape(in)}, a);
    }

    // expand broadcasts size-1 dims; da = g summed back over them
    static Var expand(Var a, int... sizes) {
        Tensor x = a.value();
        return Var.op("expand", x.expand(sizes), g -> new Tensor[] {sumToShape(g, x.shape())}, a);
    }

    // narrow(dim, start, length): da = g placed at [start, start+length) of dim, zeros elsewhere
    static Var narrow(Var a, int dim, int start, int length) {
        Tensor x = a.value();
        Tensor out = x.narrow(dim, start, length);
        int d = Shape.normalizeDim(dim, x.rank(), "narrow");
        int n = x.size(d);
        int begin = start < 0 ? start + n : start;
        return Var.op("narrow", out, g -> {
            int[] before = x.shape().toArray();
            before[d] = begin;
            int[] after = x.shape().toArray();
            after[d] = n - begin - length;
            return new Tensor[] {Tensor.cat(java.util.List.of(
                    Tensor.zeros(g.dtype(), before), g, Tensor.zeros(g.dtype(), after)), d)};
        }, a);
    }

    // squeeze(dim): da = g reshaped back to the input shape
    static Var squeeze(Var a, int dim) {
        Tensor x = a.value();
        int[] in = x.shape().toArray();
        return Var.op("squeeze", x.squeeze(dim), g -> new Tensor[] {g.reshape(in)}, a);
    }

    // cat(parts, dim): each part's gradient is its slice of g
    static Var cat(java.util.List<Var> parts, int dim) {
        java.util.List<Tensor> values = new java.util.ArrayList<>();
        for (Var v : parts) {
            values.add(v.value());
        }
        Tensor out = Tensor.cat(values, dim);
        int d = Shape.normalizeDim(dim, out.rank(), "cat");
        return Var.op("cat", out, g -> {
            Tensor[] grads = new Tensor[values.size()];
            int at = 0;
            for (int i = 0; i < grads.length; i++) {
                int len = values.get(i).size(d);
                grads[i] = g.narrow(d, at, len);
                at += len;
            }
            return grads;
        }, parts.toArray(new Var[0]));
    }
}
