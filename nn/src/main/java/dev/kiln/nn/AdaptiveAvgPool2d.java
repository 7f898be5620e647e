package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;

/**
 * Adaptive average pooling [N, C, H, W] -> [N, C, outH, outW] (torch's {@code nn.AdaptiveAvgPool2d}):
 * output cell (i, j) averages rows {@code floor(i*H/outH) .. ceil((i+1)*H/outH) - 1} and the
 * columns given by the same rule over W. Windows may overlap or differ in size.
 *
 * <p>A rectangular window's mean is the mean over its rows of the mean over its columns, so the
 * pooling is two matrix products, {@code P_h @ x @ P_w^T}, with P [out, in] holding {@code 1/size}
 * over each window: two ops whose gradients come from matmul, instead of one op per output cell.
 */
public final class AdaptiveAvgPool2d extends UnaryModule {
    public final int outH;
    public final int outW;

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** A square output. */
    public AdaptiveAvgPool2d(int outSize) {
        this(outSize, outSize);
    }

    @Override
    public Var forward(Var x) {
        return adaptiveAvgPool2d(x, outH, outW);
    }

    /** The function behind the module (see the class comment). */
    public static Var adaptiveAvgPool2d(Var x, int outH, int outW) {
        Tensor v = x.value();
        if (v.rank() != 4) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        int h = v.size(2);
        int w = v.size(3);
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: input height and width must be positive, got shape "
                    + x.shape());
        }
        Var ph;
        Var pwT;
        try (dev.kiln.tensor.DeviceScope _ = dev.kiln.tensor.DeviceScope.enter(v.device())) {
            ph = Var.constant(windows(outH, h).to(v.dtype())); // [outH, H]
            pwT = Var.constant(windows(outW, w).to(v.dtype()).transpose(0, 1)); // [W, outW]
        }
        return ph.matmul(x.matmul(pwT)); // [outH, H] @ [N, C, H, outW] -> [N, C, outH, outW]
    }

    /** [out, in]: row i holds 1/size over torch's window i, zero elsewhere. */
    static Tensor windows(int out, int in) {
        double[] m = new double[out * in];
        for (int i = 0; i < out; i++) {
            int start = Math.floorDiv(i * in, out);
            int end = -Math.floorDiv(-(i + 1) * in, out); // ceil((i+1)*in/out)
            for (int k = start; k < end; k++) {
                m[i * in + k] = 1.0 / (end - start);
            }
        }
        return Tensor.fromArray(m, dev.kiln.tensor.DType.F64, out, in);
    }

    @Override
    protected String extraRepr() {
        return "output_size=(" + outH + ", " + outW + ")";
    }
}
