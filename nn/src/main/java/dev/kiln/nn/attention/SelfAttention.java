package dev.kiln.nn.attention;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * Multi-head self-attention for decoder models, with grouped-query attention (nKvHeads divides
 * nHeads; nKvHeads == nHeads is ordinary multi-head attention, 1 is multi-query), optional
 * rotary position embeddings, causal or bidirectional masking, a key-padding mask and a KV cache.
 *
 * <p>x [B, T, dModel] -> q_proj [nHeads*hd], k_proj/v_proj [nKvHeads*hd] -> attention per head ->
 * o_proj -> [B, T, dModel], with hd = dModel / nHeads. Parameter names (q_proj, k_proj, v_proj,
 * o_proj) follow Hugging Face's LLaMA so such checkpoints map directly.
 */
public final class SelfAttention extends Module {
    public final int dModel;
    public final int nHeads;
    public final int nKvHeads;
    public final int headDim;
    public final boolean causal;
    public final Linear qProj;
    public final Linear kProj;
    public final Linear vProj;
    public final Linear oProj;
    private final RotaryEmbedding rope; // null: no rotary embedding

    public SelfAttention(int dModel, int nHeads, int nKvHeads, boolean causal, boolean bias, RotaryEmbedding rope, Generator g) {
        if (nHeads < 1 || dModel % nHeads != 0) {
            throw new IllegalArgumentException("SelfAttention: dModel (" + dModel + ") must be a positive multiple of nHeads ("
                    + nHeads + ")");
        }
        if (nKvHeads < 1 || nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("SelfAttention: nHeads (" + nHeads + ") must be a multiple of nKvHeads ("
                    + nKvHeads + ")");
        }
        this.dModel = dModel;
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.headDim = dModel / nHeads;
        this.causal = causal;
        if (rope != null && rope.headDim() != headDim) {
            throw new IllegalArgumentException("SelfAttention: the rotary embedding is for head size " + rope.headDim()
                    + ", but dModel / nHeads = " + headDim);
        }
        this.rope = rope;
        Generator gen = g == null ? Init.globalGenerator() : g;
        qProj = registerModule("q_proj", new Linear(dModel, nHeads * headDim, bias, gen));
        kProj = registerModule("k_proj", new Linear(dModel, nKvHeads * headDim, bias, gen));
        vProj = registerModule("v_proj", new Linear(dModel, nKvHeads * headDim, bias, gen));
        oProj = registerModule("o_proj", new Linear(nHeads * headDim, dModel, bias, gen));
    }

    /** The rotary embedding applied to queries and keys, or null (learned or no positions). */
    public RotaryEmbedding rope() {
        return rope;
    }

    /** Full-sequence attention (training, or a prompt without cache). */
    public Var forward(Var x) {
        return forward(x, null, null);
    }

    /**
     * @param keyPaddingMask BOOL [B, T] (true = ignore that position as a key), or null
     * @param cache when not null, x holds the new tokens only: their keys/values are appended to the
     *     cache and the queries attend over every cached position (positions continue from the cache length)
     */
    public Var forward(Var x, Tensor keyPaddingMask, KVCache cache) {
        if (x.value().rank() != 3 || x.value().size(2) != dModel) {
            throw new IllegalArgumentException("SelfAttention: input must be [B, T, " + dModel + "], got " + x.shape());
        }
        int b = x.value().size(0), t = x.value().size(1);
        int past = cache == null ? 0 : cache.length();
        Var q = heads(qProj.forward(x), b, t, nHeads);
        Var k = heads(kProj.forward(x), b, t, nKvHeads);
        Var v = heads(vProj.forward(x), b, t, nKvHeads);
        if (rope != null) {
            q = rope.apply(q, past);
            k = rope.apply(k, past);
        }
        if (cache != null) {
            Tensor[] kv = cache.append(k.value(), v.value());
            k = Var.constant(kv[0]);
            v = Var.constant(kv[1]);
        }
        Var y = Attention.scaledDotProduct(q, k, v, causal, keyPaddingMask); // [B, H, T, hd]
        return oProj.forward(y.transpose(1, 2).reshape(b, t, nHeads * headDim));
    }

    /** [B, T, n*hd] -> [B, n, T, hd]. */
    private Var heads(Var x, int b, int t, int n) {
        return x.reshape(b, t, n, headDim).transpose(1, 2);
    }

    @Override
    protected String extraRepr() {
        return "d_model=" + dModel + ", n_heads=" + nHeads + ", n_kv_heads=" + nKvHeads + ", causal=" + causal
                + ", rope=" + (rope != null);
    }
}
