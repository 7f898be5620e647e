package dev.kiln.nn.prune;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Conv1d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.attention.SelfAttention;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Magnitude pruning, as {@code torch.nn.utils.prune} computes it: {@code k = round(amount * n)}
 * entries (Python's round, half to even) with the smallest |w| are removed, ties broken by
 * position (the first entry of a tie goes first), so the sparsity is exact. The methods compute
 * {@link PruningMasks} and {@link PruningMasks#apply() apply} them before returning.
 *
 * <ul>
 *   <li>{@link #globalUnstructured}: one threshold over all the given weights together
 *       ({@code prune.global_unstructured(..., pruning_method=L1Unstructured)}); layers with
 *       smaller weights lose more.
 *   <li>{@link #layerUnstructured}: the same fraction of every weight ({@code prune.l1_unstructured} per layer).
 *   <li>{@link #channels}: whole output channels (dim 0: a conv filter, a linear unit) of each
 *       layer with the smallest L1 or L2 norm ({@code prune.ln_structured(dim=0)}); the channel's
 *       bias is zeroed too, so the channel outputs exactly 0 and can be removed from the layer.
 *   <li>{@link #heads}: whole query heads of each self-attention layer, ranked by the norm of the
 *       head's slice of the output projection (its columns of {@code o_proj.weight}, the weights
 *       through which the head reaches the residual stream); the head's {@code q_proj} rows and
 *       bias and its {@code o_proj} columns are zeroed, so it contributes exactly nothing.
 * </ul>
 */
public final class MagnitudePruning {
    private MagnitudePruning() {}

    /** The norm that ranks output channels. */
    public enum Norm { L1, L2 }

    /**
     * The Linear, Conv1d and Conv2d layers of {@code model} by their dotted path ("0", "encoder.fc"),
     * in the order of {@link Module#namedParameters()}.
     */
    public static Map<String, Module> prunableLayers(Module model) {
        Map<String, Module> out = new LinkedHashMap<>();
        collect("", model, out);
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Module> out) {
        if (m instanceof Linear || m instanceof Conv1d || m instanceof Conv2d) {
            out.put(prefix, m);
        }
        for (Map.Entry<String, Module> c : m.children().entrySet()) {
            collect(prefix.isEmpty() ? c.getKey() : prefix + "." + c.getKey(), c.getValue(), out);
        }
    }

    /** The weights (not biases) of {@link #prunableLayers}, named as in {@link Module#namedParameters()}. */
    public static Map<String, Var> prunableWeights(Module model) {
        Map<String, Var> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : prunableLayers(model).entrySet()) {
            out.put(e.getKey().isEmpty() ? "weight" : e.getKey() + ".weight", weightOf(e.getValue()));
        }
        return out;
    }

    /** Removes the fraction {@code amount} of all entries of {@code weights} with the smallest |w|, counted together. */
    public static PruningMasks globalUnstructured(Map<String, Var> weights, double amount) {
        checkAmount(amount);
        checkWeights(weights);
        int total = 0;
        for (Var w : weights.values()) {
            total = Math.addExact(total, w.value().numel());
        }
        float[] all = new float[total];
        int at = 0;
        for (Var w : weights.values()) {
            float[] v = w.value().toFloatArray();
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        boolean[] pruned = smallest(all, toPrune(amount, total));
        Map<String, Tensor> masks = new LinkedHashMap<>();
        at = 0;
        for (Map.Entry<String, Var> e : weights.entrySet()) {
            Tensor w = e.getValue().value();
            masks.put(e.getKey(), mask(Arrays.copyOfRange(pruned, at, at + w.numel()), w));
            at += w.numel();
        }
        return new PruningMasks(weights, masks).apply();
    }

    /** Removes the fraction {@code amount} of each weight's entries with the smallest |w|, layer by layer. */
    public static PruningMasks layerUnstructured(Map<String, Var> weights, double amount) {
        checkAmount(amount);
        checkWeights(weights);
        Map<String, Tensor> masks = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : weights.entrySet()) {
            Tensor w = e.getValue().value();
            masks.put(e.getKey(), mask(smallest(w.toFloatArray(), toPrune(amount, w.numel())), w));
        }
        return new PruningMasks(weights, masks).apply();
    }

    /**
     * Removes the fraction {@code amount} of each layer's output channels (rows of the weight along
     * dim 0) with the smallest {@code norm}, weight and bias; {@code layers} are Linear, Conv1d or
     * Conv2d modules by name (see {@link #prunableLayers}).
     */
    public static PruningMasks channels(Map<String, Module> layers, double amount, Norm norm) {
        checkAmount(amount);
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("channels: layers must name at least one Linear or Conv layer, got " + layers);
        }
        if (norm == null) {
            throw new IllegalArgumentException("channels: norm must be L1 or L2, got null");
        }
        Map<String, Var> params = new LinkedHashMap<>();
        Map<String, Tensor> masks = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : layers.entrySet()) {
            Module layer = e.getValue();
            if (!(layer instanceof Linear || layer instanceof Conv1d || layer instanceof Conv2d)) {
                throw new IllegalArgumentException("channels: layer \"" + e.getKey() + "\" must be a Linear, Conv1d or Conv2d, got "
                        + (layer == null ? "null" : layer.getClass().getSimpleName()));
            }
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            Tensor w = weightOf(layer).value();
            int outChannels = w.shape().size(0);
            int perChannel = w.numel() / outChannels;
            float[] v = w.toFloatArray();
            float[] norms = new float[outChannels];
            for (int c = 0; c < outChannels; c++) {
                double s = 0;
                for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                    s += norm == Norm.L1 ? Math.abs(v[i]) : (double) v[i] * v[i];
                }
                norms[c] = (float) (norm == Norm.L1 ? s : Math.sqrt(s));
            }
            boolean[] channelPruned = smallest(norms, toPrune(amount, outChannels));
            boolean[] pruned = new boolean[w.numel()];
            for (int c = 0; c < outChannels; c++) {
                Arrays.fill(pruned, c * perChannel, (c + 1) * perChannel, channelPruned[c]);
            }
            params.put(prefix + "weight", weightOf(layer));
            masks.put(prefix + "weight", mask(pruned, w));
            Var bias = biasOf(layer);
            if (bias != null) {
                params.put(prefix + "bias", bias);
                masks.put(prefix + "bias", mask(channelPruned, bias.value()));
            }
        }
        return new PruningMasks(params, masks).apply();
    }

    /** The self-attention layers of {@code model} by their dotted path ("blocks.0.attn"). */
    public static Map<String, SelfAttention> attentionLayers(Module model) {
        Map<String, SelfAttention> out = new LinkedHashMap<>();
        collectAttention("", model, out);
        return out;
    }

    private static void collectAttention(String prefix, Module m, Map<String, SelfAttention> out) {
        if (m instanceof SelfAttention a) {
            out.put(prefix, a);
        }
        for (Map.Entry<String, Module> c : m.children().entrySet()) {
            collectAttention(prefix.isEmpty() ? c.getKey() : prefix + "." + c.getKey(), c.getValue(), out);
        }
    }

    /**
     * Removes the fraction {@code amount} of each layer's query heads (round half to even) with the
     * smallest {@code norm} of their {@code o_proj} columns. Keys and values are left alone: with
     * grouped-query attention they are shared by the heads of a group.
     */
    public static PruningMasks heads(Map<String, SelfAttention> layers, double amount, Norm norm) {
        checkAmount(amount);
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("heads: layers must name at least one SelfAttention, got " + layers);
        }
        if (norm == null) {
            throw new IllegalArgumentException("heads: norm must be L1 or L2, got null");
        }
        Map<String, Var> params = new LinkedHashMap<>();
        Map<String, Tensor> masks = new LinkedHashMap<>();
        for (Map.Entry<String, SelfAttention> e : layers.entrySet()) {
            SelfAttention a = e.getValue();
            if (a == null) {
                throw new IllegalArgumentException("heads: layer \"" + e.getKey() + "\" is null");
            }
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            int hd = a.headDim;
            Tensor o = a.oProj.weight.value(); // [dModel, nHeads * headDim]
            int rows = o.shape().size(0);
            int cols = o.shape().size(1);
            float[] ov = o.toFloatArray();
            float[] norms = new float[a.nHeads];
            for (int h = 0; h < a.nHeads; h++) {
                double s = 0;
                for (int r = 0; r < rows; r++) {
                    for (int c = h * hd; c < (h + 1) * hd; c++) {
                        float x = ov[r * cols + c];
                        s += norm == Norm.L1 ? Math.abs(x) : (double) x * x;
                    }
                }
                norms[h] = (float) (norm == Norm.L1 ? s : Math.sqrt(s));
            }
            boolean[] headPruned = smallest(norms, toPrune(amount, a.nHeads));
            Tensor q = a.qProj.weight.value(); // [nHeads * headDim, dModel]
            int qCols = q.shape().size(1);
            boolean[] qPruned = new boolean[q.numel()];
            boolean[] qBiasPruned = new boolean[a.nHeads * hd];
            boolean[] oPruned = new boolean[o.numel()];
            for (int h = 0; h < a.nHeads; h++) {
                if (!headPruned[h]) {
                    continue;
                }
                Arrays.fill(qPruned, h * hd * qCols, (h + 1) * hd * qCols, true);
                Arrays.fill(qBiasPruned, h * hd, (h + 1) * hd, true);
                for (int r = 0; r < rows; r++) {
                    Arrays.fill(oPruned, r * cols + h * hd, r * cols + (h + 1) * hd, true);
                }
            }
            params.put(prefix + "q_proj.weight", a.qProj.weight);
            masks.put(prefix + "q_proj.weight", mask(qPruned, q));
            if (a.qProj.bias != null) {
                params.put(prefix + "q_proj.bias", a.qProj.bias);
                masks.put(prefix + "q_proj.bias", mask(qBiasPruned, a.qProj.bias.value()));
            }
            params.put(prefix + "o_proj.weight", a.oProj.weight);
            masks.put(prefix + "o_proj.weight", mask(oPruned, o));
        }
        return new PruningMasks(params, masks).apply();
    }

    /** torch's {@code _compute_nparams_toprune} for a float amount: {@code round(amount * n)}, half to even. */
    static int toPrune(double amount, int n) {
        return (int) Math.rint(amount * n);
    }

    /**
     * Marks the {@code k} entries of {@code values} with the smallest magnitude. Sorting keys
     * ({@code |v|}'s bits, index) as longs orders by magnitude, then position, with a primitive
     * sort: the bits of a non-negative float order as the float does, and NaN sorts last (kept).
     */
    static boolean[] smallest(float[] values, int k) {
        long[] keys = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            keys[i] = ((long) Float.floatToIntBits(Math.abs(values[i])) << 32) | i;
        }
        Arrays.sort(keys);
        boolean[] marked = new boolean[values.length];
        for (int j = 0; j < k; j++) {
            marked[(int) keys[j]] = true;
        }
        return marked;
    }

    private static Tensor mask(boolean[] pruned, Tensor like) {
        float[] m = new float[pruned.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = pruned[i] ? 0f : 1f;
        }
        Tensor t = Tensor.fromArray(m, like.shape().toArray());
        return like.dtype() == DType.F32 ? t : t.to(like.dtype());
    }

    private static Var weightOf(Module m) {
        return switch (m) {
            case Linear l -> l.weight;
            case Conv1d c -> c.weight;
            case Conv2d c -> c.weight;
            default -> throw new IllegalArgumentException("not a prunable layer: " + m.getClass().getSimpleName());
        };
    }

    private static Var biasOf(Module m) {
        return switch (m) {
            case Linear l -> l.bias;
            case Conv1d c -> c.bias;
            case Conv2d c -> c.bias;
            default -> null;
        };
    }

    private static void checkAmount(double amount) {
        if (!(amount >= 0 && amount <= 1)) {
            throw new IllegalArgumentException("pruning: amount (sparsity) must be in [0, 1], got " + amount);
        }
    }

    private static void checkWeights(Map<String, Var> weights) {
        if (weights == null || weights.isEmpty()) {
            throw new IllegalArgumentException("pruning: weights must name at least one parameter, got " + weights);
        }
        for (Map.Entry<String, Var> e : weights.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("pruning: weight \"" + e.getKey() + "\" is null");
            }
        }
    }
}
