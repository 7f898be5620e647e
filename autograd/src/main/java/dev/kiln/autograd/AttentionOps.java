package dev.kiln.autograd;

import dev.kiln.tensor.Attention;
import dev.kiln.tensor.Tensor;

/**
 * Differentiable fused attention: forward and backward are the FlashAttention-style kernels of
 * {@link Attention}, so neither the scores nor the probabilities (Tq × Tk per head) are kept for
 * backward, only Q, K, V, the output and the per-row log-sum-exp.
 */
public final class AttentionOps {
    private AttentionOps() {}

    /**
     * torch's {@code F.scaled_dot_product_attention}: {@code softmax(q k^T * scale + mask) v}.
     *
     * <pre>
     * q: [B, H, Tq, D]   k, v: [B, Hkv, Tk, D] (H a multiple of Hkv)   result: [B, H, Tq, D]
     * </pre>
     *
     * @param causal query i attends keys {@code j <= i + (Tk - Tq)} (diagonal aligned to the end)
     * @param keyPaddingMask BOOL [B, Tk], true = ignore that key; null for none
     * @param scale multiplies {@code q k^T}; NaN means {@code 1 / sqrt(D)}
     *
     * <p>A query row with every key masked has output 0 and passes no gradient. The kernels
     * compute in F32 (other float dtypes are converted), so gradients of F64 inputs have F32
     * accuracy. Shape, dtype and mask errors are reported by {@link Attention#forward}.
     */
    public static Var scaledDotProductAttention(Var q, Var k, Var v, boolean causal, Tensor keyPaddingMask, double scale) {
        Tensor qv = q.value(), kv = k.value(), vv = v.value();
        Attention.Output fwd = Attention.forward(qv, kv, vv, causal, keyPaddingMask, scale);
        Tensor out = fwd.output();
        Tensor lse = fwd.logSumExp();
        boolean recorded = NoGrad.isGradEnabled() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        if (!recorded) {
            lse.close();
        }
        return Var.op("scaledDotProductAttention", out, g -> {
            Attention.Gradients grads = Attention.backward(g, qv, kv, vv, out, lse, causal, keyPaddingMask, scale);
            return new Tensor[] {keepIf(q, grads.query()), keepIf(k, grads.key()), keepIf(v, grads.value())};
        }, q, k, v);
    }

    private static Tensor keepIf(Var input, Tensor grad) {
        if (input.requiresGrad()) {
            return grad;
        }
        grad.close();
        return null;
    }
}
