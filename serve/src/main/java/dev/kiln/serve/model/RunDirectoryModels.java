package dev.kiln.serve.model;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.serve.openai.GenerationLimits;
import dev.kiln.serve.openai.GenerativeModel;
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
 * input_width; classify: config and vocab; rnn: window, input_mean, input_std, with cell, hidden
 * and layers from the run's config.json; seq2seq: config, letters, phones; gpt: config, and vocab
 * or the run's tokenizer.json) and the weights from model.safetensors (strict load).
 */
public final class RunDirectoryModels {
    private RunDirectoryModels() {}

    /**
     * The model of {@code runDir} (or of a model.safetensors file).
     *
     * @throws IllegalArgumentException when the directory holds no model, or one of an app the server
     *     does not serve
     * @throws IOException when the files cannot be read or their metadata is malformed
     */
    public static ServedModel load(Path runDir) throws IOException {
        return load(runDir, GenerationLimits.DEFAULT);
    }

    /**
     * The model of {@code runDir} (or of a model.safetensors file); a gpt run's generation takes
     * on at most {@code limits} at once.
     *
     * @throws IllegalArgumentException when the directory holds no model, or one of an app the server
     *     does not serve
     * @throws IOException when the files cannot be read or their metadata is malformed
     */
    public static ServedModel load(Path runDir, GenerationLimits limits) throws IOException {
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
        if (kind.startsWith("kiln train rnn:")) {
            return rnn(model, meta);
        }
        if (kind.startsWith("kiln train seq2seq:")) {
            return seq2seq(model, meta);
        }
        if (kind.startsWith("kiln train gpt:")) {
            return gpt(model, meta, limits);
        }
        throw new IllegalArgumentException("kiln serve: " + model + ": metadata \"model\" is \"" + kind
                + "\"; expected a run of kiln train cnn, rnn, classify, seq2seq or gpt");
    }

    private static ServedModel cnn(Path file, Map<String, String> meta) throws IOException {
        int height = metaInt(file, meta, "input_height", 28); // runs before input_height was recorded are 28x28
        int width = metaInt(file, meta, "input_width", 28);
        Sequential net = ConvNet.build(height, width, new Generator(0));
        loadWeights(file, net);
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
        loadWeights(file, net);
        net.eval();
        return new TextClassifierModel(net, WordVocabulary.of(vocab));
    }

    private static ServedModel rnn(Path file, Map<String, String> meta) throws IOException {
        Path configFile = file.toAbsolutePath().getParent().resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(file + ": an rnn run needs its config.json (cell, hidden, layers) beside model.safetensors");
        }
        if (!(JsonFiles.parse(Files.readString(configFile), configFile.toString()) instanceof Map<?, ?> c)) {
            throw new IOException(configFile + " must hold a JSON object");
        }
        Forecaster.Cell cell;
        try {
            cell = Forecaster.Cell.valueOf(String.valueOf(c.get("cell")));
        } catch (IllegalArgumentException e) {
            throw new IOException(configFile + ": \"cell\" must be lstm or gru, got " + c.get("cell"), e);
        }
        Forecaster net = new Forecaster(cell, configInt(configFile, c, "hidden"), configInt(configFile, c, "layers"),
                new Generator(0));
        loadWeights(file, net);
        net.eval();
        return new ForecasterModel(net, metaInt(file, meta, "window", configInt(configFile, c, "window")),
                metaDouble(file, meta, "input_mean"), metaDouble(file, meta, "input_std"));
    }

    private static ServedModel seq2seq(Path file, Map<String, String> meta) throws IOException {
        if (!(JsonFiles.parse(meta.getOrDefault("config", "null"), "metadata config") instanceof Map<?, ?> c)) {
            throw new IOException(file + ": metadata \"config\" must be a JSON object");
        }
        EncoderDecoder.Config config = new EncoderDecoder.Config(configInt(file, c, "src_vocab"), configInt(file, c, "tgt_vocab"),
                configInt(file, c, "max_len"), configInt(file, c, "width"), configInt(file, c, "heads"),
                configInt(file, c, "mlp"), configInt(file, c, "encoder_layers"), configInt(file, c, "decoder_layers"), 0.0,
                configInt(file, c, "pad_id"));
        EncoderDecoder net = new EncoderDecoder(config, new Generator(0));
        loadWeights(file, net);
        net.eval();
        return new PronunciationModel(net, vocabulary(file, meta, "letters", List.of("<pad>", "<unk>"), "<unk>"),
                vocabulary(file, meta, "phones", List.of("<pad>", "<s>", "</s>"), null));
    }

    private static ServedModel gpt(Path file, Map<String, String> meta, GenerationLimits limits) throws IOException {
        if (!(JsonFiles.parse(meta.getOrDefault("config", "null"), "metadata config") instanceof Map<?, ?> c)) {
            throw new IOException(file + ": metadata \"config\" must be a JSON object");
        }
        Gpt net;
        try {
            net = new Gpt(GptConfigJson.fromJson(c), new Generator(0));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        loadWeights(file, net);
        net.eval();
        return GenerativeModel.of(net, TextTokenizer.ofRun(file.toAbsolutePath().getParent(), meta), limits);
    }

    /** The vocabulary kiln train seq2seq recorded under {@code key}: its specials first, then its symbols. */
    private static TokenVocabulary vocabulary(Path file, Map<String, String> meta, String key, List<String> specials,
                                              String unknown) throws IOException {
        if (!(JsonFiles.parse(meta.getOrDefault(key, "null"), "metadata " + key) instanceof List<?> tokens)
                || tokens.size() < specials.size()
                || !tokens.subList(0, specials.size()).equals(specials)) {
            throw new IOException(file + ": metadata \"" + key + "\" must be a JSON list of tokens starting with " + specials);
        }
        List<String> symbols = new ArrayList<>();
        for (Object t : tokens.subList(specials.size(), tokens.size())) {
            symbols.add(String.valueOf(t));
        }
        return new TokenVocabulary(specials, symbols, unknown);
    }

    /**
     * Loads the weights of {@code file} into {@code net} (strict names and shapes); a checkpoint
     * written by {@code kiln quantize} loads its int8 layers through {@link Quantizer#load}, so a
     * quantized run directory serves like any other.
     */
    private static void loadWeights(Path file, Module net) throws IOException {
        boolean quantized;
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            quantized = c.metadata().containsKey(Quantizer.FORMAT_KEY);
        }
        if (quantized) {
            Quantizer.load(file, net);
        } else {
            Safetensors.loadModule(file, net, true);
        }
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
