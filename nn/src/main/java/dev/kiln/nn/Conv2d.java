package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * 2-D convolution [N, C, H, W] -> [N, OC, OH, OW] with weight [OC, C/groups, kh, kw] and bias [OC],
 * initialised as torch does (Kaiming-uniform with a = sqrt(5): U(-1/sqrt(fanIn), 1/sqrt(fanIn)),
 * fanIn = C/groups * kh * kw, and the same range for bias).
 */
public final class Conv2d extends UnaryModule {
    public final int inChannels;
    public final int outChannels;
    public final int kernelH;
    public final int kernelW;
    public final int stride;
    public final int padding;
    public final int dilation;
    public final int groups;
    public final Var weight;
    /** Null when constructed without a bias. */
    public final Var bias;
    /** torch's {@code padding='same'} (set only by {@link #same}; {@link #padding} is then 0). */
    private boolean paddingSame;

    /** A square kernel with stride 1, no padding. */
    public Conv2d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, kernel, 1, 0, 1, 1, true, Init.globalGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator g) {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv2d: channels and kernel must be positive, got in=" + inChannels
                    + ", out=" + outChannels + ", kernel=" + kernel);
        }
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: groups (" + groups + ") must divide in_channels (" + inChannels
                    + ") and out_channels (" + outChannels + ")");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelH = kernel;
        this.kernelW = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        Tensor w = Tensor.empty(outChannels, inChannels / groups, kernel, kernel);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        this.weight = registerParameter("weight", w);
        if (bias) {
            double bound = 1 / Math.sqrt(Init.fans(w)[0]);
            this.bias = registerParameter("bias", Init.uniform(Tensor.empty(outChannels), -bound, bound, g));
        } else {
            this.bias = null;
        }
    }

    /** torch's {@code nn.Conv2d(..., padding='same')}: stride 1, the output keeps the input's height and width. */
    public static Conv2d same(int inChannels, int outChannels, int kernel, int dilation, int groups, boolean bias,
                              Generator g) {
        Conv2d c = new Conv2d(inChannels, outChannels, kernel, 1, 0, dilation, groups, bias, g);
        c.paddingSame = true;
        return c;
    }

    /** Whether this convolution pads 'same' (see {@link #same}). */
    public boolean paddingSame() {
        return paddingSame;
    }

    @Override
    public Var forward(Var x) {
        if (paddingSame) {
            return Convolutions.conv2dSame(x, weight, bias, dilation, dilation, groups);
        }
        return Functional.conv2d(x, weight, bias, stride, stride, padding, padding, dilation, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernelH + ", " + kernelW + "), stride=(" + stride
                + ", " + stride + ")" + (paddingSame ? ", padding=same" : "")
                + (padding != 0 ? ", padding=(" + padding + ", " + padding + ")" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ", " + dilation + ")" : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=false" : "");
    }
}
