package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * 2-D convolution (torch's {@code nn.Conv2d}): [N, C, H, W] -> [N, OC, OH, OW], or unbatched
 * [C, H, W] -> [OC, OH, OW], with weight [OC, C/groups, kh, kw] and bias [OC], initialised as torch
 * does (Kaiming-uniform with a = sqrt(5): U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = C/groups * kh * kw,
 * and the same range for bias).
 *
 * <p>Build one with torch's keyword arguments and defaults (stride 1, padding 0, dilation 1,
 * groups 1, bias, zero padding), each either one number for both dims or (h, w):
 * <pre>{@code
 * Conv2d a = Conv2d.builder(3, 16, 3).padding(1).bias(false).build();
 * Conv2d b = Conv2d.builder(3, 16, 3, 5).stride(2, 1).padding(1, 2).dilation(1, 2).build();   // (kh, kw) = (3, 5)
 * Conv2d c = Conv2d.builder(3, 16, 4).padding("same").build();   // "same" needs stride 1
 * }</pre>
 * Without {@link Builder#generator} the weights come from {@link Generator#defaultGenerator()}
 * ({@link Generator#manualSeed} makes them reproducible).
 *
 * <p>{@code padding("same")} pads {@code dilation * (k - 1)} in total per dim, half before and
 * the rest after, as torch does (an even effective kernel puts the extra zero at the bottom/right);
 * {@code padding("valid")} is no padding.
 */
public final class Conv2d extends UnaryModule {
    public final int inChannels;
    public final int outChannels;
    public final int kernelH;
    public final int kernelW;
    public final int strideH;
    public final int strideW;
    /** Zeros on each side of the height; 0 with padding "same" (see {@link #paddingSame()}). */
    public final int padH;
    /** Zeros on each side of the width; 0 with padding "same". */
    public final int padW;
    public final int dilationH;
    public final int dilationW;
    public final int groups;
    public final Var weight;
    /** Null when constructed without a bias. */
    public final Var bias;
    private UnaryModule forwardReplacement;
    /** "same", "valid", or null when the padding was given as numbers (only for printing). */
    private final String paddingMode;

    /** A square kernel with torch's defaults: stride 1, no padding, a bias, the default generator. */
    public Conv2d(int inChannels, int outChannels, int kernel) {
        this(builder(inChannels, outChannels, kernel));
    }

    /** All of torch's positional arguments with square sizes; {@link #builder} reads better. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator g) {
        this(builder(inChannels, outChannels, kernel).stride(stride).padding(padding).dilation(dilation).groups(groups)
                .bias(bias).generator(g));
    }

    /** torch's {@code nn.Conv2d(..., padding='same')}: stride 1, the output keeps the input's height and width. */
    public static Conv2d same(int inChannels, int outChannels, int kernel, int dilation, int groups, boolean bias,
                              Generator g) {
        return builder(inChannels, outChannels, kernel).padding("same").dilation(dilation).groups(groups).bias(bias)
                .generator(g).build();
    }

    /** A builder for a square {@code kernel x kernel} convolution with torch's defaults. */
    public static Builder builder(int inChannels, int outChannels, int kernel) {
        return new Builder(inChannels, outChannels, kernel, kernel);
    }

    /** A builder for a {@code kernelH x kernelW} convolution with torch's defaults. */
    public static Builder builder(int inChannels, int outChannels, int kernelH, int kernelW) {
        return new Builder(inChannels, outChannels, kernelH, kernelW);
    }

    private Conv2d(Builder b) {
        if (b.inChannels < 1 || b.outChannels < 1 || b.kernelH < 1 || b.kernelW < 1) {
            throw new IllegalArgumentException("Conv2d: channels and kernel_size must be positive, got in=" + b.inChannels
                    + ", out=" + b.outChannels + ", kernel_size=(" + b.kernelH + ", " + b.kernelW + ")");
        }
        if (b.groups < 1 || b.inChannels % b.groups != 0 || b.outChannels % b.groups != 0) {
            throw new IllegalArgumentException("Conv2d: groups (" + b.groups + ") must divide in_channels ("
                    + b.inChannels + ") and out_channels (" + b.outChannels + ")");
        }
        if (b.strideH < 1 || b.strideW < 1 || b.dilationH < 1 || b.dilationW < 1 || b.padH < 0 || b.padW < 0) {
            throw new IllegalArgumentException("Conv2d: stride and dilation must be positive and padding non-negative, "
                    + "got stride=(" + b.strideH + ", " + b.strideW + "), padding=(" + b.padH + ", " + b.padW
                    + "), dilation=(" + b.dilationH + ", " + b.dilationW + ")");
        }
        if ("same".equals(b.paddingMode) && (b.strideH != 1 || b.strideW != 1)) {
            throw new IllegalArgumentException("Conv2d: padding='same' is not supported for strided convolutions, got "
                    + "stride=(" + b.strideH + ", " + b.strideW + ")");
        }
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernelH = b.kernelH;
        this.kernelW = b.kernelW;
        this.strideH = b.strideH;
        this.strideW = b.strideW;
        this.padH = b.paddingMode == null ? b.padH : 0;
        this.padW = b.paddingMode == null ? b.padW : 0;
        this.dilationH = b.dilationH;
        this.dilationW = b.dilationW;
        this.groups = b.groups;
        this.paddingMode = b.paddingMode;
        Generator g = b.generator != null ? b.generator : Generator.defaultGenerator();
        Tensor w = Tensor.empty(outChannels, inChannels / groups, kernelH, kernelW);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        this.weight = registerParameter("weight", w);
        if (b.bias) {
            double bound = 1 / Math.sqrt(Init.fans(w)[0]);
            this.bias = registerParameter("bias", Init.uniform(Tensor.empty(outChannels), -bound, bound, g));
        } else {
            this.bias = null;
        }
    }

    /** Whether this convolution pads "same" (the output keeps the input's height and width). */
    public boolean paddingSame() {
        return "same".equals(paddingMode);
    }

    /**
     * Routes {@link #forward} to {@code replacement} (an inference-only layer such as
     * {@code dev.kiln.nn.quant.QuantizedConv2d}, installed by {@code Quantizer.quantize}), or back to
     * this layer's own F32 weights with null. A hook rather than a swap in the parent: models hold
     * their layers in final fields, so a replacement must be reachable through the layer itself.
     */
    public void replaceForward(UnaryModule replacement) {
        this.forwardReplacement = replacement;
    }

    /** The layer {@link #forward} currently delegates to, or null when it runs its own weights. */
    public UnaryModule forwardReplacement() {
        return forwardReplacement;
    }

    /** x [N, C, H, W] -> [N, OC, OH, OW]; unbatched [C, H, W] -> [OC, OH, OW]. */
    @Override
    public Var forward(Var x) {
        if (forwardReplacement != null) {
            return forwardReplacement.forward(x);
        }
        int rank = x.value().rank();
        if ((rank != 3 && rank != 4) || x.value().size(rank - 3) != inChannels) {
            throw new IllegalArgumentException("Conv2d: input must be [N, " + inChannels + ", H, W] or unbatched ["
                    + inChannels + ", H, W], got shape " + x.shape());
        }
        if (rank == 3) {
            return forward(x.unsqueeze(0)).squeeze(0);
        }
        if (paddingSame()) {
            return Convolutions.conv2dSame(x, weight, bias, dilationH, dilationW, groups);
        }
        return Functional.conv2d(x, weight, bias, strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=" + pair(kernelH, kernelW)
                + ", stride=" + pair(strideH, strideW)
                + (paddingMode != null ? ", padding=" + paddingMode
                        : padH != 0 || padW != 0 ? ", padding=" + pair(padH, padW) : "")
                + (dilationH != 1 || dilationW != 1 ? ", dilation=" + pair(dilationH, dilationW) : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=false" : "");
    }

    private static String pair(int h, int w) {
        return "(" + h + ", " + w + ")";
    }

    /**
     * torch's keyword arguments of {@code nn.Conv2d}, with its defaults. Setters taking one number
     * use it for both height and width. Not thread-safe; {@link #build()} may be called again for
     * another layer with the same settings (and fresh weights).
     */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int kernelH;
        private final int kernelW;
        private int strideH = 1;
        private int strideW = 1;
        private int padH;
        private int padW;
        private String paddingMode;
        private int dilationH = 1;
        private int dilationW = 1;
        private int groups = 1;
        private boolean bias = true;
        private Generator generator;

        private Builder(int inChannels, int outChannels, int kernelH, int kernelW) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelH = kernelH;
            this.kernelW = kernelW;
        }

        public Builder stride(int stride) {
            return stride(stride, stride);
        }

        public Builder stride(int strideH, int strideW) {
            this.strideH = strideH;
            this.strideW = strideW;
            return this;
        }

        /** Zeros added on each side of both dims. */
        public Builder padding(int padding) {
            return padding(padding, padding);
        }

        /** {@code padH} zeros above and below, {@code padW} left and right. */
        public Builder padding(int padH, int padW) {
            this.padH = padH;
            this.padW = padW;
            this.paddingMode = null;
            return this;
        }

        /** torch's string padding: {@code "same"} (stride 1 only) or {@code "valid"} (no padding). */
        public Builder padding(String mode) {
            this.paddingMode = Convolutions.paddingMode("Conv2d", mode);
            this.padH = 0;
            this.padW = 0;
            return this;
        }

        public Builder dilation(int dilation) {
            return dilation(dilation, dilation);
        }

        public Builder dilation(int dilationH, int dilationW) {
            this.dilationH = dilationH;
            this.dilationW = dilationW;
            return this;
        }

        public Builder groups(int groups) {
            this.groups = groups;
            return this;
        }

        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** Where the initial weights come from (default: {@link Generator#defaultGenerator()} at build time). */
        public Builder generator(Generator g) {
            if (g == null) {
                throw new IllegalArgumentException("Conv2d.Builder: generator must not be null (leave it unset for the "
                        + "default generator)");
            }
            this.generator = g;
            return this;
        }

        /** A new layer with these settings; throws IllegalArgumentException naming any bad setting. */
        public Conv2d build() {
            return new Conv2d(this);
        }
    }
}
