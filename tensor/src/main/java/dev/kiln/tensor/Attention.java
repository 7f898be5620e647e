package dev.kiln.tensor;

/**
 * Fused scaled-dot-product attention (torch's {@code F.scaled_dot_product_attention}), computed
 * FlashAttention-style: the Tq × Tk score matrix is never materialised, so memory grows with
 * T·D, not T².
 *
 * <pre>
 * q: [B, H, Tq, D]   k, v: [B, Hkv, Tk, D]   keyPaddingMask: BOOL [B, Tk] or null
 * output: [B, H, Tq, D]   logSumExp: F32 [B, H, Tq]
 * O = softmax(Q K^T * scale + mask) V
 * </pre>
 *
 * <ul>
 *   <li>Grouped-query attention: H must be a multiple of Hkv; query head h uses kv head
 *       {@code h / (H / Hkv)} (Hkv = 1 is multi-query attention).
 *   <li>{@code causal}: query i attends keys {@code j <= i + (Tk - Tq)}, the diagonal aligned to the
 *       end as torch and FlashAttention do when Tq != Tk.
 *   <li>{@code keyPaddingMask}: true marks a key to ignore, for every query of that batch row.
 *   <li>{@code scale}: multiplies Q K^T; NaN means {@code 1 / sqrt(D)}.
 *   <li>A query row that sees no key at all (all masked) gets output 0, logSumExp -inf and zero
 *       gradients; torch's unfused path gives NaN there.
 * </ul>
 *
 * Dtypes: q, k and v share one floating-point dtype. The kernel computes in F32; F64, F16 and BF16
 * inputs are converted to F32 and the results rounded back (so F64 gets F32 accuracy). The
 * logSumExp is always F32. Outputs are new contiguous tensors owned by the caller.
 */
public final class Attention {
    private Attention() {}

    /** The forward's results; close both with {@link #close()}. */
    public record Output(Tensor output, Tensor logSumExp) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            logSumExp.close();
        }
    }

    /** Gradients with respect to q, k and v (each with that input's shape and dtype). */
    public record Gradients(Tensor query, Tensor key, Tensor value) implements AutoCloseable {
        @Override
        public void close() {
            query.close();
            key.close();
            value.close();
        }
    }

    /**
     * The attention output and per-row log-sum-exp of the masked, scaled scores (which
     * {@link #backward} needs).
     *
     * @throws IllegalArgumentException naming the argument when a shape, dtype or device does not fit
     */
    public static Output forward(Tensor q, Tensor k, Tensor v, boolean causal, Tensor keyPaddingMask, double scale) {
        check("attention", q, k, v, keyPaddingMask, scale);
        double s = resolveScale(scale, q.size(3));
        Shape lseShape = Shape.of(q.size(0), q.size(1), q.size(2));
        if (q.dtype() == DType.F32) {
            Tensor out = Tensor.empty(DType.F32, q.device(), q.shape());
            Tensor lse = Tensor.empty(DType.F32, q.device(), lseShape);
            q.backend().attentionForward(q, k, v, keyPaddingMask, causal, s, out, lse);
            return new Output(out, lse);
        }
        try (Tensor q32 = q.to(DType.F32); Tensor k32 = k.to(DType.F32); Tensor v32 = v.to(DType.F32);
             Tensor out = Tensor.empty(DType.F32, q.device(), q.shape())) {
            Tensor lse = Tensor.empty(DType.F32, q.device(), lseShape);
            q.backend().attentionForward(q32, k32, v32, keyPaddingMask, causal, s, out, lse);
            return new Output(out.to(q.dtype()), lse);
        }
    }

    /** Just the attention output of {@link #forward} (the log-sum-exp is dropped). */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, Tensor keyPaddingMask,
                                                   double scale) {
        Output o = forward(q, k, v, causal, keyPaddingMask, scale);
        o.logSumExp().close();
        return o.output();
    }

    /**
     * Gradients of the attention with respect to q, k and v, given the gradient of its output.
     * {@code output} and {@code logSumExp} are what {@link #forward} returned for the same inputs
     * and options; P is recomputed tile by tile from them. dK and dV are summed over the query
     * heads that share a kv head.
     *
     * @throws IllegalArgumentException naming the argument when a shape, dtype or device does not fit
     */
    public static Gradients backward(Tensor gradOutput, Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp,
                                     boolean causal, Tensor keyPaddingMask, double scale) {
        String op = "attention backward";
        check(op, q, k, v, keyPaddingMask, scale);
        checkLike(op, "gradOutput", gradOutput, q);
        checkLike(op, "output", output, q);
        logSumExp.checkOpen(op);
        Shape lseShape = Shape.of(q.size(0), q.size(1), q.size(2));
        if (logSumExp.dtype() != DType.F32 || !logSumExp.shape().equals(lseShape)) {
            throw new IllegalArgumentException(op + ": logSumExp must be F32 " + lseShape + ", got "
                    + logSumExp.dtype() + " " + logSumExp.shape());
        }
        double s = resolveScale(scale, q.size(3));
        try (Tensor q32 = q.to(DType.F32); Tensor k32 = k.to(DType.F32); Tensor v32 = v.to(DType.F32);
             Tensor o32 = output.to(DType.F32); Tensor g32 = gradOutput.to(DType.F32);
             Tensor dq = Tensor.empty(DType.F32, q.device(), q.shape());
             Tensor dk = Tensor.empty(DType.F32, q.device(), k.shape());
             Tensor dv = Tensor.empty(DType.F32, q.device(), k.shape())) {
            q.backend().attentionBackward(g32, q32, k32, v32, o32, logSumExp, keyPaddingMask, causal, s, dq, dk, dv);
            // to() of an F32 tensor is a new view: the caller owns it, the try block closes ours.
            return new Gradients(dq.to(q.dtype()), dk.to(q.dtype()), dv.to(q.dtype()));
        }
    }

    private static double resolveScale(double scale, int dim) {
        return Double.isNaN(scale) ? 1.0 / Math.sqrt(dim) : scale;
    }

    private static void check(String op, Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        q.checkOpen(op);
        k.checkOpen(op);
        v.checkOpen(op);
        q.checkSameDevice(op, k);
        q.checkSameDevice(op, v);
        q.checkSameDevice(op, mask);
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException(op + ": q, k and v must be 4-D (q [B, H, Tq, D], k and v [B, Hkv, Tk, D]),"
                    + " got q " + q.shape() + ", k " + k.shape() + ", v " + v.shape());
        }
        if (!q.dtype().isFloatingPoint() || k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
            throw new IllegalArgumentException(op + ": q, k and v must share one floating-point dtype, got q "
                    + q.dtype() + ", k " + k.dtype() + ", v " + v.dtype());
        }
        if (k.device() != q.device() || v.device() != q.device()) {
            throw new IllegalArgumentException(op + ": q, k and v must be on one device, got q " + q.device()
                    + ", k " + k.device() + ", v " + v.device());
        }
        if (!k.shape().equals(v.shape())) {
            throw new IllegalArgumentException(op + ": k and v must have the same shape [B, Hkv, Tk, D], got k "
                    + k.shape() + ", v " + v.shape());
        }
        if (k.size(0) != q.size(0)) {
            throw new IllegalArgumentException(op + ": batch sizes differ: q " + q.shape() + ", k " + k.shape());
        }
        if (k.size(3) != q.size(3)) {
            throw new IllegalArgumentException(op + ": head dims differ: q " + q.shape() + " has D = " + q.size(3)
                    + ", k " + k.shape() + " has D = " + k.size(3));
        }
        if (q.size(3) < 1) {
            throw new IllegalArgumentException(op + ": head dim D must be at least 1, got q " + q.shape());
        }
        if (k.size(1) < 1 || q.size(1) % k.size(1) != 0) {
            throw new IllegalArgumentException(op + ": the number of query heads (" + q.size(1)
                    + ") must be a multiple of the number of kv heads (" + k.size(1) + "); q " + q.shape() + ", k " + k.shape());
        }
        if (mask != null) {
            mask.checkOpen(op);
            Shape expected = Shape.of(q.size(0), k.size(2));
            if (mask.dtype() != DType.BOOL || !mask.shape().equals(expected)) {
                throw new IllegalArgumentException(op + ": keyPaddingMask must be BOOL " + expected + " [B, Tk], got "
                        + mask.dtype() + " " + mask.shape());
            }
            if (mask.device() != q.device()) {
                throw new IllegalArgumentException(op + ": keyPaddingMask is on " + mask.device() + ", q on " + q.device());
            }
        }
        if (Double.isInfinite(scale)) {
            throw new IllegalArgumentException(op + ": scale must be finite (or NaN for 1/sqrt(D)), got " + scale);
        }
    }

    private static void checkLike(String op, String name, Tensor t, Tensor q) {
        t.checkOpen(op);
        if (!t.dtype().isFloatingPoint() || !t.shape().equals(q.shape()) || t.device() != q.device()) {
            throw new IllegalArgumentException(op + ": " + name + " must be a floating-point tensor of q's shape "
                    + q.shape() + " on " + q.device() + ", got " + t.dtype() + " " + t.shape() + " on " + t.device());
        }
    }
}
