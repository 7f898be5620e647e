package dev.kiln.apps.eval;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What {@code kiln eval} reads from a training run directory: the checkpoint's metadata, the run's
 * config.json and which app wrote them. {@code out} is where the report goes.
 *
 * @param dir the run directory
 * @param model model.safetensors (may be absent for seq2seq, whose predictions.tsv suffices)
 * @param metadata the checkpoint's string metadata (empty without a checkpoint)
 * @param config config.json's settings (empty without one)
 * @param app cnn, rnn, gpt, seq2seq or classify
 * @param out the report directory (default RUN_DIR/eval)
 */
record RunFiles(Path dir, Path model, Map<String, String> metadata, Map<String, Object> config, String app, Path out) {
    /**
     * Reads {@code runDir} (or the directory of a model.safetensors file) and detects the app.
     *
     * @throws IllegalArgumentException when RUN_DIR names no model: a training checkpoint, or a
     *     directory without model.safetensors (empty, or a run that did not finish)
     * @throws dev.kiln.nn.io.SafetensorsFormatException for a truncated or corrupted model file
     */
    @SuppressWarnings("unchecked")
    static RunFiles read(Path runDirOrModel, Path out) throws IOException {
        Path dir = Files.isRegularFile(runDirOrModel) ? runDirOrModel.toAbsolutePath().getParent() : runDirOrModel;
        if (!Files.isDirectory(dir)) {
            throw new IOException("kiln eval: RUN_DIR " + runDirOrModel + " is neither a run directory nor a model file");
        }
        if (Files.isRegularFile(runDirOrModel) && runDirOrModel.getFileName().toString().endsWith(".ckpt")) {
            throw new IllegalArgumentException("kiln eval: " + runDirOrModel + ": a training checkpoint, not a model; pass the"
                    + " run directory, whose model.safetensors the finished run wrote (kiln train APP --out DIR --resume"
                    + " finishes an interrupted run)");
        }
        Path model = Files.isRegularFile(runDirOrModel) ? runDirOrModel : dir.resolve("model.safetensors");
        if (!Files.isRegularFile(model) && !Files.isRegularFile(dir.resolve("predictions.tsv"))) {
            throw new IllegalArgumentException("kiln eval: no model.safetensors in " + dir + " (" + holdings(dir) + ")");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        if (Files.isRegularFile(model)) {
            try (Safetensors.Checkpoint c = Safetensors.load(model)) {
                metadata.putAll(c.metadata());
            }
        }
        Map<String, Object> config = new LinkedHashMap<>();
        Path configFile = dir.resolve("config.json");
        if (Files.isRegularFile(configFile)) {
            if (!(JsonFiles.read(configFile) instanceof Map<?, ?> m)) {
                throw new IOException(configFile + ": expected a JSON object");
            }
            config.putAll((Map<String, Object>) m);
        }
        String app = detect(metadata, config, dir);
        Path reportDir = out == null ? dir.resolve("eval") : out; // not the run dir itself: seq2seq writes its own report.json there
        Files.createDirectories(reportDir);
        return new RunFiles(dir, model, metadata, config, app, reportDir);
    }

    /** The app named in the checkpoint's "model" metadata ("kiln train X: ..."), else guessed from the files. */
    static String detect(Map<String, String> metadata, Map<String, Object> config, Path dir) throws IOException {
        String model = metadata.getOrDefault("model", "");
        for (String app : new String[] {"cnn", "rnn", "gpt", "seq2seq", "classify"}) {
            if (model.startsWith("kiln train " + app + ":")) {
                return app;
            }
        }
        if (Files.isRegularFile(dir.resolve("predictions.tsv"))) {
            return "seq2seq";
        }
        if (Files.isRegularFile(dir.resolve("test_predictions.jsonl"))) {
            return "classify";
        }
        if (config.containsKey("cell") && config.containsKey("window")) {
            return "rnn";
        }
        if (config.containsKey("input_mean") && config.containsKey("test_images")) {
            return "cnn";
        }
        throw new IOException("kiln eval: cannot tell which app wrote " + dir + ": the checkpoint's \"model\" metadata is \""
                + model + "\" (expected \"kiln train cnn|rnn|gpt|seq2seq|classify: ...\") and config.json has no app's keys");
    }

    double metaDouble(String key) throws IOException {
        String v = metadata.get(key);
        try {
            return Double.parseDouble(v);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException(model + ": checkpoint metadata \"" + key + "\" must be a number, got " + v, e);
        }
    }

    int configInt(String key) throws IOException {
        if (!(config.get(key) instanceof Number n)) {
            throw new IOException(dir.resolve("config.json") + ": \"" + key + "\" must be a number, got " + config.get(key));
        }
        return n.intValue();
    }

    String configString(String key) throws IOException {
        if (!(config.get(key) instanceof String s)) {
            throw new IOException(dir.resolve("config.json") + ": \"" + key + "\" must be a string, got " + config.get(key));
        }
        return s;
    }

    /** What a directory without a model holds, for the error that says so. */
    private static String holdings(Path dir) throws IOException {
        List<String> names;
        try (Stream<Path> entries = Files.list(dir)) {
            names = entries.map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
        }
        if (names.isEmpty()) {
            return "the directory is empty";
        }
        if (names.contains("checkpoints/")) {
            return "it holds checkpoints/: the run did not finish; kiln train APP --out " + dir + " --resume finishes it";
        }
        return "it holds " + (names.size() <= 4 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 4)) + " and " + (names.size() - 4) + " more");
    }

    void requireModel() throws IOException {
        if (!Files.isRegularFile(model)) {
            throw new IOException("kiln eval: " + dir + " has no model.safetensors");
        }
    }
}
