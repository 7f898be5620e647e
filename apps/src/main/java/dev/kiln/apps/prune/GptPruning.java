package dev.kiln.apps.prune;

import dev.kiln.apps.train.TrainedModels;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.prune.MagnitudePruning;
import dev.kiln.nn.prune.PruningMasks;
import dev.kiln.nn.transformer.Gpt;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kiln prune} of a {@code kiln train gpt} run: the weights of every Linear (attention
 * projections, MLP, an untied LM head; not the embeddings), or with {@code --structured heads}
 * the query heads of every block. No fine-tuning and no accuracy here: {@code kiln eval DIR}
 * measures the pruned model's perplexity on the run's corpus.
 */
final class GptPruning {
    private GptPruning() {}

    @SuppressWarnings("unchecked")
    static int prune(PruneCommand cmd, Path modelFile, Map<String, String> metadata, Map<String, Object> config) throws IOException {
        String configText = metadata.get("config");
        if (configText == null || !(JsonFiles.parse(configText, modelFile + " metadata config") instanceof Map<?, ?> cfg)) {
            throw new IOException(modelFile + ": checkpoint metadata has no \"config\" object (not a kiln train gpt checkpoint?)");
        }
        Gpt model = TrainedModels.gpt((Map<String, Object>) cfg);
        TrainedModels.load(modelFile, model);
        PruningMasks masks = cmd.structured == PruneCommand.Structure.heads
                ? MagnitudePruning.heads(MagnitudePruning.attentionLayers(model), cmd.sparsity,
                        cmd.norm == PruneCommand.Norm.l1 ? MagnitudePruning.Norm.L1 : MagnitudePruning.Norm.L2)
                : cmd.scope == PruneCommand.Scope.global
                        ? MagnitudePruning.globalUnstructured(MagnitudePruning.prunableWeights(model), cmd.sparsity)
                        : MagnitudePruning.layerUnstructured(MagnitudePruning.prunableWeights(model), cmd.sparsity);

        Path out = cmd.out;
        Files.createDirectories(out);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.remove(Safetensors.CHECKSUM_KEY); // saveModule writes the new weights' own
        meta.put("pruning", cmd.method());
        meta.put("sparsity", Double.toString(masks.sparsity()));
        Safetensors.saveModule(out.resolve("model.safetensors"), model, meta);
        Map<String, Object> newConfig = new LinkedHashMap<>(config);
        newConfig.put("pruned_from", cmd.run.toAbsolutePath().toString());
        Files.writeString(out.resolve("config.json"), JsonFiles.writePretty(newConfig) + "\n");
        Path tokenizer = cmd.run.resolve("tokenizer.json"); // a BPE run's eval needs its tokenizer
        if (Files.isRegularFile(tokenizer)) {
            Files.copy(tokenizer, out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("source", cmd.run.toAbsolutePath().toString());
        report.put("method", cmd.method());
        report.put("requested_sparsity", cmd.sparsity);
        report.put("pruned", masks.prunedCount());
        report.put("total", masks.totalCount());
        report.put("sparsity", masks.sparsity());
        report.put("finetune_steps", 0);
        Files.writeString(out.resolve("prune.json"), JsonFiles.writePretty(report) + "\n");

        PrintWriter stdout = cmd.spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "kiln prune: %s: %s, %d of %d entries removed (%.2f%%)%n", cmd.run, cmd.method(),
                masks.prunedCount(), masks.totalCount(), 100 * masks.sparsity());
        stdout.println("run directory: " + out + " (model.safetensors, config.json, prune.json); kiln eval " + out
                + " measures its perplexity");
        stdout.flush();
        return 0;
    }
}
