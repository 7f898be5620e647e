package dev.kiln.onnx;

import static dev.kiln.onnx.OnnxGraph.attr;

import dev.kiln.nn.Activation;
import dev.kiln.nn.BatchNorm;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Pool2d;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.UnaryModule;
import dev.kiln.nn.recurrent.GRU;
import dev.kiln.nn.recurrent.LSTM;
import dev.kiln.nn.recurrent.RecurrentLayer;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorProto;

/**
 * Kiln modules as ONNX nodes (opset 17), in inference mode: dropout is the identity and batch norm
 * uses its running statistics, as {@code torch.onnx.export} of a model in {@code eval()} does. Each
 * rule appends the nodes of one module to an {@link OnnxGraph} and returns the name of its output;
 * a module with no rule is an {@link IllegalArgumentException} naming it. Stateless and
 * thread-safe; the modules are only read.
 *
 * <p>Supported here, inside any {@link Sequential}: {@link Linear}, {@link Conv2d} (stride,
 * padding incl. 'same', dilation, groups), {@link Pool2d} (max, average), {@link Activation} (ReLU,
 * Tanh, Sigmoid, SiLU, GELU exact and tanh, Softmax, LogSoftmax), {@link BatchNorm}, {@link
 * LayerNorm}, {@link Dropout}, {@link Flatten} (start dim 1), {@link LSTM} and {@link GRU}
 * (stacked, batch-first or time-major, uni- or bidirectional, with or without biases). Whole
 * models: kiln train cnn's ConvNet and, through {@code forecasterOnnx} in kiln-apps, the rnn
 * forecaster; {@link OnnxTransformerExport} has {@code TransformerClassifier} and {@code Gpt}.
 * Not supported: RMSNorm, Conv1d, AdaptiveAvgPool2d, unbatched recurrent input, a {@link Linear}
 * whose forward was replaced (kiln quantize's int8 layers).
 */
public final class OnnxExport {
    private OnnxExport() {}

    /**
     * A whole model {@code input → module → output}: input "input" and output "output", both F32,
     * with dims given as {@link Integer}s (fixed) or {@link String}s (symbolic, e.g. {@code "batch"}).
     */
    public static ModelProto model(String name, UnaryModule module, Map<String, String> metadata, Object[] inputDims,
                                   Object[] outputDims) {
        OnnxGraph g = new OnnxGraph(name);
        String x = g.input("input", TensorProto.DataType.FLOAT, inputDims);
        g.output(module(g, module, x), "output", TensorProto.DataType.FLOAT, outputDims);
        return g.toModel(metadata);
    }

    /** Appends {@code m} applied to {@code x}; returns the output's name. */
    public static String module(OnnxGraph g, UnaryModule m, String x) {
        return switch (m) {
            case Sequential s -> {
                String y = x;
                for (int i = 0; i < s.size(); i++) {
                    y = module(g, s.get(i), y);
                }
                yield y;
            }
            case Linear l -> linear(g, l, x);
            case Conv2d c -> conv2d(g, c, x);
            case Pool2d p -> pool2d(g, p, x);
            case Activation a -> activation(g, a, x);
            case Flatten f -> flatten(g, f, x);
            case Dropout _ -> x; // the identity at inference
            case BatchNorm b -> batchNorm(g, b, x);
            case LayerNorm n -> layerNorm(g, n, x);
            case LSTM r -> recurrent(g, r, x);
            case GRU r -> recurrent(g, r, x);
            default -> throw new IllegalArgumentException("ONNX export: no rule for module " + m.getClass().getSimpleName()
                    + " (" + m + ")");
        };
    }

    /** y = x W^T + b for x [..., in]: MatMul with the transposed weight [in, out], so any leading dims work. */
    public static String linear(OnnxGraph g, Linear l, String x) {
        if (l.forwardReplacement() != null) { // its F32 weights are stale: forward runs the replacement (e.g. int8)
            throw new IllegalArgumentException("ONNX export: no rule for a Linear whose forward is replaced by "
                    + l.forwardReplacement().getClass().getSimpleName() + " (" + l + ")");
        }
        return linear(g, l.weight.value(), l.bias == null ? null : l.bias.value(), x);
    }

    /** {@code x weight^T + bias} for a weight [out, in] and a bias [out] (or null), as {@link #linear(OnnxGraph, Linear, String)}. */
    public static String linear(OnnxGraph g, Tensor weight, Tensor bias, String x) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("ONNX export: a linear weight must be [out, in], got " + weight.shape());
        }
        float[] w = weight.toFloatArray();
        int out = weight.size(0);
        int in = weight.size(1);
        float[] wt = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        String y = g.node("MatMul", List.of(x, g.initializer("linear_weight_t", wt, in, out)));
        return bias == null ? y : g.node("Add", List.of(y, g.initializer("linear_bias", bias)));
    }

    /** LayerNormalization (opset 17) over the trailing normalized dims; no affine means scale 1 and shift 0. */
    public static String layerNorm(OnnxGraph g, LayerNorm n, String x) {
        int[] shape = n.normalizedShape();
        int numel = java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] ones = new float[numel];
        java.util.Arrays.fill(ones, 1f);
        String scale = n.weight == null ? g.initializer("ln_scale", ones, shape) : g.initializer("ln_scale", n.weight.value());
        String shift = n.bias == null ? g.initializer("ln_shift", new float[numel], shape) : g.initializer("ln_shift", n.bias.value());
        return g.node("LayerNormalization", List.of(x, scale, shift), attr("axis", (long) -shape.length),
                attr("epsilon", (float) n.eps()));
    }

    /** Conv with torch's padding; padding='same' becomes explicit pads, the odd element after (as torch pads). */
    public static String conv2d(OnnxGraph g, Conv2d c, String x) {
        long top = c.padH;
        long left = c.padW;
        long bottom = c.padH;
        long right = c.padW;
        if (c.paddingSame()) {
            long totalH = (long) c.dilationH * (c.kernelH - 1);
            long totalW = (long) c.dilationW * (c.kernelW - 1);
            top = totalH / 2;
            bottom = totalH - top;
            left = totalW / 2;
            right = totalW - left;
        }
        String w = g.initializer("conv_weight", c.weight.value());
        List<String> inputs = c.bias == null ? List.of(x, w) : List.of(x, w, g.initializer("conv_bias", c.bias.value()));
        return g.node("Conv", inputs, attr("kernel_shape", c.kernelH, c.kernelW), attr("strides", c.strideH, c.strideW),
                attr("pads", top, left, bottom, right), attr("dilations", c.dilationH, c.dilationW), attr("group", c.groups));
    }

    /** MaxPool / AveragePool; Kiln's average pooling counts padding as zeros (torch's count_include_pad=True). */
    public static String pool2d(OnnxGraph g, Pool2d p, String x) {
        long k = p.kernelSize();
        long s = p.stride();
        long pad = p.padding();
        if (p.isMax()) {
            return g.node("MaxPool", List.of(x), attr("kernel_shape", k, k), attr("strides", s, s), attr("pads", pad, pad, pad, pad));
        }
        return g.node("AveragePool", List.of(x), attr("kernel_shape", k, k), attr("strides", s, s),
                attr("pads", pad, pad, pad, pad), attr("count_include_pad", 1L));
    }

    /** The activations; opset 17 has no Gelu, so GELU is written out from Erf (exact) or Tanh (approximate). */
    public static String activation(OnnxGraph g, Activation a, String x) {
        return switch (a.name()) {
            case "ReLU" -> g.node("Relu", List.of(x));
            case "Tanh" -> g.node("Tanh", List.of(x));
            case "Sigmoid" -> g.node("Sigmoid", List.of(x));
            case "SiLU" -> g.node("Mul", List.of(x, g.node("Sigmoid", List.of(x))));
            case "Softmax" -> g.node("Softmax", List.of(x), attr("axis", (long) a.dim()));
            case "LogSoftmax" -> g.node("LogSoftmax", List.of(x), attr("axis", (long) a.dim()));
            case "GELU" -> a.approximate() ? geluTanh(g, x) : gelu(g, x);
            default -> throw new IllegalArgumentException("ONNX export: no rule for activation " + a);
        };
    }

    /** 0.5 x (1 + erf(x / sqrt 2)). */
    public static String gelu(OnnxGraph g, String x) {
        String erf = g.node("Erf", List.of(g.node("Div", List.of(x, g.scalar("sqrt2", (float) Math.sqrt(2))))));
        String onePlus = g.node("Add", List.of(erf, g.scalar("one", 1f)));
        return g.node("Mul", List.of(g.node("Mul", List.of(x, g.scalar("half", 0.5f))), onePlus));
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    public static String geluTanh(OnnxGraph g, String x) {
        String cube = g.node("Mul", List.of(g.node("Mul", List.of(x, x)), x));
        String inner = g.node("Add", List.of(x, g.node("Mul", List.of(cube, g.scalar("gelu_c", 0.044715f)))));
        String t = g.node("Tanh", List.of(g.node("Mul", List.of(inner, g.scalar("sqrt_2_over_pi", (float) Math.sqrt(2 / Math.PI))))));
        String onePlus = g.node("Add", List.of(t, g.scalar("one", 1f)));
        return g.node("Mul", List.of(g.node("Mul", List.of(x, g.scalar("half", 0.5f))), onePlus));
    }

    /** torch's flatten(start_dim=1) is ONNX Flatten(axis=1); other start dims would need the input's rank. */
    public static String flatten(OnnxGraph g, Flatten f, String x) {
        if (f.startDim() != 1) {
            throw new IllegalArgumentException("ONNX export: Flatten start_dim must be 1, got " + f.startDim());
        }
        return g.node("Flatten", List.of(x), attr("axis", 1L));
    }

    /** BatchNormalization with the running statistics; no affine means scale 1 and shift 0. */
    public static String batchNorm(OnnxGraph g, BatchNorm b, String x) {
        int c = b.numFeatures;
        float[] ones = new float[c];
        java.util.Arrays.fill(ones, 1f);
        String scale = b.weight == null ? g.initializer("bn_scale", ones, c) : g.initializer("bn_scale", b.weight.value());
        String shift = b.bias == null ? g.initializer("bn_shift", new float[c], c) : g.initializer("bn_shift", b.bias.value());
        return g.node("BatchNormalization", List.of(x, scale, shift, g.initializer("bn_mean", b.runningMean),
                g.initializer("bn_var", b.runningVar)), attr("epsilon", (float) b.eps));
    }

    /**
     * LSTM and GRU as ONNX's own ops, one per layer: [T, N, I] (or [N, T, I] batch-first) → the
     * last layer's hidden state at every step, like {@code layer(x)[0]} ([T, N, D*H] with D = 2
     * when bidirectional: the forward then the reverse direction's state, as torch concatenates
     * them). torch orders the gates i f g o (LSTM) and r z n (GRU); ONNX wants i o f c and z r h,
     * so the weight blocks are permuted. GRU uses linear_before_reset=1: torch applies the reset
     * gate after W_hn h + b_hn.
     */
    public static String recurrent(OnnxGraph g, RecurrentLayer r, String x) {
        boolean lstm = r instanceof LSTM;
        int[] order = lstm ? new int[] {0, 3, 1, 2} : new int[] {1, 0, 2}; // ONNX block k = torch block order[k]
        int h = r.hiddenSize;
        int gates = order.length;
        int dirs = r.directions();
        List<dev.kiln.autograd.Var> w = r.flatWeights();
        int perDirection = r.bias ? 4 : 2;
        String y = r.batchFirst ? g.node("Transpose", List.of(x), attr("perm", 1L, 0L, 2L)) : x;
        for (int layer = 0; layer < r.numLayers; layer++) {
            int in = layer == 0 ? r.inputSize : dirs * h;
            float[] wi = new float[dirs * gates * h * in];
            float[] wh = new float[dirs * gates * h * h];
            float[] bias = new float[dirs * 2 * gates * h]; // per direction: Wb then Rb
            for (int d = 0; d < dirs; d++) {
                int first = (layer * dirs + d) * perDirection; // torch's flat order: layer, then direction
                System.arraycopy(permuteGates(w.get(first).value(), order, h), 0, wi, d * gates * h * in, gates * h * in);
                System.arraycopy(permuteGates(w.get(first + 1).value(), order, h), 0, wh, d * gates * h * h, gates * h * h);
                if (r.bias) {
                    int at = d * 2 * gates * h;
                    System.arraycopy(permuteGates(w.get(first + 2).value(), order, h), 0, bias, at, gates * h);
                    System.arraycopy(permuteGates(w.get(first + 3).value(), order, h), 0, bias, at + gates * h, gates * h);
                }
            }
            List<String> inputs = List.of(y, g.initializer("rnn_W", wi, dirs, gates * h, in),
                    g.initializer("rnn_R", wh, dirs, gates * h, h), g.initializer("rnn_B", bias, dirs, 2 * gates * h));
            OnnxGraph.Attr direction = attr("direction", dirs == 2 ? "bidirectional" : "forward");
            String seq = lstm
                    ? g.node("LSTM", inputs, 1, attr("hidden_size", (long) h), direction).getFirst()
                    : g.node("GRU", inputs, 1, attr("hidden_size", (long) h), attr("linear_before_reset", 1L), direction).getFirst();
            // Y is [T, D, N, H]; the next layer (and the caller) wants [T, N, D*H]
            y = dirs == 1 ? g.node("Squeeze", List.of(seq, g.longs("axes", 1)))
                    : g.node("Reshape", List.of(g.node("Transpose", List.of(seq), attr("perm", 0L, 2L, 1L, 3L)),
                            g.longs("time_batch_features", 0, 0, (long) dirs * h)));
        }
        return r.batchFirst ? g.node("Transpose", List.of(y), attr("perm", 1L, 0L, 2L)) : y;
    }

    /** Rows of a [gates*H, ...] tensor reordered so ONNX's block k is torch's block order[k]. */
    static float[] permuteGates(Tensor t, int[] order, int h) {
        float[] src = t.toFloatArray();
        int row = src.length / (order.length * h);
        float[] dst = new float[src.length];
        for (int k = 0; k < order.length; k++) {
            System.arraycopy(src, order[k] * h * row, dst, k * h * row, h * row);
        }
        return dst;
    }
}
