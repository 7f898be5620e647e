package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * Constant padding (torch's {@code F.pad(x, (left, right, top, bottom), value=v)}), forward and
 * backward side by side. Convolution pads symmetrically inside im2col; this op exists for the
 * asymmetric case, e.g. {@code padding='same'} with an even receptive field.
 */
public final class PaddingOps {
    private PaddingOps() {}

    /**
     * Pads the last two dims of {@code x} [..., H, W] with {@code value}: {@code left}/{@code right}
     * columns and {@code top}/{@code bottom} rows, giving [..., top+H+bottom, left+W+right].
     * Every amount must be non-negative. Backward narrows the gradient back to the input window.
     */
    // x [..., H, W] -> out [..., top+H+bottom, left+W+right]; dx = g[..., top:top+H, left:left+W]
    public static Var pad2d(Var x, int left, int right, int top, int bottom, double value) {
        Tensor v = x.value();
        if (v.rank() < 2) {
            throw new IllegalArgumentException("pad2d: input must have at least 2 dims [..., H, W], got shape " + x.shape());
        }
        if (left < 0 || right < 0 || top < 0 || bottom < 0) {
            throw new IllegalArgumentException("pad2d: padding must be non-negative, got (left=" + left + ", right=" + right
                    + ", top=" + top + ", bottom=" + bottom + ")");
        }
        int rank = v.rank();
        int h = v.size(rank - 2);
        int w = v.size(rank - 1);
        int[] shape = v.shape().toArray();
        shape[rank - 2] = top + h + bottom;
        shape[rank - 1] = left + w + right;
        Tensor out = v.newFull(value, v.dtype(), shape);
        try (Tensor window = out.narrow(rank - 2, top, h).narrow(rank - 1, left, w)) {
            window.copyFrom(v);
        }
        return Var.op("pad2d", out, g -> new Tensor[] {g.narrow(rank - 2, top, h).narrow(rank - 1, left, w)}, x);
    }
}
