package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Dataset;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.onnx.OnnxExport;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorProto;

/**
 * The training apps' models and data, rebuilt from a run directory for {@code kiln eval}: the same
 * constructors and data readers the apps use (so a checkpoint always meets the architecture that
 * wrote it), exposed publicly without widening the apps' own package-private classes.
 */
public final class TrainedModels {
    private TrainedModels() {}

    /** {@code kiln train cnn}'s ConvNet for {@code h x w} images, freshly initialised from {@code seed}. */
    public static Sequential cnn(int height, int width, Generator g) {
        return CnnCommand.model(height, width, g);
    }

    /** Fashion-MNIST (or a data set in its layout) in {@code dir}, normalised with the given training statistics. */
    public static FashionMnist fashionMnist(Path dir, int limitTrain, int limitTest, double mean, double std) throws IOException {
        FashionMnist read = FashionMnist.read(dir, limitTrain, limitTest);
        return new FashionMnist(read.train(), read.test(), mean, std, read.height(), read.width());
    }

    /** A trained next-hour forecaster: normalised windows [B, T, 1] → normalised next hour [B]. */
    public interface HourForecast {
        float[] predict(Tensor windows);
    }

    /**
     * {@code kiln train rnn}'s model with the weights of {@code modelFile}; {@code cell} is
     * {@code lstm} or {@code gru}.
     */
    public static HourForecast forecaster(Path modelFile, String cell, int hidden, int layers) throws IOException {
        Forecaster.Cell c;
        try {
            c = Forecaster.Cell.valueOf(cell);
        } catch (IllegalArgumentException e) {
            throw new IOException(modelFile + ": config.json cell must be lstm or gru, got " + cell, e);
        }
        Forecaster model = new Forecaster(c, hidden, layers, new Generator(0));
        Safetensors.loadModule(modelFile, model, true);
        model.eval();
        return windows -> {
            try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
                return model.forward(Var.constant(windows)).value().toFloatArray();
            }
        };
    }

    /**
     * {@code kiln train rnn}'s model with the weights of {@code modelFile} as an ONNX model: input
     * "input" [batch, time, 1] of normalised hours, output "output" [batch, 1] the normalised next hour.
     */
    public static ModelProto forecasterOnnx(Path modelFile, String cell, int hidden, int layers, Map<String, String> metadata)
            throws IOException {
        Forecaster.Cell c;
        try {
            c = Forecaster.Cell.valueOf(cell);
        } catch (IllegalArgumentException e) {
            throw new IOException(modelFile + ": config.json cell must be lstm or gru, got " + cell, e);
        }
        Forecaster model = new Forecaster(c, hidden, layers, new Generator(0));
        Safetensors.loadModule(modelFile, model, true);
        OnnxGraph g = new OnnxGraph("kiln_rnn_forecaster");
        String x = g.input("input", TensorProto.DataType.FLOAT, "batch", "time", 1);
        g.output(forecasterNodes(g, model, x), "output", TensorProto.DataType.FLOAT, "batch", 1);
        return g.toModel(metadata);
    }

    /** {@link Forecaster#forward} as ONNX nodes: x [B, T, 1] → [B, 1], the last step taken with Slice(-1) along time. */
    private static String forecasterNodes(OnnxGraph g, Forecaster model, String x) {
        String out = OnnxExport.recurrent(g, model.rnn(), x); // [B, T, H]
        String lastStep = g.longs("last_start", -1);
        String end = g.longs("last_end", Long.MAX_VALUE);
        String timeAxis = g.longs("time_axis", 1);
        String last = g.node("Squeeze", List.of(g.node("Slice", List.of(out, lastStep, end, timeAxis)), timeAxis)); // [B, H]
        String lastHour = g.node("Squeeze", List.of(g.node("Slice", List.of(x, lastStep, end, timeAxis)), timeAxis)); // [B, 1]
        return g.node("Add", List.of(OnnxExport.linear(g, model.head(), last), lastHour));
    }

    /** The Seattle hourly series cut into windows of {@code window} hours, as {@code kiln train rnn} reads it. */
    public static HourlySeries hourlySeries(Path dir, int window) throws IOException {
        return HourlySeries.read(dir, window);
    }

    /** {@code kiln train gpt}'s model rebuilt from the {@code config} JSON its checkpoint metadata carries. */
    public static Gpt gpt(Map<String, Object> config) {
        return new Gpt(GptConfigJson.fromJson(config), new Generator(0));
    }

    /**
     * {@code kiln train classify}'s model rebuilt from the {@code config} JSON its checkpoint
     * metadata carries (dropout 0: the rebuilt model is for inference), as {@code kiln serve} does.
     */
    public static TransformerClassifier classifier(Map<String, Object> config) {
        TransformerClassifier.Config c = new TransformerClassifier.Config(intOf(config, "vocab_size", "classify"),
                intOf(config, "max_len", "classify"), intOf(config, "layers", "classify"), intOf(config, "width", "classify"),
                intOf(config, "heads", "classify"), intOf(config, "mlp", "classify"), 0.0, intOf(config, "classes", "classify"));
        return new TransformerClassifier(c, new Generator(0));
    }

    private static int intOf(Map<String, Object> config, String key, String app) {
        if (!(config.get(key) instanceof Number n)) {
            throw new IllegalArgumentException(app + " checkpoint metadata \"config\": \"" + key + "\" must be a number, got "
                    + config.get(key));
        }
        return n.intValue();
    }

    /** The tokenizer a gpt run used ({@link TextTokenizer#ofRun}). */
    public static TextTokenizer gptTokens(Path runDir, Map<String, String> metadata) throws IOException {
        return TextTokenizer.ofRun(runDir, metadata);
    }

    /**
     * The validation text of a gpt run: the same documents {@code kiln train gpt} held out (every
     * tenth of the first {@code limitDocs}, or the last when there are fewer than ten), joined by newlines.
     */
    public static String brownValidationText(Path dir, int limitDocs) throws IOException {
        List<BrownText.Document> docs = BrownText.read(dir, limitDocs);
        StringBuilder val = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            if (GptCorpus.isValidationDocument(i, docs.size())) {
                val.append(docs.get(i).text()).append('\n');
            }
        }
        return val.toString();
    }

    /**
     * The training text of a gpt run: the documents {@code kiln train gpt} trained on (the first
     * {@code limitDocs}, 0 for all, less the held-out ones of {@link #brownValidationText}), joined by newlines.
     */
    public static String brownTrainingText(Path dir, int limitDocs) throws IOException {
        List<BrownText.Document> docs = BrownText.read(dir, limitDocs);
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            if (!GptCorpus.isValidationDocument(i, docs.size())) {
                train.append(docs.get(i).text()).append('\n');
            }
        }
        return train.toString();
    }

    /**
     * Loads {@code modelFile} into {@code module} (strict names and shapes); a checkpoint written by
     * {@code kiln quantize} (metadata {@value Quantizer#FORMAT_KEY}) loads its int8 layers through
     * {@link Quantizer#load}, so every command that reads a run also reads a quantized one.
     */
    public static void load(Path modelFile, Module module) throws IOException {
        boolean quantized;
        try (Safetensors.Checkpoint c = Safetensors.load(modelFile)) {
            quantized = c.metadata().containsKey(Quantizer.FORMAT_KEY);
        }
        if (quantized) {
            Quantizer.load(modelFile, module);
        } else {
            Safetensors.loadModule(modelFile, module, true);
        }
    }

    /** The examples of {@code data} at {@code indices}, in that order. */
    public static <T> Dataset<T> select(Dataset<T> data, int[] indices) {
        return new Dataset<>() {
            @Override
            public int size() {
                return indices.length;
            }

            @Override
            public T get(int index) {
                return data.get(indices[index]);
            }
        };
    }
}
