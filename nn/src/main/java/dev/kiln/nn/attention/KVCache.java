package dev.kiln.nn.attention;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * Keys and values of the tokens seen so far, for one attention layer, so incremental decoding
 * computes only the new tokens' projections: each step appends [B, Hkv, Tnew, D] and attends over
 * everything cached. Used under NoGrad (inference); the cached tensors are plain values.
 */
public final class KVCache {
    private Tensor keys;   // [B, Hkv, T, D] or null when empty
    private Tensor values;

    /** Number of cached positions (the absolute position of the next token). */
    public int length() {
        return keys == null ? 0 : keys.size(2);
    }

    /** Appends new keys/values [B, Hkv, Tnew, D] and returns everything cached, [B, Hkv, T, D]. */
    public Tensor[] append(Tensor newKeys, Tensor newValues) {
        if (keys != null && (newKeys.size(0) != keys.size(0) || newKeys.size(1) != keys.size(1) || newKeys.size(3) != keys.size(3))) {
            throw new IllegalArgumentException("KVCache: new keys " + newKeys.shape() + " do not match the cached " + keys.shape()
                    + " in batch, heads or head size");
        }
        Tensor k = keys == null ? newKeys.contiguous() : Tensor.cat(java.util.List.of(keys, newKeys), 2);
        Tensor v = values == null ? newValues.contiguous() : Tensor.cat(java.util.List.of(values, newValues), 2);
        // The cache outlives the decoding step's TensorScope; it owns its tensors and frees the old ones.
        TensorScope.escape(k);
        TensorScope.escape(v);
        clear();
        keys = k;
        values = v;
        return new Tensor[] {k, v};
    }

    /** Forgets every cached position. */
    public void clear() {
        if (keys != null) {
            keys.close();
            values.close();
        }
        keys = null;
        values = null;
    }
}
