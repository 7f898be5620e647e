package dev.kiln.nn.attention;

/**
 * The construction settings of {@link MultiheadAttention}, with torch's defaults
 * ({@link #defaults()}: no dropout, biases, no bias_k/bias_v, no zero attention, kdim = vdim =
 * embed_dim, sequence-first [L, N, E] input). Immutable; each setter returns a modified copy:
 * {@code MultiheadAttentionOptions.defaults().bias(false).batchFirst(true)}.
 *
 * @param dropout probability of dropping each attention weight (after the softmax), in training
 *     mode only; while it is active the attention runs op by op instead of the fused kernel
 * @param bias whether the module has {@code in_proj_bias} and {@code out_proj.bias}
 * @param addBiasKv learned {@code bias_k} and {@code bias_v} [1, 1, E], appended to the keys and
 *     values as one extra source position
 * @param addZeroAttn append one more source position whose key and value are zero (after the head split)
 * @param kdim features of the key input; 0 means embed_dim. When kdim or vdim differs from
 *     embed_dim, the projections are separate ({@code q_proj_weight} [E, E], {@code k_proj_weight}
 *     [E, kdim], {@code v_proj_weight} [E, vdim]) instead of the packed {@code in_proj_weight} [3E, E]
 * @param vdim features of the value input; 0 means embed_dim
 * @param batchFirst input and output are [N, L, E] instead of [L, N, E]
 */
public record MultiheadAttentionOptions(double dropout, boolean bias, boolean addBiasKv, boolean addZeroAttn, int kdim,
        int vdim, boolean batchFirst) {
    public MultiheadAttentionOptions {
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("MultiheadAttentionOptions: dropout must be in [0, 1], got " + dropout);
        }
        if (kdim < 0 || vdim < 0) {
            throw new IllegalArgumentException("MultiheadAttentionOptions: kdim and vdim must be positive (or 0 for embed_dim), got kdim="
                    + kdim + ", vdim=" + vdim);
        }
    }

    /** torch's defaults: {@code dropout=0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=vdim=None, batch_first=False}. */
    public static MultiheadAttentionOptions defaults() {
        return new MultiheadAttentionOptions(0, true, false, false, 0, 0, false);
    }

    public MultiheadAttentionOptions dropout(double p) {
        return new MultiheadAttentionOptions(p, bias, addBiasKv, addZeroAttn, kdim, vdim, batchFirst);
    }

    public MultiheadAttentionOptions bias(boolean b) {
        return new MultiheadAttentionOptions(dropout, b, addBiasKv, addZeroAttn, kdim, vdim, batchFirst);
    }

    public MultiheadAttentionOptions addBiasKv(boolean b) {
        return new MultiheadAttentionOptions(dropout, bias, b, addZeroAttn, kdim, vdim, batchFirst);
    }

    public MultiheadAttentionOptions addZeroAttn(boolean b) {
        return new MultiheadAttentionOptions(dropout, bias, addBiasKv, b, kdim, vdim, batchFirst);
    }

    public MultiheadAttentionOptions kdim(int d) {
        return new MultiheadAttentionOptions(dropout, bias, addBiasKv, addZeroAttn, d, vdim, batchFirst);
    }

    public MultiheadAttentionOptions vdim(int d) {
        return new MultiheadAttentionOptions(dropout, bias, addBiasKv, addZeroAttn, kdim, d, batchFirst);
    }

    public MultiheadAttentionOptions batchFirst(boolean b) {
        return new MultiheadAttentionOptions(dropout, bias, addBiasKv, addZeroAttn, kdim, vdim, b);
    }
}
