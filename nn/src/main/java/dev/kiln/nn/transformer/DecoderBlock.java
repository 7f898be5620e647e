package dev.kiln.nn.transformer;

import dev.kiln.autograd.Var;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Module;
import dev.kiln.nn.attention.KVCache;
import dev.kiln.nn.attention.RotaryEmbedding;
import dev.kiln.nn.attention.SelfAttention;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * A pre-norm GPT decoder block: {@code x + attn(ln_1(x))}, then {@code x + mlp(ln_2(x))}, with
 * causal grouped-query self-attention (optional RoPE) and a GELU MLP.
 */
public final class DecoderBlock extends Module {
    public final LayerNorm ln1;
    public final SelfAttention attn;
    public final LayerNorm ln2;
    public final FeedForward mlp;

    public DecoderBlock(int dModel, int nHeads, int nKvHeads, int dFeedForward, RotaryEmbedding rope, Generator g) {
        ln1 = registerModule("ln_1", new LayerNorm(dModel));
        attn = registerModule("attn", new SelfAttention(dModel, nHeads, nKvHeads, true, true, rope, g));
        ln2 = registerModule("ln_2", new LayerNorm(dModel));
        mlp = registerModule("mlp", new FeedForward(dModel, dFeedForward, g));
    }

    /** x [B, T, dModel]; cache may be null (full sequence). */
    public Var forward(Var x, Tensor keyPaddingMask, KVCache cache) {
        Var h = x.add(attn.forward(ln1.forward(x), keyPaddingMask, cache));
        return h.add(mlp.forward(ln2.forward(h)));
    }
}
