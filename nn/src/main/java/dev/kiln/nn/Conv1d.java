package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * 1-D convolution [N, C, L] -> [N, OC, OL] with weight [OC, C/groups, k] and bias [OC] (torch's
 * {@code nn.Conv1d}, same parameter names and initialisation: Kaiming-uniform with a = sqrt(5),
 * i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = C/groups * k, and the same range for bias).
 * Padding is a number of zeros on each side, or {@code 'same'} ({@link #same}), which keeps the
 * length (stride 1 only).
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

    /** Stride 1, no padding, no dilation, one group, with a bias. */
    public Conv1d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, kernel, 1, 0, 1, 1, true, Init.globalGenerator());
    }

    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator g) {
        this(inChannels, outChannels, kernel, stride, padding, false, dilation, groups, bias, g);
    }

    /** torch's {@code nn.Conv1d(..., padding='same')}: stride 1, output length = input length. */
    public static Conv1d same(int inChannels, int outChannels, int kernel, int dilation, int groups, boolean bias,
                              Generator g) {
        return new Conv1d(inChannels, outChannels, kernel, 1, 0, true, dilation, groups, bias, g);
    }

    private Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean same, int dilation,
                   int groups, boolean bias, Generator g) {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv1d: channels and kernel must be positive, got in=" + inChannels
                    + ", out=" + outChannels + ", kernel=" + kernel);
        }
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv1d: groups (" + groups + ") must divide in_channels (" + inChannels
                    + ") and out_channels (" + outChannels + ")");
        }
        if (stride < 1 || padding < 0 || dilation < 1) {
            throw new IllegalArgumentException("Conv1d: stride and dilation must be positive and padding non-negative, got "
                    + "stride=" + stride + ", padding=" + padding + ", dilation=" + dilation);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.paddingSame = same;
        this.dilation = dilation;
        this.groups = groups;
        Tensor w = Tensor.empty(outChannels, inChannels / groups, kernel);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        this.weight = registerParameter("weight", w);
        if (bias) {
            double bound = 1 / Math.sqrt(Init.fans(w)[0]);
            this.bias = registerParameter("bias", Init.uniform(Tensor.empty(outChannels), -bound, bound, g));
        } else {
            this.bias = null;
        }
    }

    @Override
    public Var forward(Var x) {
        if (x.value().rank() != 3 || x.value().size(1) != inChannels) {
            throw new IllegalArgumentException("Conv1d: input must be [N, " + inChannels + ", L], got shape " + x.shape());
        }
        return paddingSame
                ? Convolutions.conv1dSame(x, weight, bias, dilation, groups)
                : Convolutions.conv1d(x, weight, bias, stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ",), stride=(" + stride + ",)"
                + (paddingSame ? ", padding=same" : padding != 0 ? ", padding=(" + padding + ",)" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ",)" : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=false" : "");
    }
}
