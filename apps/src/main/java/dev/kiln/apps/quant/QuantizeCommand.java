package dev.kiln.apps.quant;

import dev.kiln.apps.data.DataCommand;
import dev.kiln.apps.train.BrownText;
import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.nn.Module;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln quantize RUN_DIR --out DIR [--activations dynamic|static] [--calibration-batches N]}:
 * post-training int8 quantization of a cnn or gpt run. Every Linear and Conv2d gets
 * per-output-channel symmetric int8 weights; activations are quantized per row at run time
 * (dynamic) or with one scale per layer fixed from N batches of the run's training data
 * ({@link Calibration}, static). The output directory is a copy of the run with model.safetensors
 * replaced by the quantized checkpoint, so {@code kiln eval DIR} scores it like any run.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize a training run's Linear and Conv2d layers to int8 (per-channel symmetric weights).",
            "Runs of kiln train cnn and gpt. Activations: dynamic (per row, at run time) or static (one scale per layer,"
                + " the max |input| over --calibration-batches batches of the run's training data). Writes a run"
                + " directory (--out) that kiln eval accepts and reports the model size before and after."})
public final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run directory of kiln train cnn or gpt.")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The quantized run directory (must not exist or be empty).")
    Path out;

    @Option(names = "--activations", paramLabel = "MODE", description = "dynamic or static (default: ${DEFAULT-VALUE}).")
    String activations = "dynamic";

    @Option(names = "--calibration-batches", paramLabel = "N", description = "Training batches (of the run's --batch-size)"
            + " the static scales are calibrated on (default: ${DEFAULT-VALUE}).")
    int calibrationBatches = 32;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root for static calibration, as in kiln data"
            + " (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!activations.equals("dynamic") && !activations.equals("static")) {
            throw usage("--activations must be dynamic or static, got " + activations);
        }
        boolean isStatic = activations.equals("static");
        if (calibrationBatches < 1) {
            throw usage("--calibration-batches must be >= 1, got " + calibrationBatches);
        }
        Path model = run.resolve("model.safetensors");
        if (!Files.isRegularFile(model)) {
            throw usage("RUN_DIR " + run + " has no model.safetensors (a finished kiln train cnn or gpt run has one)");
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw usage("--out " + out + " is not empty");
                }
            }
        }
        Map<String, String> metadata;
        Map<String, Tensor> tensors;
        try (Safetensors.Checkpoint c = Safetensors.load(model)) {
            metadata = new LinkedHashMap<>(c.metadata());
            if (metadata.containsKey(Quantizer.FORMAT_KEY)) {
                throw usage(model + " is already quantized (" + Quantizer.FORMAT_KEY + "=" + metadata.get(Quantizer.FORMAT_KEY) + ")");
            }
            tensors = new LinkedHashMap<>();
            c.tensors().forEach((k, t) -> tensors.put(k, t.copy()));
        }
        Module net = architecture(metadata, tensors, model);
        TrainedModels.load(model, net);
        PrintWriter stdout = spec.commandLine().getOut();
        Quantizer.Report report;
        if (isStatic) {
            Calibration.Result c = calibrate(net, metadata, model);
            stdout.printf(Locale.ROOT, "calibrated %d layers' input scales (max |input| / 127) on %d batches, %d %s%n",
                    c.inputScales().size(), c.batches(), c.examples(), c.unit());
            report = Quantizer.quantizeStatic(net, c.inputScales());
        } else {
            report = Quantizer.quantize(net);
        }
        Files.createDirectories(out);
        try (Stream<Path> files = Files.list(run)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("model.safetensors")) {
                    Files.copy(f, out.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path quantized = out.resolve("model.safetensors");
        Quantizer.save(quantized, net, metadata);
        tensors.values().forEach(Tensor::close);
        long before = Files.size(model);
        long after = Files.size(quantized);
        stdout.printf(Locale.ROOT, "quantized %d Linear and %d Conv2d layers to int8, %s activations%s%n",
                report.linear().size(), report.conv2d().size(), activations,
                report.skipped().isEmpty() ? "" : " (kept in F32: " + report.skipped() + ")");
        stdout.printf(Locale.ROOT, "model.safetensors: %.2f MiB -> %.2f MiB (%.2fx smaller)%n", before / 1048576.0,
                after / 1048576.0, (double) before / after);
        stdout.printf("wrote %s (evaluate it with: kiln eval %s)%n", out, out);
        return 0;
    }

    /** Runs {@link Calibration} for the run's app; missing data is a clear error naming the fetch command. */
    @SuppressWarnings("unchecked")
    private Calibration.Result calibrate(Module net, Map<String, String> metadata, Path model) throws IOException {
        Map<String, Object> config = Map.of();
        Path configFile = run.resolve("config.json");
        if (Files.isRegularFile(configFile) && JsonFiles.read(configFile) instanceof Map<?, ?> m) {
            config = (Map<String, Object>) m;
        }
        Path root = DataCommand.root(dataDir);
        try {
            return switch (net) {
                case Gpt gpt -> Calibration.gpt(gpt, run, root.resolve("brown"), metadata, config, calibrationBatches,
                        Calibration.batchSize(config, 12));
                case Sequential cnn -> Calibration.cnn(cnn, root.resolve("fashion-mnist"), metadata, calibrationBatches,
                        Calibration.batchSize(config, 64));
                default -> throw usage("no calibration data for " + model);
            };
        } catch (FashionMnist.MissingException | BrownText.MissingException e) {
            throw usage("static calibration needs the run's training data: " + e.getMessage() + "; fetch it with ./kiln data"
                    + " fetch " + (net instanceof Gpt ? "brown" : "fashion-mnist") + " (or pass --data-dir)");
        } catch (IOException | IllegalArgumentException e) {
            throw usage("static calibration failed: " + e.getMessage());
        }
    }

    /** A fresh F32 model of the run's architecture, from the checkpoint's metadata (and, for cnn, its shapes). */
    @SuppressWarnings("unchecked")
    private Module architecture(Map<String, String> metadata, Map<String, Tensor> tensors, Path model) throws IOException {
        String kind = metadata.getOrDefault("model", "");
        if (kind.startsWith("kiln train cnn")) {
            Tensor fc = tensors.get("7.weight");
            if (fc == null || fc.rank() != 2 || fc.size(1) % 64 != 0) {
                throw usage(model + " is not a kiln train cnn checkpoint: no [128, 64·a·b] tensor '7.weight'");
            }
            // The ConvNet's weights depend on the image size only through fc1's input 64·a·b (a·b the
            // pooled map). Height 10 pools to a = 1, width 4·b + 6 to b = a·b: the same architecture.
            return TrainedModels.cnn(10, 4 * (fc.size(1) / 64) + 6, new Generator(0));
        }
        if (kind.startsWith("kiln train gpt")) {
            String config = metadata.get("config");
            if (config == null || !(JsonFiles.parse(config, model + " metadata config") instanceof Map<?, ?> cfg)) {
                throw usage(model + ": checkpoint metadata has no \"config\" object");
            }
            return TrainedModels.gpt((Map<String, Object>) cfg);
        }
        throw usage("kiln quantize handles runs of kiln train cnn and gpt; " + model + " has model metadata \"" + kind + "\"");
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), "kiln quantize: " + message);
    }
}
