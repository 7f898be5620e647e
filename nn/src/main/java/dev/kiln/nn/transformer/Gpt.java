package dev.kiln.nn.transformer;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ModuleList;
import dev.kiln.nn.attention.KVCache;
import dev.kiln.nn.attention.RotaryEmbedding;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * A GPT decoder-only language model: token embedding (+ learned position embedding, unless RoPE),
 * pre-norm {@link DecoderBlock}s, a final LayerNorm and an LM head, optionally tied to the token
 * embedding (the head then reuses {@code wte.weight}).
 */
public final class Gpt extends Module {
    /** Model shape. {@code rope} replaces learned positions with rotary embeddings in every block. */
    public record Config(int vocabSize, int maxSeqLen, int nLayers, int dModel, int nHeads, int nKvHeads, int dFeedForward,
                         boolean rope, boolean tiedEmbeddings) {}

    public final Config config;
    public final Embedding wte;
    /** Null with RoPE. */
    public final Embedding wpe;
    public final ModuleList<DecoderBlock> blocks;
    public final LayerNorm lnF;
    /** Null when tied. */
    public final Linear lmHead;

    public Gpt(Config c, Generator g) {
        Generator gen = g == null ? Init.globalGenerator() : g;
        this.config = c;
        wte = registerModule("wte", new Embedding(c.vocabSize(), c.dModel(), -1, gen));
        Init.normal(wte.weight.value(), 0, 0.02, gen); // GPT-2's initialisation
        if (c.rope()) {
            wpe = null;
        } else {
            wpe = registerModule("wpe", new Embedding(c.maxSeqLen(), c.dModel(), -1, gen));
            Init.normal(wpe.weight.value(), 0, 0.01, gen);
        }
        RotaryEmbedding rope = c.rope() ? new RotaryEmbedding(c.dModel() / c.nHeads(), c.maxSeqLen()) : null;
        blocks = registerModule("blocks", new ModuleList<>());
        for (int i = 0; i < c.nLayers(); i++) {
            blocks.add(new DecoderBlock(c.dModel(), c.nHeads(), c.nKvHeads(), c.dFeedForward(), rope, gen));
        }
        lnF = registerModule("ln_f", new LayerNorm(c.dModel()));
        lmHead = c.tiedEmbeddings() ? null : registerModule("lm_head", new Linear(c.dModel(), c.vocabSize(), false, gen));
    }

    /** Logits [B, T, vocab] for token ids [B, T] (I64). */
    public Var forward(Tensor tokens) {
        return forward(tokens, null);
    }

    /**
     * @param caches one per block for incremental decoding (tokens are then the new tokens only,
     *     at positions continuing from the caches' length), or null
     */
    public Var forward(Tensor tokens, KVCache[] caches) {
        if (tokens.rank() != 2) {
            throw new IllegalArgumentException("Gpt: tokens must be [B, T], got shape " + tokens.shape());
        }
        int t = tokens.size(1);
        int past = caches == null ? 0 : caches[0].length();
        if (past + t > config.maxSeqLen()) {
            throw new IllegalArgumentException("Gpt: positions up to " + (past + t) + " exceed maxSeqLen " + config.maxSeqLen());
        }
        if (caches != null && caches.length != blocks.size()) {
            throw new IllegalArgumentException("Gpt: need one KV cache per block (" + blocks.size() + "), got " + caches.length);
        }
        Var x = wte.forward(tokens);
        if (wpe != null) {
            try (dev.kiln.tensor.DeviceScope _ = dev.kiln.tensor.DeviceScope.enter(tokens.device());
                 Tensor positions = Tensor.arange(past, past + t, 1, dev.kiln.tensor.DType.I64)) {
                x = x.add(wpe.forward(positions.reshape(1, t)));
            }
        }
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(x, null, caches == null ? null : caches[i]);
        }
        x = lnF.forward(x);
        return lmHead != null ? lmHead.forward(x) : Functional.linear(x, wte.weight, null);
    }

    /** Fresh, empty KV caches, one per block. */
    public KVCache[] newCaches() {
        KVCache[] c = new KVCache[blocks.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = new KVCache();
        }
        return c;
    }

    /**
     * Greedy decoding: feeds the prompt [1, T] once, then one token at a time through the KV
     * caches, appending the most likely next token {@code steps} times. Runs under NoGrad.
     */
    public long[] generateGreedy(long[] prompt, int steps) {
        long[] out = java.util.Arrays.copyOf(prompt, prompt.length + steps);
        KVCache[] caches = newCaches();
        try (NoGrad _ = NoGrad.enter()) {
            Tensor input = Tensor.fromArray(prompt, 1, prompt.length);
            for (int s = 0; s < steps; s++) {
                Var logits = forward(input, caches);
                int last = logits.value().size(1) - 1;
                try (Tensor lastRow = logits.value().narrow(1, last, 1).reshape(-1); Tensor arg = lastRow.argmax()) {
                    out[prompt.length + s] = arg.toLongArray()[0];
                }
                input = Tensor.fromArray(new long[] {out[prompt.length + s]}, 1, 1);
            }
        }
        for (KVCache c : caches) {
            c.clear();
        }
        return out;
    }
}
