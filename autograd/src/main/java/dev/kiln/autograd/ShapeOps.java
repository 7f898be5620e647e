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
}
