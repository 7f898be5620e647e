package dev.kiln.serve;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tiny run directories laid out as {@code kiln train cnn}, {@code classify} and {@code gpt} write them
 * (model.safetensors with the apps' metadata keys), with seeded random weights: the server's tests
 * need the files and the architectures, not a trained model.
 */
final class TinyRuns {
    static final int SIDE = 12;
    static final double MEAN = 0.3;
    static final double STD = 0.25;
    static final List<String> WORDS = List.of("free", "money", "now", "meeting", "tomorrow", "click", "here", "lunch");
    static final TransformerClassifier.Config TEXT = new TransformerClassifier.Config(WORDS.size() + 2, 16, 1, 16, 2, 32, 0.0, 2);

    private TinyRuns() {}

    /** The seed of {@link #cnnModel()} and {@link #cnn(Path)}. */
    static final long CNN_SEED = 7;

    static Sequential cnnModel() {
        return cnnModel(CNN_SEED);
    }

    /** The ConvNet with weights drawn from {@code seed}: different seeds make versions that answer differently. */
    static Sequential cnnModel(long seed) {
        return ConvNet.build(SIDE, SIDE, new Generator(seed));
    }

    static Path cnn(Path dir) throws IOException {
        return cnn(dir, CNN_SEED);
    }

    /** A kiln train cnn run of {@link #cnnModel(long)}. */
    static Path cnn(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "kiln train cnn: conv32-conv64-fc128-fc10");
        meta.put("input_mean", Double.toString(MEAN));
        meta.put("input_std", Double.toString(STD));
        meta.put("input_height", Integer.toString(SIDE));
        meta.put("input_width", Integer.toString(SIDE));
        Safetensors.saveModule(dir.resolve("model.safetensors"), cnnModel(seed), meta);
        return dir;
    }

    static TransformerClassifier textModel() {
        TransformerClassifier m = new TransformerClassifier(TEXT, new Generator(11));
        m.eval();
        return m;
    }

    static Path classify(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("vocab_size", TEXT.vocabSize());
        config.put("max_len", TEXT.maxLen());
        config.put("layers", TEXT.layers());
        config.put("width", TEXT.width());
        config.put("heads", TEXT.heads());
        config.put("mlp", TEXT.feedForward());
        config.put("dropout", TEXT.dropout());
        config.put("classes", TEXT.classes());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "kiln train classify: Transformer encoder, spam (1) vs ham (0) on SpamAssassin");
        meta.put("config", JsonFiles.write(config));
        meta.put("vocab", JsonFiles.write(WORDS));
        Safetensors.saveModule(dir.resolve("model.safetensors"), textModel(), meta);
        return dir;
    }

    /** The characters of the tiny gpt run (ids 1..; id 0 is the unknown token). */
    static final List<String> LETTERS = List.of(" ", "a", "b", "c", "d", "e", "h", "l", "o", "r", "w");

    /** A one-block character GPT with a context of {@code context} positions and seeded random weights. */
    static Gpt gptModel(int context) {
        Gpt m = new Gpt(new Gpt.Config(LETTERS.size() + 1, context, 1, 16, 2, 2, 32, false, true), new Generator(5));
        m.eval();
        return m;
    }

    /** A kiln train gpt run of {@link #gptModel} with a character vocabulary. */
    static Path gpt(Path dir, int context) throws IOException {
        Files.createDirectories(dir);
        Gpt model = gptModel(context);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "kiln train gpt: GPT on the Brown corpus, characters");
        meta.put("config", JsonFiles.write(GptConfigJson.toJson(model.config)));
        meta.put("vocab", JsonFiles.write(LETTERS));
        Safetensors.saveModule(dir.resolve("model.safetensors"), model, meta);
        return dir;
    }
}
