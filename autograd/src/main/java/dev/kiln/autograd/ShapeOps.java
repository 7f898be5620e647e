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
                    g.newZeros(g.dtype(), before), g, g.newZeros(g.dtype(), after)), d)};
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

    // slice(dim, start, end, step): da = zeros with g written into the same strided positions
    static Var slice(Var a, int dim, int start, int end, int step) {
        Tensor x = a.value();
        return Var.op("slice", x.slice(dim, start, end, step), g -> {
            Tensor dx = g.newZeros(g.dtype(), x.shape().toArray());
            try (Tensor window = dx.slice(dim, start, end, step)) {
                window.copyFrom(g);
            }
            return new Tensor[] {dx};
        }, a);
    }

    // stack(parts, dim) = cat of the parts each unsqueezed at dim
    static Var stack(java.util.List<Var> parts, int dim) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty list of Vars");
        }
        int d = Shape.normalizeDim(dim, parts.get(0).value().rank() + 1, "stack");
        java.util.List<Var> lifted = new java.util.ArrayList<>();
        for (Var v : parts) {
            lifted.add(unsqueeze(v, d));
        }
        return cat(lifted, d);
    }

    // split into pieces of splitSize along dim (the last may be shorter): each piece is a narrow
    static java.util.List<Var> split(Var a, int splitSize, int dim) {
        if (splitSize < 1) {
            throw new IllegalArgumentException("split: splitSize must be positive, got " + splitSize);
        }
        if (a.value().rank() == 0) {
            throw new IllegalArgumentException("split: cannot split a 0-dimensional tensor");
        }
        int d = Shape.normalizeDim(dim, a.value().rank(), "split");
        int n = a.value().size(d);
        java.util.List<Var> pieces = new java.util.ArrayList<>();
        for (int at = 0; at < n; at += splitSize) {
            pieces.add(narrow(a, d, at, Math.min(splitSize, n - at)));
        }
        if (n == 0) {
            pieces.add(narrow(a, d, 0, 0)); // torch: one empty piece, as Tensor.split
        }
        return pieces;
    }

    // chunk into `chunks` pieces of ceil(n / chunks) along dim (torch.chunk: fewer pieces may result)
    static java.util.List<Var> chunk(Var a, int chunks, int dim) {
        if (chunks < 1) {
            throw new IllegalArgumentException("chunk: chunks must be positive, got " + chunks);
        }
        if (a.value().rank() == 0) {
            throw new IllegalArgumentException("chunk: cannot chunk a 0-dimensional tensor");
        }
        int d = Shape.normalizeDim(dim, a.value().rank(), "chunk");
        int n = a.value().size(d);
        if (n == 0) {
            // torch.chunk of an empty dim: `chunks` empty pieces, as Tensor.chunk
            java.util.List<Var> pieces = new java.util.ArrayList<>();
            for (int i = 0; i < chunks; i++) {
                pieces.add(narrow(a, d, 0, 0));
            }
            return pieces;
        }
        return split(a, (n + chunks - 1) / chunks, d);
    }

    // squeeze() drops every size-1 dim: da = g reshaped back
    static Var squeezeAll(Var a) {
        Tensor x = a.value();
        int[] in = x.shape().toArray();
        return Var.op("squeeze", x.squeeze(), g -> new Tensor[] {g.reshape(in)}, a);
    }

    // tril/triu(diagonal): a mask on the last two dims, so da = g with the same mask applied
    static Var triangle(Var a, int diagonal, boolean lower) {
        Tensor x = a.value();
        Tensor out = lower ? x.tril(diagonal) : x.triu(diagonal);
        return Var.op(lower ? "tril" : "triu", out,
                g -> new Tensor[] {lower ? g.tril(diagonal) : g.triu(diagonal)}, a);
    }

    // contiguous(): same values, possibly a copy; da = g
    static Var contiguous(Var a) {
        return Var.op("contiguous", a.value().contiguous(), g -> new Tensor[] {g}, a);
    }
}
