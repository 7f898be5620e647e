package dev.kiln.apps.prune;

import dev.kiln.apps.data.DataCommand;
import dev.kiln.apps.train.DataLoaderSource;
import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.prune.MagnitudePruning;
import dev.kiln.nn.prune.PruningMasks;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingListener;
import dev.kiln.optim.train.TrainingLoop;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln prune RUN_DIR --sparsity S --out DIR}: magnitude pruning of a {@code kiln train cnn}
 * run, optionally fine-tuned on the run's own training data with the masks re-applied after every
 * optimizer step; writes a run directory (model.safetensors, config.json, prune.json) that
 * {@code kiln eval} accepts. Unstructured pruning covers the weights of every Conv and Linear
 * layer; {@code --structured channels} zeroes whole output channels (weight rows and their bias)
 * of every layer but the classifier, whose outputs are the classes. A {@code kiln train gpt} run
 * is pruned without fine-tuning ({@link GptPruning}): single weights, or {@code --structured heads}.
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prune a trained model by weight magnitude, optionally fine-tune it, and write a new run directory.",
            "Supports kiln train cnn runs (and gpt runs without fine-tuning: single weights or --structured heads)."
                + " The output holds model.safetensors, config.json and prune.json"
                + " (sparsity and, for cnn, test accuracy before and after); kiln eval accepts it."})
public final class PruneCommand implements Callable<Integer> {
    /** Structured pruning granularities: output channels (cnn) or attention heads (gpt). */
    public enum Structure { channels, heads }

    /** Unstructured thresholds: one over all layers, or the same fraction of each. */
    public enum Scope { global, layer }

    /** Norms that rank output channels. */
    public enum Norm { l1, l2 }

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A kiln train cnn or gpt run directory.")
    Path run;

    @Option(names = "--sparsity", required = true, paramLabel = "S",
            description = "Fraction in [0, 1] of the weights (or, with --structured, of each layer's channels) to remove.")
    double sparsity;

    @Option(names = "--structured", paramLabel = "KIND", description = "Remove whole output channels (channels, cnn) or attention heads (heads, gpt) instead of single weights.")
    Structure structured;

    @Option(names = "--scope", description = "Unstructured: global (one threshold for all layers) or layer (default: ${DEFAULT-VALUE}).")
    Scope scope = Scope.global;

    @Option(names = "--norm", description = "Structured: the channel or head norm, l1 or l2 (default: ${DEFAULT-VALUE}).")
    Norm norm = Norm.l1;

    @Option(names = "--finetune-steps", paramLabel = "N", description = "AdamW steps on the training data after pruning (default: ${DEFAULT-VALUE}).")
    int finetuneSteps;

    @Option(names = "--lr", description = "Fine-tuning learning rate, constant (default: ${DEFAULT-VALUE}).")
    double lr = 5e-4;

    @Option(names = "--batch-size", description = "Fine-tuning batch size (default: the run's, else 64).")
    Integer batchSize;

    @Option(names = "--seed", description = "Seed of the fine-tuning shuffle (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--limit-train", paramLabel = "N", description = "Fine-tune on the first N training images only (0: all).")
    int limitTrain;

    @Option(names = "--limit-test", paramLabel = "N", description = "Measure accuracy on the first N test images only (0: all).")
    int limitTest;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root, as in kiln data (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The new run directory (must be empty or absent).")
    Path out;

    @Option(names = "--threads", description = "Compute threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Device.CPU.threads();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        check(sparsity >= 0 && sparsity <= 1, "--sparsity must be in [0, 1], got " + sparsity);
        check(finetuneSteps >= 0, "--finetune-steps must be >= 0, got " + finetuneSteps);
        check(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(batchSize == null || batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(limitTrain >= 0, "--limit-train must be >= 0, got " + limitTrain);
        check(limitTest >= 0, "--limit-test must be >= 0, got " + limitTest);
        check(threads >= 1, "--threads must be >= 1, got " + threads);
        check(Files.isDirectory(run), "RUN_DIR " + run + " is not a directory");
        Path modelFile = run.resolve("model.safetensors");
        check(Files.isRegularFile(modelFile), "RUN_DIR " + run + " has no model.safetensors (is the run finished?)");
        check(!Files.exists(out) || isEmptyDirectory(out), "--out " + out + " exists and is not empty");
        Map<String, String> metadata;
        try (Safetensors.Checkpoint c = Safetensors.load(modelFile)) {
            metadata = new LinkedHashMap<>(c.metadata());
        }
        String model = metadata.getOrDefault("model", "");
        boolean gpt = model.startsWith("kiln train gpt:");
        check(gpt || model.startsWith("kiln train cnn:"), run + " is not a kiln train cnn or gpt run (model \"" + model
                + "\"); kiln prune supports cnn and gpt runs");
        Map<String, Object> config = readConfig(run.resolve("config.json"));
        if (gpt) {
            check(structured != Structure.channels, "--structured channels is for cnn runs; a gpt run prunes heads or single weights");
            check(finetuneSteps == 0, "--finetune-steps is supported for cnn runs only; a gpt run is pruned without fine-tuning");
            int saved = Device.CPU.setThreads(threads);
            try {
                return GptPruning.prune(this, modelFile, metadata, config);
            } finally {
                Device.CPU.setThreads(saved);
            }
        }
        check(structured != Structure.heads, "--structured heads needs attention heads; a cnn run has none (use channels)");

        FashionMnist data;
        try {
            data = TrainedModels.fashionMnist(DataCommand.root(dataDir).resolve("fashion-mnist"), limitTrain, limitTest,
                    number(metadata, "input_mean"), number(metadata, "input_std"));
        } catch (FashionMnist.MissingException e) {
            PrintWriter stderr = spec.commandLine().getErr();
            stderr.println("kiln prune: Fashion-MNIST not found: " + e.getMessage() + "; fetch it with: ./kiln data fetch fashion-mnist"
                    + (dataDir != null ? " --data-dir " + dataDir : ""));
            stderr.flush();
            return 1;
        }
        int saved = Device.CPU.setThreads(threads);
        try {
            return prune(modelFile, metadata, config, data);
        } finally {
            Device.CPU.setThreads(saved);
        }
    }

    private int prune(Path modelFile, Map<String, String> metadata, Map<String, Object> config, FashionMnist data) throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Sequential model = TrainedModels.cnn(data.height(), data.width(), new Generator(0));
        TrainedModels.load(modelFile, model);
        double accuracyBefore = accuracy(model, data);

        PruningMasks masks = masks(model);
        double accuracyPruned = accuracy(model, data);
        stdout.printf(Locale.ROOT, "kiln prune: %s: %s, %d of %d entries removed (%.2f%%); test accuracy %.2f%% -> %.2f%%%n",
                run, method(), masks.prunedCount(), masks.totalCount(), 100 * masks.sparsity(), 100 * accuracyBefore,
                100 * accuracyPruned);
        double accuracyAfter = accuracyPruned;
        if (finetuneSteps > 0) {
            finetune(model, masks, data, config);
            accuracyAfter = accuracy(model, data);
            stdout.printf(Locale.ROOT, "fine-tuned %d steps: test accuracy %.2f%%%n", finetuneSteps, 100 * accuracyAfter);
        }

        Files.createDirectories(out);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.remove(Safetensors.CHECKSUM_KEY); // saveModule writes the new weights' own
        meta.put("test_accuracy", Double.toString(accuracyAfter));
        meta.put("pruning", method());
        meta.put("sparsity", Double.toString(masks.sparsity()));
        Safetensors.saveModule(out.resolve("model.safetensors"), model, meta);
        Map<String, Object> newConfig = new LinkedHashMap<>(config);
        newConfig.put("pruned_from", run.toAbsolutePath().toString());
        Files.writeString(out.resolve("config.json"), JsonFiles.writePretty(newConfig) + "\n");
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("source", run.toAbsolutePath().toString());
        report.put("method", method());
        report.put("requested_sparsity", sparsity);
        report.put("pruned", masks.prunedCount());
        report.put("total", masks.totalCount());
        report.put("sparsity", masks.sparsity());
        report.put("finetune_steps", finetuneSteps);
        report.put("test_images", data.test().size());
        report.put("test_accuracy_before", accuracyBefore);
        report.put("test_accuracy_pruned", accuracyPruned);
        report.put("test_accuracy_after", accuracyAfter);
        Files.writeString(out.resolve("prune.json"), JsonFiles.writePretty(report) + "\n");
        stdout.println("run directory: " + out + " (model.safetensors, config.json, prune.json)");
        stdout.flush();
        return 0;
    }

    private PruningMasks masks(Sequential model) {
        if (structured == Structure.channels) {
            Map<String, Module> layers = MagnitudePruning.prunableLayers(model);
            layers.remove(List.copyOf(layers.keySet()).getLast()); // the classifier's channels are the classes
            return MagnitudePruning.channels(layers, sparsity,
                    norm == Norm.l1 ? MagnitudePruning.Norm.L1 : MagnitudePruning.Norm.L2);
        }
        Map<String, Var> weights = MagnitudePruning.prunableWeights(model);
        return scope == Scope.global ? MagnitudePruning.globalUnstructured(weights, sparsity)
                : MagnitudePruning.layerUnstructured(weights, sparsity);
    }

    String method() {
        return structured != null
                ? String.format(Locale.ROOT, "%s %s %.4g", norm, structured, sparsity)
                : String.format(Locale.ROOT, "%s unstructured %.4g", scope, sparsity);
    }

    /** AdamW at a constant rate for {@code --finetune-steps} steps through the library loop; masks re-applied after each step. */
    private void finetune(Sequential model, PruningMasks masks, FashionMnist data, Map<String, Object> config) throws IOException {
        int batch = batchSize != null ? batchSize : config.get("batch_size") instanceof Number n ? n.intValue() : 64;
        model.train();
        AdamW opt = AdamW.builder(model.parameters()).lr(lr).weightDecay(0).build();
        Trainer<Batch> trainer = Trainer.builder(opt,
                (Batch b) -> Losses.crossEntropy(model.forward(Var.constant(b.get(0))), b.get(1))).build();
        try (DataLoader<Tensor[]> loader = DataLoader.builder(data.train(), data.collate()).batchSize(batch)
                .shuffle(new Generator(seed)).prefetch(2).build()) {
            TrainingListener reapply = new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> rec) {
                    masks.apply(); // Adam's momentum moves pruned weights off zero; put them back before the next forward
                }
            };
            TrainingLoop.builder(trainer, new DataLoaderSource<>(loader)).epochs(Integer.MAX_VALUE).maxSteps(finetuneSteps)
                    .evalEachEpoch(false).listener(reapply).build().fit();
        }
        model.eval();
    }

    /** Test-set accuracy in eval mode without autograd. */
    private static double accuracy(Sequential model, FashionMnist data) {
        model.eval();
        long correct = 0;
        long count = 0;
        try (NoGrad _ = NoGrad.enter();
                DataLoader<Tensor[]> loader = DataLoader.builder(data.test(), data.collate()).batchSize(500).build()) {
            for (Batch b : loader) {
                try (b; TensorScope _ = TensorScope.open()) {
                    Tensor logits = model.forward(Var.constant(b.get(0))).value();
                    correct += (long) logits.argmax(1, false).eq(b.get(1)).sum().item();
                    count += b.size();
                }
            }
        }
        return count == 0 ? Double.NaN : (double) correct / count;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new LinkedHashMap<>();
        }
        if (!(JsonFiles.read(file) instanceof Map<?, ?> m)) {
            throw new IOException(file + ": expected a JSON object");
        }
        return new LinkedHashMap<>((Map<String, Object>) m);
    }

    private double number(Map<String, String> metadata, String key) throws IOException {
        try {
            return Double.parseDouble(metadata.get(key));
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException(run.resolve("model.safetensors") + ": checkpoint metadata \"" + key + "\" must be a number, got "
                    + metadata.get(key), e);
        }
    }

    static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln prune: " + message);
        }
    }
}
