package dev.kiln.nn.attention;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * Checks {@link MultiheadAttention}'s masks and merges them into one additive mask, as torch's
 * {@code multi_head_attention_forward} does: a BOOL mask becomes {@code -inf} where true and 0
 * elsewhere, a float mask is taken as is, and the parts are summed (torch 1.13 rejects some mixes
 * of float and bool masks; summing is what torch 2 does for all of them).
 */
final class AttentionMasks {
    private AttentionMasks() {}

    /** Dtypes and shapes, for a batch-first call: keyPadding is already [N, S] (unsqueezed when unbatched). */
    static void check(AttentionArgs args, Tensor keyPadding, int n, int heads, int l, int s, boolean batched) {
        Tensor attn = args.attnMask();
        if (attn != null) {
            checkDType("attnMask", attn);
            boolean ok = attn.rank() == 2 ? attn.size(0) == l && attn.size(1) == s
                    : attn.rank() == 3 && attn.size(0) == n * heads && attn.size(1) == l && attn.size(2) == s;
            if (!ok) {
                String three = batched ? "[N * num_heads = " + n * heads : "[num_heads = " + heads;
                throw new IllegalArgumentException("MultiheadAttention: attnMask must be [L, S] = [" + l + ", " + s + "] or "
                        + three + ", " + l + ", " + s + "], got " + attn.shape());
            }
        }
        if (keyPadding != null) {
            checkDType("keyPaddingMask", keyPadding);
            if (keyPadding.size(0) != n || keyPadding.size(1) != s) {
                throw new IllegalArgumentException("MultiheadAttention: keyPaddingMask must be "
                        + (batched ? "[N, S] = [" + n + ", " + s + "]" : "[S] = [" + s + "]") + ", got "
                        + (batched ? keyPadding.shape() : keyPadding.squeeze(0).shape()));
            }
        }
    }

    private static void checkDType(String name, Tensor mask) {
        if (mask.dtype() != DType.BOOL && !mask.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("MultiheadAttention: " + name + " must be BOOL (true = not allowed to attend) or "
                    + "floating point (added to the scores), got " + mask.dtype());
        }
    }

    /**
     * The sum of every mask in {@code args} (and the causal mask) in additive form, broadcastable
     * to the scores [N, H, L, S + extraKeys]; the extra keys (bias_k, the zero key) are never
     * masked. Null when there is no mask at all.
     */
    static Tensor additive(AttentionArgs args, Tensor keyPadding, int n, int heads, int l, int s, int extraKeys, DType dtype,
            Device device) {
        try (DeviceScope _ = DeviceScope.enter(device)) {
            Tensor total = null;
            Tensor attn = args.attnMask();
            if (attn != null) {
                Tensor a = additive(attn, dtype);
                total = attn.rank() == 2 ? a.reshape(1, 1, l, s) : a.reshape(n, heads, l, s);
            }
            if (keyPadding != null) {
                total = sum(total, additive(keyPadding, dtype).reshape(n, 1, 1, s));
            }
            if (args.isCausal()) {
                try (Tensor causal = Attention.causalMask(l, s)) {
                    total = sum(total, additive(causal, dtype).reshape(1, 1, l, s));
                }
            }
            if (total == null || extraKeys == 0) {
                return total;
            }
            Tensor none = Tensor.zeros(dtype, total.size(0), total.size(1), total.size(2), extraKeys);
            return Tensor.cat(List.of(total, none), 3);
        }
    }

    private static Tensor additive(Tensor mask, DType dtype) {
        if (mask.dtype() == DType.BOOL) {
            try (Tensor zeros = Tensor.zeros(dtype, mask.shape().toArray())) {
                return zeros.maskedFill(mask, Double.NEGATIVE_INFINITY);
            }
        }
        return mask.to(dtype);
    }

    private static Tensor sum(Tensor total, Tensor part) {
        return total == null ? part : total.add(part);
    }
}
