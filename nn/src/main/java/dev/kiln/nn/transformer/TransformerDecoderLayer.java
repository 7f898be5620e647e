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
 * torch.nn.TransformerDecoderLayer with batch_first=True and norm_first=True: causal
 * self-attention, then cross-attention over the encoder's output ("memory"), then the MLP, each
 * as a pre-norm residual. Parameter names match torch's.
 */
public final class TransformerDecoderLayer extends Module {
    public final MultiheadAttention selfAttn;
    public final MultiheadAttention multiheadAttn;
    public final Linear linear1;
    public final Linear linear2;
    public final LayerNorm norm1;
    public final LayerNorm norm2;
    public final LayerNorm norm3;
    private final Dropout dropout;
    private final Dropout dropout1;
    private final Dropout dropout2;
    private final Dropout dropout3;
    private final boolean gelu;

    public TransformerDecoderLayer(int dModel, int nHead, int dimFeedforward, double dropoutP, boolean gelu, Generator g) {
        Generator gen = g == null ? Init.globalGenerator() : g;
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nHead, gen));
        multiheadAttn = registerModule("multihead_attn", new MultiheadAttention(dModel, nHead, gen));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, true, gen));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, true, gen));
        norm1 = registerModule("norm1", new LayerNorm(dModel));
        norm2 = registerModule("norm2", new LayerNorm(dModel));
        norm3 = registerModule("norm3", new LayerNorm(dModel));
        dropout = registerModule("dropout", new Dropout(dropoutP, gen.split()));
        dropout1 = registerModule("dropout1", new Dropout(dropoutP, gen.split()));
        dropout2 = registerModule("dropout2", new Dropout(dropoutP, gen.split()));
        dropout3 = registerModule("dropout3", new Dropout(dropoutP, gen.split()));
        this.gelu = gelu;
    }

    /**
     * @param x target sequence [B, T, dModel] (attends causally to itself)
     * @param memory encoder output [B, S, dModel]
     * @param memoryKeyPaddingMask BOOL [B, S] (true = padding) or null
     */
    public Var forward(Var x, Var memory, Tensor tgtKeyPaddingMask, Tensor memoryKeyPaddingMask) {
        Var h = norm1.forward(x);
        x = x.add(dropout1.forward(selfAttn.forward(h, h, h, true, tgtKeyPaddingMask)));
        x = x.add(dropout2.forward(multiheadAttn.forward(norm2.forward(x), memory, memory, false, memoryKeyPaddingMask)));
        Var a = linear1.forward(norm3.forward(x));
        return x.add(dropout3.forward(linear2.forward(dropout.forward(gelu ? a.gelu() : a.relu()))));
    }
}
