package dev.kiln.nn.transformer;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ModuleList;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * A sequence-to-sequence transformer (the encoder-decoder of "Attention Is All You Need", pre-norm):
 * source tokens -> embedding + learned positions -> encoder layers -> final norm ("memory");
 * target tokens -> embedding + positions -> decoder layers (causal self-attention, cross-attention
 * over the memory) -> final norm -> a linear head over the target vocabulary.
 */
public final class EncoderDecoder extends Module {
    /** Model shape; padding tokens ({@code padId}, or -1 for none) are masked as keys. */
    public record Config(int srcVocab, int tgtVocab, int maxLen, int dModel, int nHeads, int dFeedForward,
                         int encoderLayers, int decoderLayers, double dropout, int padId) {}

    public final Config config;
    public final Embedding srcEmbed;
    public final Embedding tgtEmbed;
    public final Embedding positions;
    public final ModuleList<TransformerEncoderLayer> encoder;
    public final LayerNorm encoderNorm;
    public final ModuleList<TransformerDecoderLayer> decoder;
    public final LayerNorm decoderNorm;
    public final Linear head;

    public EncoderDecoder(Config c, Generator g) {
        Generator gen = g == null ? Init.globalGenerator() : g;
        this.config = c;
        srcEmbed = registerModule("src_embed", new Embedding(c.srcVocab(), c.dModel(), -1, gen));
        tgtEmbed = registerModule("tgt_embed", new Embedding(c.tgtVocab(), c.dModel(), -1, gen));
        positions = registerModule("positions", new Embedding(c.maxLen(), c.dModel(), -1, gen));
        for (Embedding e : new Embedding[] {srcEmbed, tgtEmbed, positions}) {
            Init.normal(e.weight.value(), 0, 0.02, gen);
        }
        encoder = registerModule("encoder", new ModuleList<>());
        for (int i = 0; i < c.encoderLayers(); i++) {
            encoder.add(new TransformerEncoderLayer(c.dModel(), c.nHeads(), c.dFeedForward(), c.dropout(), true, gen));
        }
        encoderNorm = registerModule("encoder_norm", new LayerNorm(c.dModel()));
        decoder = registerModule("decoder", new ModuleList<>());
        for (int i = 0; i < c.decoderLayers(); i++) {
            decoder.add(new TransformerDecoderLayer(c.dModel(), c.nHeads(), c.dFeedForward(), c.dropout(), true, gen));
        }
        decoderNorm = registerModule("decoder_norm", new LayerNorm(c.dModel()));
        head = registerModule("head", new Linear(c.dModel(), c.tgtVocab(), false, gen));
    }

    private Var embed(Embedding table, Tensor tokens) {
        int t = tokens.size(1);
        if (t > config.maxLen()) {
            throw new IllegalArgumentException("EncoderDecoder: sequence length " + t + " exceeds maxLen " + config.maxLen());
        }
        try (dev.kiln.tensor.DeviceScope _ = dev.kiln.tensor.DeviceScope.enter(tokens.device());
             Tensor pos = Tensor.arange(0, t, 1, DType.I64)) {
            return table.forward(tokens).add(positions.forward(pos.reshape(1, t)));
        }
    }

    /** BOOL [B, T], true at padding tokens; null when the model has no padding id. */
    public Tensor paddingMask(Tensor tokens) {
        return config.padId() < 0 ? null : tokens.eq(config.padId());
    }

    /** The encoder output [B, S, dModel] for source tokens [B, S]. */
    public Var encode(Tensor src) {
        checkTokens("src", src);
        Tensor pad = paddingMask(src);
        Var x = embed(srcEmbed, src);
        for (TransformerEncoderLayer layer : encoder) {
            x = layer.forward(x, pad);
        }
        return encoderNorm.forward(x);
    }

    /** Logits [B, T, tgtVocab] for target tokens [B, T] given the memory of {@link #encode}. */
    public Var decode(Tensor tgt, Var memory, Tensor srcPaddingMask) {
        checkTokens("tgt", tgt);
        Var x = embed(tgtEmbed, tgt);
        Tensor tgtPad = paddingMask(tgt);
        for (TransformerDecoderLayer layer : decoder) {
            x = layer.forward(x, memory, tgtPad, srcPaddingMask);
        }
        return head.forward(decoderNorm.forward(x));
    }

    /** Teacher-forced logits [B, T, tgtVocab]. */
    public Var forward(Tensor src, Tensor tgt) {
        return decode(tgt, encode(src), paddingMask(src));
    }

    /** Greedy decoding of one source sequence, starting from {@code bos}, for {@code maxSteps} tokens (or until {@code eos}). */
    public long[] translateGreedy(long[] src, long bos, long eos, int maxSteps) {
        long[] out = {bos};
        try (NoGrad _ = NoGrad.enter()) {
            Tensor s = Tensor.fromArray(src, 1, src.length);
            Var memory = encode(s);
            Tensor srcPad = paddingMask(s);
            for (int i = 0; i < maxSteps && out.length < config.maxLen(); i++) {
                Var logits = decode(Tensor.fromArray(out, 1, out.length), memory, srcPad);
                long next;
                try (Tensor last = logits.value().narrow(1, out.length - 1, 1).reshape(-1); Tensor arg = last.argmax()) {
                    next = arg.toLongArray()[0];
                }
                out = java.util.Arrays.copyOf(out, out.length + 1);
                out[out.length - 1] = next;
                if (next == eos) {
                    break;
                }
            }
        }
        return out;
    }

    private void checkTokens(String name, Tensor tokens) {
        if (tokens.rank() != 2 || (tokens.dtype() != DType.I64 && tokens.dtype() != DType.I32)) {
            throw new IllegalArgumentException("EncoderDecoder: " + name + " must be integer tokens [B, T], got "
                    + tokens.dtype() + " " + tokens.shape());
        }
    }
}
