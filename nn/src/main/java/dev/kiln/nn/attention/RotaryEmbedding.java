package dev.kiln.nn.attention;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;

/**
 * Rotary position embedding (RoPE, Su et al. 2021) in the "rotate half" layout used by GPT-NeoX
 * and Hugging Face's LLaMA: for a head vector x of even size D split into halves (x1, x2),
 * {@code rope(x, p) = x * cos(p * theta) + (-x2, x1) * sin(p * theta)} with frequencies
 * {@code theta_i = base^(-2i / D)} for i &lt; D/2, each used by both halves.
 *
 * <p>The cos/sin tables for positions [0, maxPositions) are computed once in double and stored
 * as F32 constants; {@link #apply} takes a position offset so a KV cache can rotate new tokens
 * at their absolute positions.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int maxPositions;
    private final Tensor cos; // [maxPositions, headDim]
    private final Tensor sin;

    public RotaryEmbedding(int headDim, int maxPositions) {
        this(headDim, maxPositions, 10000.0);
    }

    public RotaryEmbedding(int headDim, int maxPositions, double base) {
        if (headDim < 2 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RotaryEmbedding: headDim must be even and >= 2, got " + headDim);
        }
        if (maxPositions < 1) {
            throw new IllegalArgumentException("RotaryEmbedding: maxPositions must be positive, got " + maxPositions);
        }
        this.headDim = headDim;
        this.maxPositions = maxPositions;
        int half = headDim / 2;
        float[] c = new float[maxPositions * headDim];
        float[] s = new float[maxPositions * headDim];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(base, -2.0 * i / headDim);
                c[p * headDim + i] = c[p * headDim + i + half] = (float) Math.cos(angle);
                s[p * headDim + i] = s[p * headDim + i + half] = (float) Math.sin(angle);
            }
        }
        cos = Tensor.fromArray(c, maxPositions, headDim);
        sin = Tensor.fromArray(s, maxPositions, headDim);
    }

    /** Rotates x [B, H, T, headDim] whose tokens sit at positions [offset, offset + T). */
    public Var apply(Var x, int offset) {
        int rank = x.value().rank();
        if (rank != 4 || x.value().size(3) != headDim) {
            throw new IllegalArgumentException("RotaryEmbedding: input must be [B, H, T, " + headDim + "], got " + x.shape());
        }
        int t = x.value().size(2);
        if (offset < 0 || offset + t > maxPositions) {
            throw new IllegalArgumentException("RotaryEmbedding: positions [" + offset + ", " + (offset + t)
                    + ") exceed the table of " + maxPositions + " positions");
        }
        int half = headDim / 2;
        Var c = Var.constant(cos.narrow(0, offset, t).to(x.value().dtype()));
        Var s = Var.constant(sin.narrow(0, offset, t).to(x.value().dtype()));
        Var x1 = x.narrow(-1, 0, half);
        Var x2 = x.narrow(-1, half, half);
        Var rotated = Var.cat(java.util.List.of(x2.neg(), x1), -1);
        return x.mul(c).add(rotated.mul(s));
    }

    /** A copy of the cosine table, [maxPositions, headDim] row-major: what {@link #apply} multiplies x by. */
    public float[] cosTable() {
        return cos.toFloatArray();
    }

    /** A copy of the sine table, [maxPositions, headDim] row-major: what {@link #apply} multiplies the rotated halves by. */
    public float[] sinTable() {
        return sin.toFloatArray();
    }

    /** The number of positions the tables cover. */
    public int maxPositions() {
        return maxPositions;
    }

    public int headDim() {
        return headDim;
    }
}
