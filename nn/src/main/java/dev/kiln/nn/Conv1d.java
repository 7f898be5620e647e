package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * 1-D convolution (torch's {@code nn.Conv1d}): [N, C, L] -> [N, OC, OL], or unbatched [C, L] ->
 * [OC, OL], with weight [OC, C/groups, k] and bias [OC], same parameter names and initialisation
 * (Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = C/groups * k,
 * and the same range for bias).
 *
 * <p>{@link #builder} takes torch's keyword arguments with its defaults (stride 1, padding 0,
 * dilation 1, groups 1, bias, zero padding): {@code Conv1d.builder(8, 16, 5).padding("same").build()}.
 * Padding is a number of zeros on each side, {@code "valid"} (none) or {@code "same"}, which keeps
 * the length (stride 1 only; an even {@code dilation * (k - 1)} splits evenly, an odd one puts the
 * extra zero after). Without a generator the weights come from {@link Generator#defaultGenerator()}.
 */
public final class Conv1d extends UnaryModule {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    /** Zeros added on each side; 0 when {@link #paddingSame}. */
    public final int padding;
    /** torch's {@code padding='same'}: the output keeps the input's length. */
    public final boolean paddingSame;
    public final int dilation;
    public final int groups;
    public final Var weight;
    /** Null when constructed without a bias. */
    public final Var bias;
    /** "same", "valid", or null when the padding was given as a number (only for printing). */
    private final String paddingMode;

    /** Stride 1, no padding, no dilation, one group, with a bias, weights from the default generator. */
    public Conv1d(int inChannels, int outChannels, int kernel) {
        this(builder(inChannels, outChannels, kernel));
    }

    /** All of torch's positional arguments; {@link #builder} reads better. */
    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator g) {
        this(builder(inChannels, outChannels, kernel).stride(stride).padding(padding).dilation(dilation).groups(groups)
                .bias(bias).generator(g));
    }

    /** torch's {@code nn.Conv1d(..., padding='same')}: stride 1, output length = input length. */
    public static Conv1d same(int inChannels, int outChannels, int kernel, int dilation, int groups, boolean bias,
                              Generator g) {
        return builder(inChannels, outChannels, kernel).padding("same").dilation(dilation).groups(groups).bias(bias)
                .generator(g).build();
    }

    /** A builder with torch's defaults. */
    public static Builder builder(int inChannels, int outChannels, int kernel) {
        return new Builder(inChannels, outChannels, kernel);
    }

    private Conv1d(Builder b) {
        if (b.inChannels < 1 || b.outChannels < 1 || b.kernel < 1) {
            throw new IllegalArgumentException("Conv1d: channels and kernel must be positive, got in=" + b.inChannels
                    + ", out=" + b.outChannels + ", kernel=" + b.kernel);
        }
        if (b.groups < 1 || b.inChannels % b.groups != 0 || b.outChannels % b.groups != 0) {
            throw new IllegalArgumentException("Conv1d: groups (" + b.groups + ") must divide in_channels ("
                    + b.inChannels + ") and out_channels (" + b.outChannels + ")");
        }
        if (b.stride < 1 || b.padding < 0 || b.dilation < 1) {
            throw new IllegalArgumentException("Conv1d: stride and dilation must be positive and padding non-negative, got "
                    + "stride=" + b.stride + ", padding=" + b.padding + ", dilation=" + b.dilation);
        }
        if ("same".equals(b.paddingMode) && b.stride != 1) {
            throw new IllegalArgumentException("Conv1d: padding='same' is not supported for strided convolutions, got "
                    + "stride=" + b.stride);
        }
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernel = b.kernel;
        this.stride = b.stride;
        this.padding = b.paddingMode == null ? b.padding : 0;
        this.paddingMode = b.paddingMode;
        this.paddingSame = "same".equals(b.paddingMode);
        this.dilation = b.dilation;
        this.groups = b.groups;
        Generator g = b.generator != null ? b.generator : Generator.defaultGenerator();
        Tensor w = Tensor.empty(outChannels, inChannels / groups, kernel);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        this.weight = registerParameter("weight", w);
        if (b.bias) {
            double bound = 1 / Math.sqrt(Init.fans(w)[0]);
            this.bias = registerParameter("bias", Init.uniform(Tensor.empty(outChannels), -bound, bound, g));
        } else {
            this.bias = null;
        }
    }

    /** x [N, C, L] -> [N, OC, OL]; unbatched [C, L] -> [OC, OL]. */
    @Override
    public Var forward(Var x) {
        int rank = x.value().rank();
        if ((rank != 2 && rank != 3) || x.value().size(rank - 2) != inChannels) {
            throw new IllegalArgumentException("Conv1d: input must be [N, " + inChannels + ", L] or unbatched ["
                    + inChannels + ", L], got shape " + x.shape());
        }
        if (rank == 2) {
            return forward(x.unsqueeze(0)).squeeze(0);
        }
        return paddingSame
                ? Convolutions.conv1dSame(x, weight, bias, dilation, groups)
                : Convolutions.conv1d(x, weight, bias, stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ",), stride=(" + stride + ",)"
                + (paddingMode != null ? ", padding=" + paddingMode : padding != 0 ? ", padding=(" + padding + ",)" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ",)" : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=false" : "");
    }

    /**
     * torch's keyword arguments of {@code nn.Conv1d}, with its defaults. Not thread-safe;
     * {@link #build()} may be called again for another layer with the same settings.
     */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int kernel;
        private int stride = 1;
        private int padding;
        private String paddingMode;
        private int dilation = 1;
        private int groups = 1;
        private boolean bias = true;
        private Generator generator;

        private Builder(int inChannels, int outChannels, int kernel) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernel = kernel;
        }

        public Builder stride(int stride) {
            this.stride = stride;
            return this;
        }

        /** Zeros added on each side. */
        public Builder padding(int padding) {
            this.padding = padding;
            this.paddingMode = null;
            return this;
        }

        /** torch's string padding: {@code "same"} (stride 1 only) or {@code "valid"} (no padding). */
        public Builder padding(String mode) {
            this.paddingMode = Convolutions.paddingMode("Conv1d", mode);
            this.padding = 0;
            return this;
        }

        public Builder dilation(int dilation) {
            this.dilation = dilation;
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
                throw new IllegalArgumentException("Conv1d.Builder: generator must not be null (leave it unset for the "
                        + "default generator)");
            }
            this.generator = g;
            return this;
        }

        /** A new layer with these settings; throws IllegalArgumentException naming any bad setting. */
        public Conv1d build() {
            return new Conv1d(this);
        }
    }
}
