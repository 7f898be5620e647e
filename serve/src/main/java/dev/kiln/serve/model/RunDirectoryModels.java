package dev.kiln.serve.model;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds a servable model from a {@code kiln train} run directory: the app is named by the
 * checkpoint's {@code "model"} metadata ({@code "kiln train cnn: ..."}); the architecture and
 * preprocessing come from the same metadata (cnn: input_mean, input_std, input_height,
 * input_width; classify: config and vocab) and the weights from model.safetensors (strict load).
 */
public final class RunDirectoryModels {
    private RunDirectoryModels() {}

    /**
     * The model of {@code runDir} (or of a model.safetensors file).
     *
     * @throws IllegalArgumentException when the directory holds no model, or one of an app the server
     *     does not serve yet (rnn, gpt, seq2seq)
     * @throws IOException when the files cannot be read or their metadata is malformed
     */
    public static ServedModel load(Path runDir) throws IOException {
        Path model = Files.isRegularFile(runDir) ? runDir : runDir.resolve("model.safetensors");
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("kiln serve: RUN_DIR " + runDir + " has no model.safetensors"
                    + (Files.isDirectory(runDir) ? " (did the training run finish?)" : " (no such directory)"));
        }
        Map<String, String> meta;
        try (Safetensors.Checkpoint c = Safetensors.load(model)) {
            meta = Map.copyOf(c.metadata());
        }
        String kind = meta.getOrDefault("model", "");
        if (kind.startsWith("kiln train cnn:")) {
            return cnn(model, meta);
        }
        if (kind.startsWith("kiln train classify:")) {
            return classify(model, meta);
        }
        throw new IllegalArgumentException("kiln serve: " + model + ": metadata \"model\" is \"" + kind
                + "\"; serving supports kiln train cnn and classify runs so far");
    }

    private static ServedModel cnn(Path file, Map<String, String> meta) throws IOException {
        int height = metaInt(file, meta, "input_height", 28); // runs before input_height was recorded are 28x28
        int width = metaInt(file, meta, "input_width", 28);
        Sequential net = ConvNet.build(height, width, new Generator(0));
        Safetensors.loadModule(file, net, true);
        net.eval();
        return new ImageClassifierModel(net, height, width, metaDouble(file, meta, "input_mean"),
                metaDouble(file, meta, "input_std"), ConvNet.CLASSES);
    }

    private static ServedModel classify(Path file, Map<String, String> meta) throws IOException {
        if (!(JsonFiles.parse(meta.getOrDefault("config", "null"), "metadata config") instanceof Map<?, ?> c)) {
            throw new IOException(file + ": metadata \"config\" must be a JSON object");
        }
        if (!(JsonFiles.parse(meta.getOrDefault("vocab", "null"), "metadata vocab") instanceof List<?> words)) {
            throw new IOException(file + ": metadata \"vocab\" must be a JSON list of words");
        }
        List<String> vocab = new ArrayList<>();
        for (Object w : words) {
            vocab.add(String.valueOf(w));
        }
        TransformerClassifier.Config config = new TransformerClassifier.Config(configInt(file, c, "vocab_size"),
                configInt(file, c, "max_len"), configInt(file, c, "layers"), configInt(file, c, "width"),
                configInt(file, c, "heads"), configInt(file, c, "mlp"), 0.0, configInt(file, c, "classes"));
        TransformerClassifier net = new TransformerClassifier(config, new Generator(0));
        Safetensors.loadModule(file, net, true);
        net.eval();
        return new TextClassifierModel(net, WordVocabulary.of(vocab));
    }

    private static int configInt(Path file, Map<?, ?> config, String key) throws IOException {
        if (!(config.get(key) instanceof Number n)) {
            throw new IOException(file + ": metadata config \"" + key + "\" must be a number, got " + config.get(key));
        }
        return n.intValue();
    }

    private static int metaInt(Path file, Map<String, String> meta, String key, int fallback) throws IOException {
        String v = meta.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata \"" + key + "\" must be an integer, got " + v, e);
        }
    }

    private static double metaDouble(Path file, Map<String, String> meta, String key) throws IOException {
        String v = meta.get(key);
        try {
            return Double.parseDouble(v);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException(file + ": metadata \"" + key + "\" must be a number, got " + v, e);
        }
    }
}
