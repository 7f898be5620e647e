package dev.kiln.nn.attention;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;

/**
 * torch.nn.MultiheadAttention: attention of queries [L, N, E] over keys [S, N, kdim] and values
 * [S, N, vdim] ([N, L, E] etc. with batch_first, [L, E] unbatched), as self-attention
 * (query = key = value) or an encoder-decoder's cross-attention. Parameters have torch's names,
 * layout and registration order, so a torch state dict loads as is: {@code in_proj_weight} [3E, E]
 * (query, key and value projections stacked) or, when kdim or vdim differs from E,
 * {@code q_proj_weight} [E, E], {@code k_proj_weight} [E, kdim], {@code v_proj_weight} [E, vdim];
 * then {@code in_proj_bias} [3E], {@code bias_k} and {@code bias_v} [1, 1, E] (with add_bias_kv),
 * and {@code out_proj} (a Linear E -> E). Initialised as torch does: Xavier-uniform projections,
 * zero biases, Xavier-normal bias_k/bias_v.
 *
 * <p>Two paths compute the attention. Without weights, attn_mask, float key padding, bias_k/v,
 * zero attention or active dropout, the fused kernel of {@link Attention#scaledDotProduct} runs
 * (it never materialises the [L, S] scores). Otherwise the scores are materialised with
 * differentiable ops, every mask is added to them in its additive form, and the softmax's
 * probabilities are what {@link AttentionOutput#weights()} returns.
 */
public final class MultiheadAttention extends Module {
    public final int embedDim;
    public final int numHeads;
    public final int kdim;
    public final int vdim;
    public final MultiheadAttentionOptions options;
    /** [3E, E]; null when kdim or vdim differs from embedDim (then the three separate weights are set). */
    public final Var inProjWeight;
    public final Var qProjWeight;
    public final Var kProjWeight;
    public final Var vProjWeight;
    /** [3E]; null with {@code bias(false)}. */
    public final Var inProjBias;
    /** [1, 1, E]; null without {@code addBiasKv}. */
    public final Var biasK;
    public final Var biasV;
    public final Linear outProj;
    private final Dropout attnDropout; // null when options.dropout() == 0

    /**
     * Batch-first attention with torch's other defaults, the constructor the transformer layers
     * use: the same as {@code MultiheadAttentionOptions.defaults().batchFirst(true)}.
     */
    public MultiheadAttention(int embedDim, int numHeads, Generator g) {
        this(embedDim, numHeads, MultiheadAttentionOptions.defaults().batchFirst(true), g);
    }

    public MultiheadAttention(int embedDim, int numHeads, MultiheadAttentionOptions options, Generator g) {
        if (numHeads < 1 || embedDim < 1 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embedDim (" + embedDim
                    + ") must be a positive multiple of numHeads (" + numHeads + ")");
        }
        if (options == null) {
            throw new IllegalArgumentException("MultiheadAttention: options must not be null (use MultiheadAttentionOptions.defaults())");
        }
        Generator gen = g == null ? Init.globalGenerator() : g;
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.options = options;
        this.kdim = options.kdim() == 0 ? embedDim : options.kdim();
        this.vdim = options.vdim() == 0 ? embedDim : options.vdim();
        if (kdim == embedDim && vdim == embedDim) {
            inProjWeight = registerParameter("in_proj_weight", Init.xavierUniform(Tensor.empty(3 * embedDim, embedDim), 1.0, gen));
            qProjWeight = kProjWeight = vProjWeight = null;
        } else {
            inProjWeight = null;
            qProjWeight = registerParameter("q_proj_weight", Init.xavierUniform(Tensor.empty(embedDim, embedDim), 1.0, gen));
            kProjWeight = registerParameter("k_proj_weight", Init.xavierUniform(Tensor.empty(embedDim, kdim), 1.0, gen));
            vProjWeight = registerParameter("v_proj_weight", Init.xavierUniform(Tensor.empty(embedDim, vdim), 1.0, gen));
        }
        inProjBias = options.bias() ? registerParameter("in_proj_bias", Tensor.zeros(3 * embedDim)) : null;
        if (options.addBiasKv()) {
            biasK = registerParameter("bias_k", Init.xavierNormal(Tensor.empty(1, 1, embedDim), 1.0, gen));
            biasV = registerParameter("bias_v", Init.xavierNormal(Tensor.empty(1, 1, embedDim), 1.0, gen));
        } else {
            biasK = biasV = null;
        }
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, options.bias(), gen));
        if (outProj.bias != null) {
            Init.zeros(outProj.bias.value());
        }
        attnDropout = options.dropout() > 0 ? registerModule("dropout", new Dropout(options.dropout(), gen.split())) : null;
    }

    /**
     * The attention output alone, through the fused kernel when the masks allow it (the path
     * the transformer layers take): {@code forward(query, key, value, AttentionArgs.defaults()
     * .needWeights(false).isCausal(causal).keyPaddingMask(keyPaddingMask)).output()}.
     *
     * @param causal mask keys after each query's position (end-aligned when L != S)
     * @param keyPaddingMask [N, S] (BOOL, true = ignore that key, or additive float); or null
     */
    public Var forward(Var query, Var key, Var value, boolean causal, Tensor keyPaddingMask) {
        return forward(query, key, value, AttentionArgs.defaults().needWeights(false).isCausal(causal)
                .keyPaddingMask(keyPaddingMask)).output();
    }

    /** torch's {@code mha(query, key, value)}: the output and the head-averaged weights. */
    public AttentionOutput forward(Var query, Var key, Var value) {
        return forward(query, key, value, AttentionArgs.defaults());
    }

    /** torch's {@code mha(query, key, value, key_padding_mask=..., need_weights=..., attn_mask=..., average_attn_weights=...)}. */
    public AttentionOutput forward(Var query, Var key, Var value, AttentionArgs args) {
        if (query == null || key == null || value == null || args == null) {
            throw new IllegalArgumentException("MultiheadAttention: query, key, value and args must not be null");
        }
        int rank = query.value().rank();
        if (rank != 2 && rank != 3) {
            throw new IllegalArgumentException("MultiheadAttention: query must be 3-D (batched) or 2-D (unbatched), got " + query.shape());
        }
        boolean batched = rank == 3;
        if (key.value().rank() != rank || value.value().rank() != rank) {
            throw new IllegalArgumentException("MultiheadAttention: key and value must be " + rank + "-D like query " + query.shape()
                    + ", got key " + key.shape() + " and value " + value.shape());
        }
        Tensor keyPadding = args.keyPaddingMask();
        if (keyPadding != null && keyPadding.rank() != rank - 1) {
            throw new IllegalArgumentException("MultiheadAttention: keyPaddingMask must be " + (rank - 1) + "-D for a " + rank
                    + "-D query (" + (batched ? "[N, S]" : "[S]") + "), got " + keyPadding.shape());
        }
        checkInput("query", query, embedDim);
        checkInput("key", key, kdim);
        checkInput("value", value, vdim);
        Var q = toBatchFirst(query, batched);
        Var k = toBatchFirst(key, batched);
        Var v = toBatchFirst(value, batched);
        keyPadding = keyPadding == null || batched ? keyPadding : keyPadding.unsqueeze(0);
        int n = q.value().size(0), l = q.value().size(1), s = k.value().size(1);
        if (k.value().size(0) != n || v.value().size(0) != n || v.value().size(1) != s) {
            throw new IllegalArgumentException("MultiheadAttention: query " + query.shape() + ", key " + key.shape() + " and value "
                    + value.shape() + " must agree in batch size, and key and value in sequence length");
        }
        AttentionMasks.check(args, keyPadding, n, numHeads, l, s, batched);

        Var qh = heads(Functional.linear(q, projWeight(0), projBias(0)));
        Var kp = Functional.linear(k, projWeight(1), projBias(1));
        Var vp = Functional.linear(v, projWeight(2), projBias(2));
        int extraKeys = 0;
        if (biasK != null) {
            kp = Var.cat(List.of(kp, biasK.expand(n, 1, embedDim)), 1);
            vp = Var.cat(List.of(vp, biasV.expand(n, 1, embedDim)), 1);
            extraKeys++;
        }
        Var kh = heads(kp);
        Var vh = heads(vp);
        if (options.addZeroAttn()) {
            kh = appendZeroKey(kh);
            vh = appendZeroKey(vh);
            extraKeys++;
        }
        boolean dropoutActive = attnDropout != null && attnDropout.isTraining();
        Var y;
        Var weights = null;
        if (!args.needWeights() && args.attnMask() == null && (keyPadding == null || keyPadding.dtype() == DType.BOOL)
                && extraKeys == 0 && !dropoutActive) {
            y = Attention.scaledDotProduct(qh, kh, vh, args.isCausal(), keyPadding);
        } else {
            Var scores = qh.matmul(kh.transpose(-2, -1)).mul(1 / Math.sqrt(embedDim / numHeads)); // [N, H, L, S']
            Tensor mask = AttentionMasks.additive(args, keyPadding, n, numHeads, l, s, extraKeys, scores.value().dtype(),
                    scores.value().device());
            if (mask != null) {
                scores = scores.add(Var.constant(mask));
            }
            Var probs = scores.softmax(-1);
            if (attnDropout != null) {
                probs = attnDropout.forward(probs);
            }
            y = probs.matmul(vh);
            if (args.needWeights()) {
                weights = args.averageAttnWeights() ? probs.mean(new int[] {1}, false) : probs;
                weights = batched ? weights : weights.squeeze(0);
            }
        }
        Var out = outProj.forward(y.transpose(1, 2).reshape(n, l, embedDim));
        return new AttentionOutput(batched ? (options.batchFirst() ? out : out.transpose(0, 1)) : out.squeeze(0), weights);
    }

    /** Weight of projection {@code which} (0 = q, 1 = k, 2 = v): a slice of the packed in_proj_weight, or its own. */
    public Var projWeight(int which) {
        checkWhich(which);
        if (inProjWeight != null) {
            return inProjWeight.narrow(0, which * embedDim, embedDim);
        }
        return which == 0 ? qProjWeight : which == 1 ? kProjWeight : vProjWeight;
    }

    /** Bias of projection {@code which} (0 = q, 1 = k, 2 = v), or null without biases. */
    public Var projBias(int which) {
        checkWhich(which);
        return inProjBias == null ? null : inProjBias.narrow(0, which * embedDim, embedDim);
    }

    private static void checkWhich(int which) {
        if (which < 0 || which > 2) {
            throw new IllegalArgumentException("MultiheadAttention: projection index must be 0 (q), 1 (k) or 2 (v), got " + which);
        }
    }

    /** [N, T, E] -> [N, H, T, E / H]. */
    private Var heads(Var x) {
        int n = x.value().size(0), t = x.value().size(1);
        return x.reshape(n, t, numHeads, embedDim / numHeads).transpose(1, 2);
    }

    /** [N, H, S, hd] -> [N, H, S + 1, hd], the last key (or value) all zeros (torch's add_zero_attn). */
    private static Var appendZeroKey(Var x) {
        Tensor v = x.value();
        Tensor zeros;
        try (DeviceScope _ = DeviceScope.enter(v.device())) {
            zeros = Tensor.zeros(v.dtype(), v.size(0), v.size(1), 1, v.size(3));
        }
        return Var.cat(List.of(x, Var.constant(zeros)), 2);
    }

    private Var toBatchFirst(Var x, boolean batched) {
        return !batched ? x.unsqueeze(0) : options.batchFirst() ? x : x.transpose(0, 1);
    }

    private void checkInput(String name, Var x, int features) {
        if (x.value().size(-1) != features) {
            String layout = x.value().rank() == 2 ? "[T, " : options.batchFirst() ? "[N, T, " : "[T, N, ";
            throw new IllegalArgumentException("MultiheadAttention: " + name + " must be " + layout + features + "], got " + x.shape());
        }
    }

    @Override
    protected String extraRepr() {
        StringBuilder r = new StringBuilder("embed_dim=" + embedDim + ", num_heads=" + numHeads);
        if (options.dropout() > 0) {
            r.append(", dropout=").append(options.dropout());
        }
        if (!options.bias()) {
            r.append(", bias=False");
        }
        if (options.addBiasKv()) {
            r.append(", add_bias_kv=True");
        }
        if (options.addZeroAttn()) {
            r.append(", add_zero_attn=True");
        }
        if (kdim != embedDim || vdim != embedDim) {
            r.append(", kdim=").append(kdim).append(", vdim=").append(vdim);
        }
        if (options.batchFirst()) {
            r.append(", batch_first=True");
        }
        return r.toString();
    }
}
