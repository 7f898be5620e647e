package dev.kiln.tensor;

/** Matrix products with torch.matmul's rank rules and batch broadcasting. */
final class LinearAlgebra {
    private LinearAlgebra() {}

    static Tensor matmul(Tensor a, Tensor b) {
        a.checkOpen("matmul");
        b.checkOpen("matmul");
        a.checkSameDevice("matmul", b);
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got shapes "
                    + a.shape() + " and " + b.shape());
        }
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul: dtypes must match, got " + a.dtype() + " and " + b.dtype());
        }
        if (a.dtype().isBool()) {
            throw new IllegalArgumentException("matmul: not supported for BOOL tensors");
        }
        // Promote vectors to matrices ([k] -> [1, k] on the left, [k, 1] on the right) and drop
        // the added dimension from the result, as torch.matmul does.
        try (Tensor a2 = a.rank() == 1 ? a.unsqueeze(0) : a.reshape(a.shape().toArray());
             Tensor b2 = b.rank() == 1 ? b.unsqueeze(1) : b.reshape(b.shape().toArray())) {
            int m = a2.size(-2);
            int k = a2.size(-1);
            int k2 = b2.size(-2);
            int n = b2.size(-1);
            if (k != k2) {
                throw new IllegalArgumentException("matmul: shapes " + a.shape() + " and " + b.shape()
                        + " are not compatible: " + k + " != " + k2);
            }
            Shape batchA = Shape.of(java.util.Arrays.copyOf(a2.shape().toArray(), a2.rank() - 2));
            Shape batchB = Shape.of(java.util.Arrays.copyOf(b2.shape().toArray(), b2.rank() - 2));
            Shape batch;
            try {
                batch = Shape.broadcast("matmul", batchA, batchB);
            } catch (IllegalArgumentException e) {
                // Name the operands' full shapes, not just the batch parts Shape.broadcast reports.
                throw new IllegalArgumentException("matmul: shapes " + a.shape() + " and " + b.shape()
                        + " are not compatible: batch dimensions " + batchA + " and " + batchB + " cannot be broadcast", e);
            }
            int[] ea = concat(batch.toArray(), m, k);
            int[] eb = concat(batch.toArray(), k, n);
            try (Tensor xa = a2.expand(ea); Tensor xb = b2.expand(eb)) {
                Tensor out = Tensor.empty(a.dtype(), a.device(), Shape.of(concat(batch.toArray(), m, n)));
                a.backend().matmul(xa, xb, out);
                if (a.rank() > 1 && b.rank() > 1) {
                    return out;
                }
                Tensor squeezed = out.squeeze(a.rank() == 1 ? -2 : -1);
                if (a.rank() == 1 && b.rank() == 1) {
                    Tensor s2 = squeezed.squeeze(-1);
                    squeezed.close();
                    squeezed = s2;
                }
                out.close();
                return squeezed;
            }
        }
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }
}
