package dev.kiln.apps.export;

import dev.kiln.apps.train.TrainedModels;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.onnx.OnnxExport;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxTransformerExport;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import onnx.Onnx.ModelProto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln export RUN_DIR --format onnx --out model.onnx}: the model of a training run as an
 * ONNX file (opset 17) for other runtimes. Exports kiln train cnn (input [batch, 1, 28, 28] of
 * normalised pixels → logits [batch, 10]), kiln train rnn (normalised hours [batch, time, 1] → the
 * normalised next hour [batch, 1]), kiln train classify (word ids "input_ids" INT64 [batch,
 * sequence], 0 = padding → "logits" [batch, 2]) and kiln train gpt (token ids "input_ids" → "logits"
 * [batch, sequence, vocab], no KV cache); sequence is at most the model's context, recorded as
 * metadata max_sequence_length. The normalisation constants and the vocabularies travel in the
 * file's metadata_props. Runs written by kiln quantize are refused (their int8 layers have no rule).
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Export a training run's model for other runtimes.",
            "ONNX (opset 17) for runs of kiln train cnn, rnn, classify and gpt; the input normalisation"
                + " (input_mean, input_std) or the vocabulary (vocab) is in the file's metadata."})
public final class ExportCommand implements Callable<Integer> {
    /** Export formats. */
    public enum Format { onnx }

    /** Fashion-MNIST's image size: cnn runs that predate input_height / input_width were trained on it. */
    static final int IMAGE_SIZE = 28;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run directory of kiln train cnn, rnn, classify or gpt.")
    Path run;

    @Option(names = "--format", description = "Output format (default: ${DEFAULT-VALUE}).")
    Format format = Format.onnx;

    @Option(names = "--out", paramLabel = "FILE", description = "Where the file goes (default: RUN_DIR/model.onnx).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path model = run.resolve("model.safetensors");
        if (!Files.isRegularFile(model)) {
            throw usage("no model.safetensors in RUN_DIR " + run + (Files.isDirectory(run) ? "" : " (not a directory)"));
        }
        Map<String, String> metadata;
        try (Safetensors.Checkpoint c = Safetensors.load(model)) {
            metadata = new LinkedHashMap<>(c.metadata());
        }
        String description = metadata.getOrDefault("model", "");
        if (metadata.containsKey(Quantizer.FORMAT_KEY)) {
            throw usage(run + " holds a model written by kiln quantize; --format onnx exports float models (export the run it"
                    + " was quantized from)");
        }
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kiln_model", description);
        for (String key : new String[] {"input_mean", "input_std", "input_height", "input_width", "window", "vocab"}) {
            if (metadata.containsKey(key)) {
                props.put(key, metadata.get(key));
            }
        }
        ModelProto onnx;
        if (description.startsWith("kiln train cnn:")) {
            int height = imageSide(metadata, "input_height");
            int width = imageSide(metadata, "input_width");
            Sequential cnn = TrainedModels.cnn(height, width, new Generator(0));
            TrainedModels.load(model, cnn);
            onnx = OnnxExport.model("kiln_cnn", cnn, props, new Object[] {"batch", 1, height, width},
                    new Object[] {"batch", 10});
        } else if (description.startsWith("kiln train rnn:")) {
            Map<String, Object> config = config(run.resolve("config.json"));
            onnx = TrainedModels.forecasterOnnx(model, string(config, "cell"), integer(config, "hidden"),
                    integer(config, "layers"), props);
        } else if (description.startsWith("kiln train classify:")) {
            TransformerClassifier classifier = TrainedModels.classifier(modelConfig(metadata));
            TrainedModels.load(model, classifier);
            onnx = OnnxTransformerExport.classifier("kiln_classifier", classifier, props);
        } else if (description.startsWith("kiln train gpt:")) {
            Gpt gpt = TrainedModels.gpt(modelConfig(metadata));
            TrainedModels.load(model, gpt);
            onnx = OnnxTransformerExport.gpt("kiln_gpt", gpt, props);
        } else {
            throw usage(run + " holds a model of \"" + description + "\"; --format onnx exports runs of kiln train cnn, rnn,"
                    + " classify and gpt");
        }
        Path file = out != null ? out : run.resolve("model.onnx");
        OnnxGraph.write(onnx, file);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf("wrote %s (ONNX opset %d, %d nodes, %,d bytes)%n", file, OnnxGraph.OPSET,
                onnx.getGraph().getNodeCount(), Files.size(file));
        stdout.flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), "kiln export: " + message);
    }

    /** A cnn run's image side from its checkpoint metadata, {@link #IMAGE_SIZE} when absent. */
    private int imageSide(Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            return IMAGE_SIZE;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw usage(run + ": checkpoint metadata " + key + " must be an integer, got \"" + v + "\"");
        }
    }

    /** The architecture a classify or gpt run recorded in its checkpoint metadata ("config", a JSON object). */
    @SuppressWarnings("unchecked")
    private Map<String, Object> modelConfig(Map<String, String> metadata) throws IOException {
        String text = metadata.get("config");
        if (text == null || !(JsonFiles.parse(text, run + " metadata config") instanceof Map<?, ?> m)) {
            throw new IOException(run.resolve("model.safetensors") + ": checkpoint metadata has no \"config\" object");
        }
        return (Map<String, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> config(Path file) throws IOException {
        if (!Files.isRegularFile(file) || !(JsonFiles.read(file) instanceof Map<?, ?> m)) {
            throw new IOException(file + ": expected the run's config.json (a JSON object)");
        }
        return (Map<String, Object>) m;
    }

    private static int integer(Map<String, Object> config, String key) throws IOException {
        if (!(config.get(key) instanceof Number n)) {
            throw new IOException("config.json: \"" + key + "\" must be a number, got " + config.get(key));
        }
        return n.intValue();
    }

    private static String string(Map<String, Object> config, String key) throws IOException {
        if (!(config.get(key) instanceof String s)) {
            throw new IOException("config.json: \"" + key + "\" must be a string, got " + config.get(key));
        }
        return s;
    }
}
