package dev.kiln.apps.quant;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.apps.train.TrainedModels;
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
 * {@code kiln quantize RUN_DIR --out DIR}: post-training dynamic int8 quantization of a cnn or gpt
 * run. Every Linear and Conv2d gets per-output-channel symmetric int8 weights (activations are
 * quantized per row at run time); the output directory is a copy of the run with model.safetensors
 * replaced by the quantized checkpoint, so {@code kiln eval DIR} scores it like any run.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize a training run's Linear and Conv2d layers to int8 (dynamic, per-channel symmetric).",
            "Runs of kiln train cnn and gpt. Writes a run directory (--out) that kiln eval accepts and reports the"
                + " model size before and after."})
public final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run directory of kiln train cnn or gpt.")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The quantized run directory (must not exist or be empty).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
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
        Quantizer.Report report = Quantizer.quantize(net);
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
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "quantized %d Linear and %d Conv2d layers to int8%s%n", report.linear().size(),
                report.conv2d().size(), report.skipped().isEmpty() ? "" : " (kept in F32: " + report.skipped() + ")");
        stdout.printf(Locale.ROOT, "model.safetensors: %.2f MiB -> %.2f MiB (%.2fx smaller)%n", before / 1048576.0,
                after / 1048576.0, (double) before / after);
        stdout.printf("wrote %s (evaluate it with: kiln eval %s)%n", out, out);
        return 0;
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
