package dev.kiln.nn.attention;

import dev.kiln.autograd.AttentionOps;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Scaled dot-product attention: the fused kernel for F32/F16/BF16 (never materialises the
 * [Tq, Tk] scores; its backward recomputes them blockwise), the op-by-op {@link #reference} for F64.
 *
 * <p>Shapes: q [B, H, Tq, D], k and v [B, Hkv, Tk, D] with H a multiple of Hkv (grouped-query
 * attention: query head h reads kv head h / (H / Hkv)); the result is [B, H, Tq, D].
 * Causal masking aligns the queries to the end of the keys, as a KV cache needs: query i sees
 * keys j &lt;= i + (Tk - Tq). A key-padding mask is BOOL [B, Tk], true where a key must be ignored.
 * A query row with every key masked gives 0 from the fused kernel (and NaN from the reference,
 * as the unfused computation does in PyTorch).
 */
public final class Attention {
    private Attention() {}

    public static Var scaledDotProduct(Var q, Var k, Var v, boolean causal, Tensor keyPaddingMask) {
        checkShapes(q, k, v, keyPaddingMask);
        if (q.value().dtype() != DType.F64) {
            // The fused kernel (FlashAttention-2 style, memory linear in T) computes in F32; F64
            // inputs (gradient checks) take the exact reference path below.
            return AttentionOps.scaledDotProductAttention(q, k, v, causal, keyPaddingMask, Double.NaN);
        }
        return reference(q, k, v, causal, keyPaddingMask);
    }

    /**
     * The same attention from differentiable ops, materialising the [Tq, Tk] scores: the reference
     * the fused kernel is tested against, and the path for F64. A row with every key masked gives NaN.
     */
    public static Var reference(Var q, Var k, Var v, boolean causal, Tensor keyPaddingMask) {
        checkShapes(q, k, v, keyPaddingMask);
        int b = q.value().size(0), h = q.value().size(1), tq = q.value().size(2), d = q.value().size(3);
        int hkv = k.value().size(1), tk = k.value().size(2);
        Var kk = repeatKv(k, h / hkv);
        Var vv = repeatKv(v, h / hkv);
        Var scores = q.matmul(kk.transpose(-2, -1)).mul(1 / Math.sqrt(d)); // [B, H, Tq, Tk]
        if (causal) {
            try (dev.kiln.tensor.DeviceScope _ = dev.kiln.tensor.DeviceScope.enter(q.value().device())) {
                scores = scores.maskedFill(causalMask(tq, tk), Double.NEGATIVE_INFINITY);
            }
        }
        if (keyPaddingMask != null) {
            scores = scores.maskedFill(keyPaddingMask.reshape(b, 1, 1, tk), Double.NEGATIVE_INFINITY);
        }
        return scores.softmax(-1).matmul(vv);
    }

    /** BOOL [tq, tk], true above the end-aligned diagonal (the keys query i must not see). */
    public static Tensor causalMask(int tq, int tk) {
        try (Tensor ones = Tensor.ones(DType.BOOL, tq, tk)) {
            return ones.triu(1 + tk - tq);
        }
    }

    /** [B, Hkv, T, D] -> [B, Hkv * rep, T, D], each kv head repeated for the rep query heads that share it. */
    static Var repeatKv(Var x, int rep) {
        if (rep == 1) {
            return x;
        }
        int b = x.value().size(0), hkv = x.value().size(1), t = x.value().size(2), d = x.value().size(3);
        return x.unsqueeze(2).expand(b, hkv, rep, t, d).reshape(b, hkv * rep, t, d);
    }

    private static void checkShapes(Var q, Var k, Var v, Tensor keyPaddingMask) {
        if (q.value().rank() != 4 || k.value().rank() != 4 || v.value().rank() != 4) {
            throw new IllegalArgumentException("attention: q, k, v must be 4-D [B, H, T, D], got " + q.shape() + ", "
                    + k.shape() + ", " + v.shape());
        }
        if (!k.shape().equals(v.shape())) {
            throw new IllegalArgumentException("attention: k and v must have the same shape, got " + k.shape() + " and " + v.shape());
        }
        int b = q.value().size(0), h = q.value().size(1), d = q.value().size(3);
        if (k.value().size(0) != b || k.value().size(3) != d) {
            throw new IllegalArgumentException("attention: k " + k.shape() + " must match q " + q.shape()
                    + " in batch (dim 0) and head size (dim 3)");
        }
        int hkv = k.value().size(1);
        if (hkv < 1 || h % hkv != 0) {
            throw new IllegalArgumentException("attention: the number of query heads (" + h
                    + ") must be a multiple of the number of kv heads (" + hkv + ")");
        }
        if (keyPaddingMask != null && (keyPaddingMask.dtype() != DType.BOOL || keyPaddingMask.rank() != 2
                || keyPaddingMask.size(0) != b || keyPaddingMask.size(1) != k.value().size(2))) {
            throw new IllegalArgumentException("attention: keyPaddingMask must be BOOL [" + b + ", " + k.value().size(2)
                    + "], got " + keyPaddingMask.dtype() + " " + keyPaddingMask.shape());
        }
    }
}
