package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.random.Generator;
import java.util.Arrays;

/**
 * Neural-network functions built from differentiable Var ops (torch's {@code nn.functional}):
 * their gradients come from the ops they are made of, which gradcheck verifies one by one. Layers
 * (modules with parameters) wrap these. Losses are not here: they live in {@code nn.loss.Losses}.
 */
public final class Functional {
    private Functional() {}

    /** {@code x @ weight^T + bias}: x [..., in], weight [out, in], bias [out] or null. */
    public static Var linear(Var x, Var weight, Var bias) {
        if (weight.value().rank() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out, in], got shape " + weight.shape());
        }
        if (x.value().rank() < 1 || x.value().size(-1) != weight.value().size(1)) {
            throw new IllegalArgumentException("linear: input's last dim must be " + weight.value().size(1)
                    + " (weight " + weight.shape() + "), got input shape " + x.shape());
        }
        Var y = x.matmul(weight.transpose(0, 1));
        if (bias != null) {
            bias = AutocastPolicy.cast("linear", bias); // under autocast the whole affine map runs in half precision
            if (bias.value().rank() != 1 || bias.value().size(0) != weight.value().size(0)) {
                throw new IllegalArgumentException("linear: bias must be [" + weight.value().size(0) + "], got shape "
                        + bias.shape());
            }
            y = y.add(bias);
        }
        return y;
    }

    /**
     * Layer normalization over the last {@code normalizedDims} dims: {@code (x - mean) / sqrt(var + eps)}
     * with the population variance, then {@code * weight + bias} when they are not null (each of the
     * normalized shape).
     */
    public static Var layerNorm(Var x, int normalizedDims, Var weight, Var bias, double eps) {
        int rank = x.value().rank();
        if (normalizedDims < 1 || normalizedDims > rank) {
            throw new IllegalArgumentException("layerNorm: normalizedDims must be in [1, " + rank + "] for input shape "
                    + x.shape() + ", got " + normalizedDims);
        }
        int[] dims = new int[normalizedDims];
        for (int i = 0; i < normalizedDims; i++) {
            dims[i] = rank - normalizedDims + i;
        }
        int[] normShape = Arrays.copyOfRange(x.value().shape().toArray(), rank - normalizedDims, rank);
        for (Var p : new Var[] {weight, bias}) {
            if (p != null && !Arrays.equals(p.value().shape().toArray(), normShape)) {
                throw new IllegalArgumentException("layerNorm: weight and bias must have the normalized shape "
                        + Arrays.toString(normShape) + ", got " + p.shape());
            }
        }
        x = AutocastPolicy.cast("layerNorm", x); // statistics over many elements: F32 under autocast
        if (x.value().dtype() == dev.kiln.tensor.DType.F32 && sameDtype(weight, x) && sameDtype(bias, x)) {
            // The fused kernel: one pass for the statistics, one for the output, and a fused backward.
            return NormOps.layerNorm(x, normalizedDims, weight, bias, eps);
        }
        // Exact composite form (F64 gradient checks, other dtypes).
        Var centered = x.sub(x.mean(dims, true));
        Var y = centered.mul(x.var(dims, 0, true).add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        if (bias != null) {
            y = y.add(bias);
        }
        return y;
    }

    private static boolean sameDtype(Var p, Var x) {
        return p == null || p.value().dtype() == x.value().dtype();
    }

    /** Output positions per image below which conv2d runs one GEMM over the whole batch. */
    private static final long SINGLE_GEMM_MAX_L = 4096;

    /** 2-D convolution with a square stride and zero padding, no dilation, one group. */
    public static Var conv2d(Var x, Var weight, Var bias, int stride, int padding) {
        return conv2d(x, weight, bias, stride, stride, padding, padding, 1, 1, 1);
    }

    /**
     * 2-D convolution (cross-correlation, as in torch): x [N, C, H, W], weight [OC, C/groups, kh, kw],
     * bias [OC] or null -> [N, OC, OH, OW]. Computed as im2col then one (batched) matrix product.
     */
    public static Var conv2d(Var x, Var weight, Var bias, int strideH, int strideW, int padH, int padW,
                             int dilationH, int dilationW, int groups) {
        x = AutocastPolicy.cast("conv2d", x); // im2col in half precision too: the columns are the big saved tensor
        Tensor xv = x.value();
        Tensor wv = weight.value();
        if (xv.rank() != 4) {
            throw new IllegalArgumentException("conv2d: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        if (wv.rank() != 4) {
            throw new IllegalArgumentException("conv2d: weight must be 4-D [OC, C/groups, kh, kw], got shape " + weight.shape());
        }
        if (groups < 1 || xv.size(1) % groups != 0 || wv.size(0) % groups != 0) {
            throw new IllegalArgumentException("conv2d: groups (" + groups + ") must divide the input channels ("
                    + xv.size(1) + ") and the output channels (" + wv.size(0) + ")");
        }
        if (wv.size(1) * groups != xv.size(1)) {
            throw new IllegalArgumentException("conv2d: weight " + weight.shape() + " expects " + wv.size(1) * groups
                    + " input channels with groups=" + groups + ", got input shape " + x.shape());
        }
        int outChannels = wv.size(0);
        if (bias != null && (bias.value().rank() != 1 || bias.value().size(0) != outChannels)) {
            throw new IllegalArgumentException("conv2d: bias must be [" + outChannels + "], got shape " + bias.shape());
        }
        Window2d win = new Window2d(wv.size(2), wv.size(3), strideH, strideW, padH, padW, dilationH, dilationW);
        int n = xv.size(0);
        int oh = win.outH(xv.size(2));
        int ow = win.outW(xv.size(3));
        int k = wv.size(1) * win.taps();
        Var y;
        if (groups == 1 && n > 1 && (long) oh * ow < SINGLE_GEMM_MAX_L) {
            // Small images: one [OC, K] @ [K, N*L] product instead of N small ones, each of which
            // would re-pack the shared weight (measured by `kiln bench conv`/`train`). The columns
            // are written in that layout directly (no [N, K, L] -> [K, N, L] copy either way).
            Var wide = x.im2colWide(win);
            y = weight.reshape(outChannels, k).matmul(wide).reshape(outChannels, n, oh * ow).permute(1, 0, 2);
        } else if (groups == 1) {
            Var cols = x.im2col(win, 0); // [N, C*kh*kw, L]
            y = weight.reshape(outChannels, k).matmul(cols); // [OC, K] @ [N, K, L] -> [N, OC, L]
        } else {
            Var cols = x.im2col(win, 0);
            Var wg = weight.reshape(groups, outChannels / groups, k);
            y = wg.matmul(cols.reshape(n, groups, k, oh * ow)); // [G, OCg, K] @ [N, G, K, L] -> [N, G, OCg, L]
        }
        y = y.reshape(n, outChannels, oh, ow);
        if (bias != null) {
            bias = AutocastPolicy.cast("conv2d", bias);
            y = y.add(bias.reshape(1, outChannels, 1, 1));
        }
        return y;
    }

    /**
     * The elementwise half of an LSTM step: gate pre-activations [N, 4H] (x·W_ih^T + h·W_hh^T +
     * biases, torch's gate order i, f, g, o) and the cell state c [N, H] give {h', c'}. F32 runs one
     * fused kernel each way; other dtypes (F64 gradient checks, half) are composed from primitives.
     */
    public static Var[] lstmCell(Var gates, Var c) {
        Tensor a = gates.value();
        Tensor cv = c.value();
        if (a.rank() != 2 || cv.rank() != 2 || a.size(0) != cv.size(0) || a.size(1) != 4 * cv.size(1)) {
            throw new IllegalArgumentException("lstmCell: expected gates [N, 4H] and c [N, H], got " + gates.shape() + " and "
                    + c.shape());
        }
        int h = cv.size(1);
        if (a.dtype() == DType.F32 && cv.dtype() == DType.F32) {
            Var hc = RecurrentOps.lstmCell(gates, c);
            return new Var[] {hc.narrow(1, 0, h), hc.narrow(1, h, h)};
        }
        java.util.List<Var> parts = gates.chunk(4, -1);
        Var i = parts.get(0).sigmoid();
        Var f = parts.get(1).sigmoid();
        Var g = parts.get(2).tanh();
        Var o = parts.get(3).sigmoid();
        Var c2 = f.mul(c).add(i.mul(g));
        return new Var[] {o.mul(c2.tanh()), c2};
    }

    /** Max pooling over square windows (padding reads -inf; the gradient goes to the first maximum). */
    public static Var maxPool2d(Var x, int kernel, int stride, int padding) {
        Window2d win = Window2d.of(kernel, stride, padding);
        if (padding * 2 > kernel) {
            throw new IllegalArgumentException("maxPool2d: padding (" + padding + ") must be at most half the kernel size ("
                    + kernel + ")");
        }
        if (x.value().rank() != 4) {
            throw new IllegalArgumentException("maxPool2d: input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        return WindowOps.maxPool2d(x, win);
    }

    /** Average pooling over square windows; padding counts as zeros (torch's count_include_pad=True). */
    public static Var avgPool2d(Var x, int kernel, int stride, int padding) {
        Window2d win = Window2d.of(kernel, stride, padding);
        if (padding * 2 > kernel) {
            throw new IllegalArgumentException("avgPool2d: padding (" + padding + ") must be at most half the kernel size ("
                    + kernel + ")");
        }
        Var cols = poolPlanes("avgPool2d", x).im2col(win, 0);
        return cols.mean(new int[] {1}, false)
                .reshape(x.value().size(0), x.value().size(1), win.outH(x.value().size(2)), win.outW(x.value().size(3)));
    }

    /** [N, C, H, W] as N*C single-channel images, so pooling windows stay within one channel. */
    private static Var poolPlanes(String op, Var x) {
        if (x.value().rank() != 4) {
            throw new IllegalArgumentException(op + ": input must be 4-D [N, C, H, W], got shape " + x.shape());
        }
        Tensor v = x.value();
        return x.reshape(v.size(0) * v.size(1), 1, v.size(2), v.size(3));
    }

    /**
     * Inverted dropout: in training, zeroes each element with probability {@code p} and scales the
     * rest by {@code 1 / (1 - p)}, so evaluation needs no rescaling; returns x unchanged when not training.
     */
    public static Var dropout(Var x, double p, boolean training, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1], got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0.0);
        }
        Tensor keep;
        try (DeviceScope _ = DeviceScope.enter(x.value().device())) {
            keep = Tensor.rand(generator, x.value().shape().toArray()).gt(p).to(x.value().dtype()).mul(1.0 / (1 - p));
        }
        return x.mul(Var.constant(keep));
    }
}
