package dev.kiln.nn.transformer;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.attention.MultiheadAttention;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * torch.nn.TransformerEncoderLayer with batch_first=True and norm_first=True (pre-norm):
 * {@code x + dropout(self_attn(norm1(x)))}, then {@code x + dropout(linear2(dropout(act(linear1(norm2(x))))))}.
 * Parameter names match torch's, so its state dict loads directly.
 */
public final class TransformerEncoderLayer extends Module {
    public final MultiheadAttention selfAttn;
    public final Linear linear1;
    public final Linear linear2;
    public final LayerNorm norm1;
    public final LayerNorm norm2;
    private final Dropout dropout;
    private final Dropout dropout1;
    private final Dropout dropout2;
    private final boolean gelu;

    /** @param gelu GELU activation (torch's "gelu"); false gives ReLU (torch's default) */
    public TransformerEncoderLayer(int dModel, int nHead, int dimFeedforward, double dropoutP, boolean gelu, Generator g) {
        Generator gen = g == null ? Init.globalGenerator() : g;
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nHead, gen));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, true, gen));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, true, gen));
        norm1 = registerModule("norm1", new LayerNorm(dModel));
        norm2 = registerModule("norm2", new LayerNorm(dModel));
        dropout = registerModule("dropout", new Dropout(dropoutP, gen.split()));
        dropout1 = registerModule("dropout1", new Dropout(dropoutP, gen.split()));
        dropout2 = registerModule("dropout2", new Dropout(dropoutP, gen.split()));
        this.gelu = gelu;
    }

    /** True for the exact GELU activation in the feed-forward, false for ReLU. */
    public boolean usesGelu() {
        return gelu;
    }

    /** x [B, T, dModel]; srcKeyPaddingMask BOOL [B, T] (true = padding) or null. */
    public Var forward(Var x, Tensor srcKeyPaddingMask) {
        Var h = norm1.forward(x);
        x = x.add(dropout1.forward(selfAttn.forward(h, h, h, false, srcKeyPaddingMask)));
        return x.add(dropout2.forward(feedForward(norm2.forward(x))));
    }

    private Var feedForward(Var x) {
        Var a = linear1.forward(x);
        return linear2.forward(dropout.forward(gelu ? a.gelu() : a.relu()));
    }
}
