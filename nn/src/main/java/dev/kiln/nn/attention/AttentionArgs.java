package dev.kiln.nn.attention;

import dev.kiln.tensor.Tensor;

/**
 * The per-call arguments of {@link MultiheadAttention#forward(dev.kiln.autograd.Var, dev.kiln.autograd.Var,
 * dev.kiln.autograd.Var, AttentionArgs)}, torch's keyword arguments with torch's defaults
 * ({@link #defaults()}: no masks, {@code need_weights=True}, {@code average_attn_weights=True}).
 * Immutable; each setter returns a modified copy:
 * {@code AttentionArgs.defaults().attnMask(mask).keyPaddingMask(pad).needWeights(false)}.
 *
 * <p>Masks are either BOOL (true = that query may NOT attend that key, torch's convention) or
 * floating point (added to the scaled scores, so {@code -inf} forbids a pair). All given masks and
 * {@code isCausal} are combined by adding their additive forms. A query row that every mask
 * forbids gives NaN output and weights, as torch does, except on the fused path (no weights, no
 * attn_mask, BOOL key padding only, F32/F16/BF16), whose kernel gives 0 for such a row.
 *
 * @param keyPaddingMask [N, S] ([S] unbatched): per batch element, the keys to ignore; or null
 * @param needWeights also return the attention weights; false keeps the fused attention kernel
 *     (which never materialises the scores) whenever the masks allow it
 * @param attnMask [L, S] (the same for every batch element and head) or [N * num_heads, L, S]
 *     (batch-major: row {@code n * num_heads + h}; [num_heads, L, S] unbatched); or null
 * @param averageAttnWeights return the weights averaged over heads [N, L, S] rather than per head
 *     [N, num_heads, L, S]
 * @param isCausal also forbid each query the keys after its position (end-aligned when L != S:
 *     query i sees keys {@code j <= i + S - L}); unlike torch 2's hint of the same name, this
 *     applies the mask itself, so no attn_mask is needed for it
 */
public record AttentionArgs(Tensor keyPaddingMask, boolean needWeights, Tensor attnMask, boolean averageAttnWeights,
        boolean isCausal) {

    /** torch's defaults: {@code key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True}, not causal. */
    public static AttentionArgs defaults() {
        return new AttentionArgs(null, true, null, true, false);
    }

    public AttentionArgs keyPaddingMask(Tensor mask) {
        return new AttentionArgs(mask, needWeights, attnMask, averageAttnWeights, isCausal);
    }

    public AttentionArgs needWeights(boolean b) {
        return new AttentionArgs(keyPaddingMask, b, attnMask, averageAttnWeights, isCausal);
    }

    public AttentionArgs attnMask(Tensor mask) {
        return new AttentionArgs(keyPaddingMask, needWeights, mask, averageAttnWeights, isCausal);
    }

    public AttentionArgs averageAttnWeights(boolean b) {
        return new AttentionArgs(keyPaddingMask, needWeights, attnMask, b, isCausal);
    }

    public AttentionArgs isCausal(boolean b) {
        return new AttentionArgs(keyPaddingMask, needWeights, attnMask, averageAttnWeights, b);
    }
}
