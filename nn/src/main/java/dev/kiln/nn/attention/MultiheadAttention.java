package dev.kiln.nn.attention;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * torch.nn.MultiheadAttention (batch_first): attention of queries [B, Tq, E] over keys/values
 * [B, Tk, E], so it serves as self-attention (query = key = value) and as an encoder-decoder's
 * cross-attention. Parameters have torch's names and layout: {@code in_proj_weight} [3E, E]
 * (query, key and value projections stacked), {@code in_proj_bias} [3E], and {@code out_proj}
 * (a Linear E -> E), initialised as torch does (Xavier-uniform in_proj, zero biases), so a torch
 * state dict loads as is.
 */
public final class MultiheadAttention extends Module {
    public final int embedDim;
    public final int numHeads;
    public final Var inProjWeight;
    public final Var inProjBias;
    public final Linear outProj;

    public MultiheadAttention(int embedDim, int numHeads, Generator g) {
        if (numHeads < 1 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embedDim (" + embedDim
                    + ") must be a positive multiple of numHeads (" + numHeads + ")");
        }
        Generator gen = g == null ? Init.globalGenerator() : g;
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        inProjWeight = registerParameter("in_proj_weight", Init.xavierUniform(Tensor.empty(3 * embedDim, embedDim), 1.0, gen));
        inProjBias = registerParameter("in_proj_bias", Tensor.zeros(3 * embedDim));
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, true, gen));
        Init.zeros(outProj.bias.value());
    }

    /**
     * @param causal mask keys after each query's position (end-aligned when Tq != Tk)
     * @param keyPaddingMask BOOL [B, Tk], true = ignore that key; or null
     */
    public Var forward(Var query, Var key, Var value, boolean causal, Tensor keyPaddingMask) {
        checkInput("query", query);
        checkInput("key", key);
        checkInput("value", value);
        if (!key.shape().equals(value.shape())) {
            throw new IllegalArgumentException("MultiheadAttention: key " + key.shape() + " and value " + value.shape()
                    + " must have the same shape");
        }
        int b = query.value().size(0), tq = query.value().size(1), tk = key.value().size(1);
        int e = embedDim;
        Var q = project(query, 0, b, tq);
        Var k = project(key, 1, b, tk);
        Var v = project(value, 2, b, tk);
        Var y = Attention.scaledDotProduct(q, k, v, causal, keyPaddingMask);
        return outProj.forward(y.transpose(1, 2).reshape(b, tq, e));
    }

    /** Slice {@code which} (0 = q, 1 = k, 2 = v) of the stacked in-projection, split into heads: [B, H, T, hd]. */
    private Var project(Var x, int which, int b, int t) {
        Var w = inProjWeight.narrow(0, which * embedDim, embedDim);
        Var bias = inProjBias.narrow(0, which * embedDim, embedDim);
        int hd = embedDim / numHeads;
        return Functional.linear(x, w, bias).reshape(b, t, numHeads, hd).transpose(1, 2);
    }

    private void checkInput(String name, Var x) {
        if (x.value().rank() != 3 || x.value().size(2) != embedDim) {
            throw new IllegalArgumentException("MultiheadAttention: " + name + " must be [B, T, " + embedDim + "], got " + x.shape());
        }
    }

    @Override
    protected String extraRepr() {
        return "embed_dim=" + embedDim + ", num_heads=" + numHeads;
    }
}
