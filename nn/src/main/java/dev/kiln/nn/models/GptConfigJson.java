package dev.kiln.nn.models;

import dev.kiln.nn.transformer.Gpt;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code "config"} JSON object {@code kiln train gpt} writes into its checkpoint metadata, and
 * back: {@code vocab_size}, {@code max_seq_len}, {@code layers}, {@code width}, {@code heads},
 * {@code mlp} and {@code tied_embeddings}. The apps' GPT has learned positions and as many key/value
 * heads as query heads, so those two fields are not recorded. Every command that rebuilds a gpt run
 * (eval, quantize, prune, serve) reads it here, so the architecture always matches the writer's.
 */
public final class GptConfigJson {
    private GptConfigJson() {}

    /** {@code c} as the JSON-able map kiln train gpt records. */
    public static Map<String, Object> toJson(Gpt.Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab_size", c.vocabSize());
        m.put("max_seq_len", c.maxSeqLen());
        m.put("layers", c.nLayers());
        m.put("width", c.dModel());
        m.put("heads", c.nHeads());
        m.put("mlp", c.dFeedForward());
        m.put("tied_embeddings", c.tiedEmbeddings());
        return m;
    }

    /**
     * The model shape recorded in {@code config} (a parsed JSON object).
     *
     * @throws IllegalArgumentException naming the key when a number is missing or not a number
     */
    public static Gpt.Config fromJson(Map<?, ?> config) {
        int heads = intOf(config, "heads");
        return new Gpt.Config(intOf(config, "vocab_size"), intOf(config, "max_seq_len"), intOf(config, "layers"),
                intOf(config, "width"), heads, heads, intOf(config, "mlp"), false,
                Boolean.TRUE.equals(config.get("tied_embeddings")));
    }

    private static int intOf(Map<?, ?> config, String key) {
        if (!(config.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("gpt checkpoint metadata \"config\": \"" + key + "\" must be a number, got "
                    + config.get(key));
        }
        return n.intValue();
    }
}
