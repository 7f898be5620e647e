package dev.kiln.nn.quant;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.UnaryModule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Quantization;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.Window2d;

/**
 * 2-D convolution with int8 weights: [N, C, H, W] (or unbatched [C, H, W]) F32 -> [N, OC, OH, OW].
 * The input is unfolded (im2col) into one row of C·kh·kw taps per output position, each row is
 * quantized with its own scale, and the rows go through the int8 GEMM against the weight
 * [OC, C·kh·kw] (one scale per output channel). groups = 1 and symmetric zero padding only
 * ({@link Quantizer} leaves other convolutions in F32). Inference only. Buffers, as saved:
 * {@code weight} (I8 [OC, C, kh, kw]), {@code weight_scale} (F32 [OC]), {@code bias} (F32 [OC]),
 * and for static activations {@code input_scale} (F32 [1]): every unfolded row then uses that
 * calibrated scale instead of its own. Immutable once built; forward may run on several threads.
 */
public final class QuantizedConv2d extends UnaryModule {
    public final int inChannels;
    public final int outChannels;
    private final Window2d window;
    private final Tensor weight;
    private final Tensor weightScale;
    private final Tensor bias;
    /** The static activation scale, or -1 for dynamic per-row scales. */
    private final float inputScale;

    /** From quantized parts: weight I8 [OC, C, kh, kw], weightScale F32 [OC], bias F32 [OC] or null; window's kernel must match. */
    public QuantizedConv2d(Tensor weight, Tensor weightScale, Tensor bias, Window2d window) {
        this(weight, weightScale, bias, window, null);
    }

    /**
     * As {@link #QuantizedConv2d(Tensor, Tensor, Tensor, Window2d)}, with static activations when
     * {@code inputScale} (F32 [1], finite, ≥ 0) is not null.
     *
     * @throws IllegalArgumentException on a tensor of the wrong dtype or shape, or a window that does not fit
     */
    public QuantizedConv2d(Tensor weight, Tensor weightScale, Tensor bias, Window2d window, Tensor inputScale) {
        if (weight == null || weight.dtype() != DType.I8 || weight.rank() != 4) {
            throw new IllegalArgumentException("QuantizedConv2d: weight must be I8 [OC, C, kh, kw], got "
                    + (weight == null ? "null" : weight.dtype() + " " + weight.shape()));
        }
        if (window == null || window.kernelH() != weight.size(2) || window.kernelW() != weight.size(3)) {
            throw new IllegalArgumentException("QuantizedConv2d: window " + window + " does not match the kernel "
                    + weight.size(2) + "x" + weight.size(3) + " of weight " + weight.shape());
        }
        this.outChannels = weight.size(0);
        this.inChannels = weight.size(1);
        QuantizedLinear.checkVector("weightScale", weightScale, outChannels);
        if (bias != null) {
            QuantizedLinear.checkVector("bias", bias, outChannels);
        }
        this.window = window;
        this.weight = registerBuffer("weight", weight);
        this.weightScale = registerBuffer("weight_scale", weightScale);
        this.bias = bias == null ? null : registerBuffer("bias", bias);
        this.inputScale = inputScale == null ? -1f : QuantizedLinear.scalarScale(registerBuffer("input_scale", inputScale));
    }

    /** Whether activations use a fixed calibrated scale (static) rather than one per row (dynamic). */
    public boolean isStatic() {
        return inputScale >= 0f;
    }

    /** The static activation scale; -1 when dynamic. */
    public float inputScale() {
        return inputScale;
    }

    /** Whether {@code conv} can run in int8 here: one group, and padding the same on both sides. */
    public static boolean supports(Conv2d conv) {
        return conv.groups == 1 && (!conv.paddingSame() || (conv.dilationH * (conv.kernelH - 1) % 2 == 0
                && conv.dilationW * (conv.kernelW - 1) % 2 == 0));
    }

    /** The window {@code conv} slides (for "same" padding with an odd effective kernel, half of it per side). */
    public static Window2d windowOf(Conv2d conv) {
        int padH = conv.paddingSame() ? conv.dilationH * (conv.kernelH - 1) / 2 : conv.padH;
        int padW = conv.paddingSame() ? conv.dilationW * (conv.kernelW - 1) / 2 : conv.padW;
        return new Window2d(conv.kernelH, conv.kernelW, conv.strideH, conv.strideW, padH, padW, conv.dilationH,
                conv.dilationW);
    }

    /** Quantizes {@code conv}'s weight per output channel. */
    public static QuantizedConv2d from(Conv2d conv) {
        return from(conv, -1f);
    }

    /** Quantizes {@code conv}'s weight per output channel; {@code inputScale} ≥ 0 makes activations static, < 0 dynamic. */
    public static QuantizedConv2d from(Conv2d conv, float inputScale) {
        if (!supports(conv)) {
            throw new IllegalArgumentException("QuantizedConv2d: only groups=1 with symmetric padding, got " + conv);
        }
        Tensor w = conv.weight.value();
        try (Tensor rows = w.reshape(w.size(0), -1); Quantization.Int8Rows q = Quantization.quantizeRows(rows);
             Tensor values = q.values().reshape(w.shape().toArray())) {
            return new QuantizedConv2d(values.copy(), q.scales().copy(),
                    conv.bias == null ? null : conv.bias.value().copy(), windowOf(conv),
                    inputScale < 0f ? null : Tensor.fromArray(new float[] {inputScale}, 1));
        }
    }

    @Override
    public Var forward(Var x) {
        Tensor v = x.value();
        int rank = v.rank();
        if ((rank != 3 && rank != 4) || v.size(rank - 3) != inChannels) {
            throw new IllegalArgumentException("QuantizedConv2d: input must be [N, " + inChannels + ", H, W] or unbatched ["
                    + inChannels + ", H, W], got shape " + v.shape());
        }
        if (rank == 3) {
            try (Tensor batched = v.unsqueeze(0); Tensor y = convolve(batched)) {
                return Var.constant(y.squeeze(0));
            }
        }
        return Var.constant(convolve(v));
    }

    // x [N, C, H, W] -> cols [N, K, L] -> rows [N·L, K] -> int8 GEMM [N·L, OC] -> [N, OC, OH, OW].
    private Tensor convolve(Tensor x) {
        int n = x.size(0);
        int oh = window.outH(x.size(2));
        int ow = window.outW(x.size(3));
        int taps = inChannels * window.taps();
        try (Tensor cols = x.im2col(window, 0); Tensor perPosition = cols.permute(0, 2, 1);
             Tensor rows = perPosition.contiguous(); Tensor flat = rows.reshape(n * oh * ow, taps);
             Tensor w = weight.reshape(outChannels, taps);
             Tensor y = isStatic() ? Quantization.int8LinearStatic(flat, inputScale, w, weightScale, bias)
                     : Quantization.int8Linear(flat, w, weightScale, bias);
             Tensor nlc = y.reshape(n, oh * ow, outChannels); Tensor ncl = nlc.permute(0, 2, 1);
             Tensor out = ncl.contiguous()) {
            return out.reshape(n, outChannels, oh, ow);
        }
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + window.kernelH() + ", " + window.kernelW()
                + "), stride=(" + window.strideH() + ", " + window.strideW() + "), padding=(" + window.padH() + ", "
                + window.padW() + "), bias=" + (bias != null) + ", dtype=I8" + (isStatic() ? ", input_scale=" + inputScale : "");
    }
}
