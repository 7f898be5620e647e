package dev.kiln.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Indexing, joining and sorting ops. Most are compositions of a few backend primitives (copy into
 * a view, index select, gather, scatter-add, sort), so a new backend gets them all for free.
 */
final class Indexing {
    private Indexing() {}

    private static void checkIndex(String op, Tensor index) {
        index.checkOpen(op);
        if (index.dtype() != DType.I64 && index.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be I64 or I32, got " + index.dtype());
        }
    }

    /**
     * Every index value must be in [0, size). Bounds check without copying the index to the host: one min and one max reduction on the
     * index's device, two scalars read back.
     */
    private static void checkRange(String op, Tensor index, int size, int dim) {
        if (index.numel() == 0) {
            return;
        }
        long lo;
        long hi;
        try (Tensor min = index.min(); Tensor max = index.max()) {
            lo = (long) min.item();
            hi = (long) max.item();
        }
        if (lo < 0 || hi >= size) {
            throw new IndexOutOfBoundsException(op + ": index " + (lo < 0 ? lo : hi) + " is out of bounds for dimension " + dim
                    + " with size " + size);
        }
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        x.checkOpen("indexSelect");
        checkIndex("indexSelect", index);
        x.checkSameDevice("indexSelect", index);
        if (index.rank() > 1) {
            throw new IllegalArgumentException("indexSelect: index must be 0-D or 1-D, got shape " + index.shape());
        }
        int d = Shape.normalizeDim(dim, x.rank(), "indexSelect");
        if (x.rank() == 0 && index.numel() != 1) {
            throw new IllegalArgumentException("indexSelect: the index into a 0-dimensional tensor must have exactly 1 value, got shape "
                    + index.shape());
        }
        int size = x.rank() == 0 ? 1 : x.size(d);
        checkRange("indexSelect", index, size, d);
        int[] outShape = x.shape().toArray();
        if (x.rank() > 0) {
            outShape[d] = index.numel();
        }
        Tensor out = Tensor.empty(x.dtype(), x.device(), Shape.of(outShape));
        try (Tensor idx = index.reshape(-1)) {
            x.backend().indexSelect(x, d, idx, out);
        }
        return out;
    }

    static Tensor embedding(Tensor weight, Tensor indices) {
        weight.checkOpen("embedding");
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight must be 2-D [numEmbeddings, dim], got shape " + weight.shape());
        }
        checkIndex("embedding", indices);
        try (Tensor flat = indices.reshape(-1); Tensor rows = indexSelect(weight, 0, flat)) {
            int[] shape = java.util.Arrays.copyOf(indices.shape().toArray(), indices.rank() + 1);
            shape[indices.rank()] = weight.size(1);
            return rows.reshape(shape);
        }
    }

    private static void checkGatherShapes(String op, Tensor x, int d, Tensor index) {
        if (index.rank() != x.rank()) {
            throw new IllegalArgumentException(op + ": index must have the same rank as the input, got shapes "
                    + index.shape() + " and " + x.shape());
        }
        for (int i = 0; i < x.rank(); i++) {
            if (i != d && index.size(i) > x.size(i)) {
                throw new IllegalArgumentException(op + ": index shape " + index.shape() + " is larger than input shape "
                        + x.shape() + " at dimension " + i);
            }
        }
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        x.checkOpen("gather");
        checkIndex("gather", index);
        x.checkSameDevice("gather", index);
        int d = Shape.normalizeDim(dim, x.rank(), "gather");
        checkGatherShapes("gather", x, d, index);
        checkRange("gather", index, x.rank() == 0 ? 1 : x.size(d), d);
        Tensor out = Tensor.empty(x.dtype(), x.device(), index.shape());
        x.backend().gather(x, d, index, out);
        return out;
    }

    static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src) {
        x.checkOpen("scatterAdd");
        src.checkOpen("scatterAdd");
        x.checkSameDevice("scatterAdd", src);
        x.checkSameDevice("scatterAdd", index);
        checkIndex("scatterAdd", index);
        int d = Shape.normalizeDim(dim, x.rank(), "scatterAdd");
        checkGatherShapes("scatterAdd", x, d, index);
        if (src.rank() != index.rank()) {
            throw new IllegalArgumentException("scatterAdd: src must have the index's rank, got shapes " + src.shape()
                    + " and " + index.shape());
        }
        for (int i = 0; i < index.rank(); i++) {
            if (index.size(i) > src.size(i)) {
                throw new IllegalArgumentException("scatterAdd: index shape " + index.shape() + " is larger than src shape "
                        + src.shape() + " at dimension " + i);
            }
        }
        if (src.dtype() != x.dtype()) {
            throw new IllegalArgumentException("scatterAdd: src dtype " + src.dtype() + " must equal the input dtype " + x.dtype());
        }
        checkRange("scatterAdd", index, x.rank() == 0 ? 1 : x.size(d), d);
        Tensor out = x.copy();
        x.backend().scatterAdd(out, d, index, src);
        return out;
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("cat: expects a non-empty list of tensors");
        }
        Tensor first = tensors.get(0);
        if (first.rank() == 0) {
            throw new IllegalArgumentException("cat: zero-dimensional tensor at position 0 cannot be concatenated");
        }
        int d = Shape.normalizeDim(dim, first.rank(), "cat");
        int total = 0;
        DType dtype = first.dtype();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            t.checkOpen("cat");
            first.checkSameDevice("cat", t);
            if (t.rank() != first.rank()) {
                throw new IllegalArgumentException("cat: tensor " + i + " has rank " + t.rank() + " (shape " + t.shape()
                        + "), expected rank " + first.rank() + " like tensor 0 (shape " + first.shape() + ")");
            }
            for (int j = 0; j < t.rank(); j++) {
                if (j != d && t.size(j) != first.size(j)) {
                    throw new IllegalArgumentException("cat: sizes must match except in dimension " + d + ": tensor " + i
                            + " has shape " + t.shape() + ", tensor 0 has shape " + first.shape());
                }
            }
            total += t.size(d);
            dtype = DType.promote(dtype, t.dtype());
        }
        int[] shape = first.shape().toArray();
        shape[d] = total;
        Tensor out = Tensor.empty(dtype, first.device(), Shape.of(shape));
        int at = 0;
        for (Tensor t : tensors) {
            try (Tensor slot = out.narrow(d, at, t.size(d))) {
                first.backend().copy(t, slot);
            }
            at += t.size(d);
        }
        return out;
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty list of tensors");
        }
        Shape s = tensors.get(0).shape();
        int d = Shape.normalizeDim(dim, s.rank() + 1, "stack");
        List<Tensor> expanded = new ArrayList<>();
        try {
            for (int i = 0; i < tensors.size(); i++) {
                if (!tensors.get(i).shape().equals(s)) {
                    throw new IllegalArgumentException("stack: all tensors must have the same shape, tensor 0 has " + s
                            + " and tensor " + i + " has " + tensors.get(i).shape());
                }
                expanded.add(tensors.get(i).unsqueeze(d));
            }
            return cat(expanded, d);
        } finally {
            expanded.forEach(Tensor::close);
        }
    }

    static List<Tensor> split(Tensor x, int splitSize, int dim) {
        x.checkOpen("split");
        if (x.rank() == 0) {
            throw new IllegalArgumentException("split: cannot split a 0-dimensional tensor");
        }
        int d = Shape.normalizeDim(dim, x.rank(), "split");
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: splitSize must be > 0, got " + splitSize);
        }
        List<Tensor> parts = new ArrayList<>();
        int n = x.size(d);
        for (int at = 0; at < n; at += splitSize) {
            parts.add(x.narrow(d, at, Math.min(splitSize, n - at)));
        }
        if (n == 0) {
            parts.add(x.narrow(d, 0, 0));
        }
        return parts;
    }

    static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: chunks must be > 0, got " + chunks);
        }
        if (x.rank() == 0) {
            throw new IllegalArgumentException("chunk: cannot chunk a 0-dimensional tensor");
        }
        int d = Shape.normalizeDim(dim, x.rank(), "chunk");
        int n = x.size(d);
        if (n == 0) {
            // torch.chunk of an empty dim: `chunks` empty pieces (split gives one)
            List<Tensor> parts = new ArrayList<>();
            for (int i = 0; i < chunks; i++) {
                parts.add(x.narrow(d, 0, 0));
            }
            return parts;
        }
        return split(x, (n + chunks - 1) / chunks, d);
    }

    static Tensor oneHot(Tensor indices, int numClasses) {
        checkIndex("oneHot", indices);
        if (numClasses <= 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be > 0, got " + numClasses);
        }
        checkRange("oneHot", indices, numClasses, -1);
        try (DeviceScope _ = DeviceScope.enter(indices.device());
             Tensor classes = Tensor.arange(numClasses);
             Tensor idx = indices.to(DType.I64);
             Tensor col = idx.unsqueeze(-1);
             Tensor hit = col.eq(classes)) {
            return hit.to(DType.I64);
        }
    }

    static Tensor triangle(Tensor x, int diagonal, boolean lower) {
        String op = lower ? "tril" : "triu";
        x.checkOpen(op);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": input must have at least 2 dimensions, got shape " + x.shape());
        }
        int r = x.size(-2);
        int c = x.size(-1);
        boolean[] keep = new boolean[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                keep[i * c + j] = lower ? j - i <= diagonal : j - i >= diagonal;
            }
        }
        try (DeviceScope _ = DeviceScope.enter(x.device()); Tensor mask = Tensor.fromArray(keep, r, c);
             Tensor zero = x.newScalar(0, x.dtype())) {
            return Tensor.where(mask, x, zero);
        }
    }

    static Tensor argsort(Tensor x, int dim, boolean descending) {
        x.checkOpen("argsort");
        int d = Shape.normalizeDim(dim, x.rank(), "argsort");
        try (Tensor values = Tensor.empty(x.dtype(), x.device(), x.shape())) {
            Tensor indices = Tensor.empty(DType.I64, x.device(), x.shape());
            x.backend().sort(x, x.rank() == 0 ? 0 : d, descending, values, indices);
            return indices;
        }
    }

    static Tensor.TopK topk(Tensor x, int k, int dim, boolean largest) {
        x.checkOpen("topk");
        int d = Shape.normalizeDim(dim, x.rank(), "topk");
        int n = x.rank() == 0 ? 1 : x.size(d);
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k=" + k + " is out of range for dimension " + d + " of size " + n);
        }
        Tensor values = Tensor.empty(x.dtype(), x.device(), x.shape());
        Tensor indices = Tensor.empty(DType.I64, x.device(), x.shape());
        x.backend().sort(x, x.rank() == 0 ? 0 : d, largest, values, indices);
        if (x.rank() == 0) {
            return new Tensor.TopK(values, indices);
        }
        try (values; indices; Tensor v = values.narrow(d, 0, k); Tensor i = indices.narrow(d, 0, k)) {
            return new Tensor.TopK(v.contiguous(), i.contiguous());
        }
    }
}
