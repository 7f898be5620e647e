package dev.kiln.nn.models;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ModuleList;
import dev.kiln.nn.init.Init;
import dev.kiln.nn.transformer.TransformerEncoderLayer;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The text classifier of {@code kiln train classify} (and what {@code kiln serve} rebuilds from its run directory): token embedding + learned positions → dropout →
 * {@code layers} pre-norm {@link TransformerEncoderLayer}s (GELU) whose attention ignores padding
 * keys → final LayerNorm → the mean over the non-padding positions → a linear head over the
 * classes. Token ids are {@code [B, T]} with {@link #PAD} (0) as padding; the
 * padding row of the embedding is zero and gets no gradient. State-dict names: {@code
 * tok_embed.weight}, {@code pos_embed.weight}, {@code layers.0.self_attn.in_proj_weight} ...
 * (torch's encoder-layer names), {@code norm.*}, {@code head.*}.
 */
public final class TransformerClassifier extends Module {
    /** The padding id (the word vocabulary's, {@code WordVocabulary.PAD} in kiln-data): embedded as zeros, ignored by attention and pooling. */
    public static final int PAD = 0;

    /**
     * The model's shape.
     *
     * @param vocabSize token ids, padding and unknown included
     * @param maxLen the longest sequence (learned positions)
     * @param layers encoder layers
     * @param width model width
     * @param heads attention heads
     * @param feedForward feed-forward width
     * @param dropout dropout in the embeddings and encoder layers
     * @param classes output classes
     */
    public record Config(int vocabSize, int maxLen, int layers, int width, int heads, int feedForward, double dropout,
                  int classes) {}

    /** The shape this model was built with. */
    public final Config config;
    private final Embedding tokEmbed;
    private final Embedding posEmbed;
    private final ModuleList<TransformerEncoderLayer> layers;
    private final LayerNorm norm;
    private final Linear head;
    private final Dropout embedDropout;

    /** A freshly initialised model of shape {@code c}, drawing its weights and dropout masks from {@code g}. */
    public TransformerClassifier(Config c, Generator g) {
        this.config = c;
        tokEmbed = registerModule("tok_embed", new Embedding(c.vocabSize(), c.width(), PAD, g));
        posEmbed = registerModule("pos_embed", new Embedding(c.maxLen(), c.width(), -1, g));
        // GPT-2's small initialisation: unit-variance embeddings would swamp the residual stream at the start
        Init.normal(tokEmbed.weight.value(), 0, 0.02, g);
        try (Tensor padRow = tokEmbed.weight.value().narrow(0, PAD, 1)) {
            Init.zeros(padRow);
        }
        Init.normal(posEmbed.weight.value(), 0, 0.01, g);
        embedDropout = registerModule("embed_dropout", new Dropout(c.dropout(), g.split()));
        layers = registerModule("layers", new ModuleList<>());
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new TransformerEncoderLayer(c.width(), c.heads(), c.feedForward(), c.dropout(), true, g));
        }
        norm = registerModule("norm", new LayerNorm(c.width()));
        head = registerModule("head", new Linear(c.width(), c.classes(), true, g));
    }

    /** Logits [B, classes] for token ids [B, T] (I64, T &lt;= maxLen, padding = 0, at least one real token per row). */
    public Var forward(Tensor ids) {
        if (ids.rank() != 2 || ids.dtype() != DType.I64) {
            throw new IllegalArgumentException("TransformerClassifier: ids must be I64 [B, T], got " + ids.dtype() + " "
                    + ids.shape());
        }
        int b = ids.size(0);
        int t = ids.size(1);
        if (t > config.maxLen()) {
            throw new IllegalArgumentException("TransformerClassifier: sequence length " + t + " exceeds maxLen "
                    + config.maxLen());
        }
        Tensor padding = ids.eq(PAD);                       // BOOL [B, T], true = ignore
        Tensor keep = ids.gt(PAD).to(DType.F32).reshape(b, t, 1); // 1 at real tokens (ids are >= 0)
        Var x;
        try (Tensor pos = Tensor.arange(0, t, 1, DType.I64)) {
            x = tokEmbed.forward(ids).add(posEmbed.forward(pos.reshape(1, t)));
        }
        x = embedDropout.forward(x);
        for (TransformerEncoderLayer layer : layers) {
            x = layer.forward(x, padding);
        }
        Var h = norm.forward(x);                                           // [B, T, d]
        Var summed = h.mul(Var.constant(keep)).sum(new int[] {1}, false);  // [B, d]
        Tensor counts = keep.sum(new int[] {1}, false);                    // [B, 1]
        return head.forward(summed.div(Var.constant(counts)));
    }

    /** The token embedding ({@code tok_embed}). */
    public Embedding tokenEmbedding() {
        return tokEmbed;
    }

    /** The learned position embedding ({@code pos_embed}), [maxLen, width]. */
    public Embedding positionEmbedding() {
        return posEmbed;
    }

    /** The encoder layers, in order (an unmodifiable list). */
    public List<TransformerEncoderLayer> layers() {
        List<TransformerEncoderLayer> list = new ArrayList<>();
        layers.forEach(list::add);
        return Collections.unmodifiableList(list);
    }

    /** The final LayerNorm, applied before pooling. */
    public LayerNorm norm() {
        return norm;
    }

    /** The linear head over the pooled features. */
    public Linear head() {
        return head;
    }

    /** Parameters outside the embedding tables: what the per-token FLOPs scale with. */
    public long nonEmbeddingParameters() {
        return parameterCount() - tokEmbed.weight.value().numel() - posEmbed.weight.value().numel();
    }

    @Override
    protected String extraRepr() {
        return "masked mean pooling over " + config.maxLen() + " positions";
    }

    /** Training FLOPs per token: 6 per non-embedding weight plus 6·L·T·d for attention at mean batch length T. */
    public double trainFlopsPerToken(double meanLength) {
        return 6.0 * nonEmbeddingParameters() + 6.0 * config.layers() * meanLength * config.width();
    }
}
