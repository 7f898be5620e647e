package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * Indexing ops differentiable in their floating-point input (never in the integer index): the
 * backward of every gather-like op is a scatter-add of the gradient into zeros, so rows picked
 * several times receive the sum of their gradients.
 */
final class IndexingOps {
    private IndexingOps() {}

    // out = x.indexSelect(dim, index [n]): out.size(dim) = n; dx = zeros.scatterAdd(dim, index broadcast to g, g)
    static Var indexSelect(Var a, int dim, Tensor index) {
        Tensor x = a.value();
        Tensor out = x.indexSelect(dim, index);
        return Var.op("indexSelect", out, g -> {
            int d = dim < 0 ? dim + x.rank() : dim;
            int[] along = new int[g.rank()];
            java.util.Arrays.fill(along, 1);
            along[d] = index.numel();
            Tensor idx = index.reshape(along).expand(g.shape().toArray());
            return new Tensor[] {x.newZeros(x.dtype(), x.shape().toArray()).scatterAdd(d, idx, g)};
        }, a);
    }

    // out = x.gather(dim, index) (index has x's rank): dx = zeros.scatterAdd(dim, index, g)
    static Var gather(Var a, int dim, Tensor index) {
        Tensor x = a.value();
        return Var.op("gather", x.gather(dim, index),
                g -> new Tensor[] {x.newZeros(x.dtype(), x.shape().toArray()).scatterAdd(dim, index, g)}, a);
    }

    // out = embedding(weight [V, D], indices [...]) -> [..., D]: dweight = rows of g added at their indices
    static Var embedding(Var weight, Tensor indices) {
        Tensor w = weight.value();
        return Var.op("embedding", Tensor.embedding(w, indices), g -> {
            int n = indices.numel(), dim = w.size(1);
            Tensor rows = g.reshape(n, dim);
            Tensor idx = indices.reshape(n, 1).expand(n, dim);
            return new Tensor[] {w.newZeros(w.dtype(), w.shape().toArray()).scatterAdd(0, idx, rows)};
        }, weight);
    }

    // out = self.scatterAdd(dim, index, src): dself = g, dsrc = g.gather(dim, index)
    static Var scatterAdd(Var self, int dim, Tensor index, Var src) {
        Tensor x = self.value();
        Tensor out = x.scatterAdd(dim, index, src.value());
        return Var.op("scatterAdd", out, g -> new Tensor[] {g, src.requiresGrad() ? g.gather(dim, index) : null}, self, src);
    }

    // values, indices = topk(x, k, dim): values = x.gather(dim, indices), so its backward is gather's
    static Var.TopK topk(Var a, int k, int dim, boolean largest) {
        Tensor.TopK r = a.value().topk(k, dim, largest);
        int d = dev.kiln.tensor.Shape.normalizeDim(dim, Math.max(1, a.value().rank()), "topk");
        Tensor x = a.value();
        Tensor idx = r.indices();
        Var values = Var.op("topk", r.values(), g -> new Tensor[] {
                x.rank() == 0 ? g : x.newZeros(x.dtype(), x.shape().toArray()).scatterAdd(d, idx, g)}, a);
        return new Var.TopK(values, idx);
    }
}
