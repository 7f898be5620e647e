package dev.kiln.nn.generate;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.attention.Attention;
import dev.kiln.nn.attention.KVCache;
import dev.kiln.nn.attention.RotaryEmbedding;
import dev.kiln.nn.attention.SelfAttention;
import dev.kiln.nn.transformer.DecoderBlock;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Gpt} as a {@link DecodeModel}, with one {@link KVCache} per block per sequence.
 *
 * <p>Batching choice: per-sequence caches, batched per step. Everything position-wise (embedding,
 * layer norms, the q/k/v/o projections, the MLP, the LM head) runs once over all rows as
 * [rows, 1, dModel]; only attention runs row by row, each row's query against its own cache
 * (each row has its own length and position, so there is no padding and no mask). That keeps a
 * row's numbers independent of its neighbours': a row of a matrix product does not depend on
 * the other rows. The prompt is prefilled through {@link Gpt#forward(Tensor, KVCache[])}, as
 * {@link Gpt#generateGreedy} does. Runs under NoGrad; put the model in eval mode first.
 */
public final class GptDecodeModel implements DecodeModel {
    private final Gpt gpt;

    public GptDecodeModel(Gpt gpt) {
        if (gpt == null) {
            throw new IllegalArgumentException("GptDecodeModel: gpt must not be null");
        }
        this.gpt = gpt;
    }

    @Override
    public int vocabSize() {
        return gpt.config.vocabSize();
    }

    @Override
    public int maxSeqLen() {
        return gpt.config.maxSeqLen();
    }

    @Override
    public SequenceCache newCache() {
        return new GptCache(gpt.newCaches());
    }

    @Override
    public float[] prefill(SequenceCache cache, long[] prompt) {
        GptCache c = own(cache);
        if (prompt.length == 0 || c.length() + prompt.length > maxSeqLen()) {
            throw new IllegalArgumentException("GptDecodeModel.prefill: prompt of " + prompt.length + " tokens must be non-empty and fit "
                    + "maxSeqLen " + maxSeqLen() + " after " + c.length() + " cached positions");
        }
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Tensor logits = gpt.forward(Tensor.fromArray(prompt, 1, prompt.length), c.blocks).value();
            return logits.narrow(1, prompt.length - 1, 1).reshape(-1).toFloatArray();
        }
    }

    @Override
    public float[] step(List<SequenceCache> caches, long[] tokens) {
        int rows = tokens.length;
        if (caches.size() != rows || rows == 0) {
            throw new IllegalArgumentException("GptDecodeModel.step: need one cache per token and at least one row, got " + caches.size()
                    + " caches and " + rows + " tokens");
        }
        long[] positions = new long[rows];
        GptCache[] own = new GptCache[rows];
        for (int r = 0; r < rows; r++) {
            own[r] = own(caches.get(r));
            positions[r] = own[r].length();
            if (positions[r] + 1 > maxSeqLen()) {
                throw new IllegalArgumentException("GptDecodeModel.step: row " + r + " is full (" + positions[r] + " of maxSeqLen "
                        + maxSeqLen() + " positions)");
            }
        }
        int d = gpt.config.dModel();
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Var x = gpt.wte.forward(Tensor.fromArray(tokens, rows, 1)); // [rows, 1, d]
            if (gpt.wpe != null) {
                x = x.add(gpt.wpe.forward(Tensor.fromArray(positions, rows, 1)));
            }
            for (int i = 0; i < gpt.blocks.size(); i++) {
                DecoderBlock block = gpt.blocks.get(i);
                x = x.add(attend(block.attn, block.ln1.forward(x), own, i));
                x = x.add(block.mlp.forward(block.ln2.forward(x)));
            }
            x = gpt.lnF.forward(x);
            Var logits = gpt.lmHead != null ? gpt.lmHead.forward(x) : Functional.linear(x, gpt.wte.weight, null);
            return logits.value().reshape(rows, vocabSize()).contiguous().toFloatArray();
        }
    }

    /** SelfAttention.forward for one new position per row, each row against its own cache: h [rows, 1, d] -> [rows, 1, d]. */
    private static Var attend(SelfAttention attn, Var h, GptCache[] rows, int block) {
        int n = rows.length;
        int hd = attn.headDim;
        Var q = attn.qProj.forward(h);
        Var k = attn.kProj.forward(h);
        Var v = attn.vProj.forward(h);
        RotaryEmbedding rope = attn.rope();
        List<Var> outs = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            KVCache cache = rows[r].blocks[block];
            int past = cache.length();
            Var qr = q.narrow(0, r, 1).reshape(1, 1, attn.nHeads, hd).transpose(1, 2);
            Var kr = k.narrow(0, r, 1).reshape(1, 1, attn.nKvHeads, hd).transpose(1, 2);
            Var vr = v.narrow(0, r, 1).reshape(1, 1, attn.nKvHeads, hd).transpose(1, 2);
            if (rope != null) {
                qr = rope.apply(qr, past);
                kr = rope.apply(kr, past);
            }
            Tensor[] kv = cache.append(kr.value(), vr.value());
            outs.add(Attention.scaledDotProduct(qr, Var.constant(kv[0]), Var.constant(kv[1]), attn.causal, null));
        }
        Var y = n == 1 ? outs.get(0) : Var.cat(outs, 0); // [rows, H, 1, hd]
        return attn.oProj.forward(y.transpose(1, 2).reshape(n, 1, attn.nHeads * hd));
    }

    private static GptCache own(SequenceCache cache) {
        if (!(cache instanceof GptCache c)) {
            throw new IllegalArgumentException("GptDecodeModel: cache must come from this model's newCache(), got "
                    + (cache == null ? "null" : cache.getClass().getName()));
        }
        return c;
    }

    private static final class GptCache implements SequenceCache {
        final KVCache[] blocks;

        GptCache(KVCache[] blocks) {
            this.blocks = blocks;
        }

        @Override
        public int length() {
            return blocks[0].length();
        }

        @Override
        public void close() {
            for (KVCache c : blocks) {
                c.clear();
            }
        }
    }
}
