package dev.kiln.apps.train;

import dev.kiln.tensor.Device;
import dev.kiln.apps.data.DataCommand;
import dev.kiln.optim.train.NonFiniteLossPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options every {@code kiln train} app shares (a picocli mixin): where the data is, where the
 * run goes, how many threads, and a JSON settings file; plus the start-up steps they imply.
 */
public final class RunOptions {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root, as in kiln data (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "DIR", description = "The run directory (default: runs/<app>-<yyyyMMdd-HHmmss>).")
    Path out;

    @Option(names = "--threads", description = "Compute threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Device.CPU.threads();

    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (.json, or .yaml/.yml) keyed by option name; flags override it.")
    Path config;

    @Option(names = "--resume", description = "Continue the run in --out from its newest checkpoint (same settings;"
            + " the data order, generators, optimizer and schedule resume exactly).")
    boolean resume;

    @Option(names = "--force", description = "Start a new run in a non-empty --out: deletes what kiln train wrote there"
            + " (checkpoints/, eval/, metrics, model, plots, reports); other files are left alone.")
    boolean force;

    @Option(names = "--on-nonfinite", paramLabel = "POLICY", description = "When a step's loss is NaN or infinite: stop"
            + " (exit 1, naming the step; the last good checkpoint stays) or warn (say so once and train on)."
            + " Default: ${DEFAULT-VALUE}.")
    OnNonFinite onNonFinite = OnNonFinite.stop;

    /** The values of {@code --on-nonfinite}. */
    public enum OnNonFinite { stop, warn }

    /** The loop's policy for {@code --on-nonfinite} (warn: the loop trains on, {@link TrainingRun} says so). */
    NonFiniteLossPolicy nonFiniteLoss() {
        return onNonFinite == OnNonFinite.warn ? NonFiniteLossPolicy.CONTINUE : NonFiniteLossPolicy.STOP;
    }

    /**
     * Applies {@code --config} (flags given on the command line win), then checks {@code --out},
     * {@code --resume} and {@code --force} against each other and the disk, so that a reused run
     * directory is refused before any data is read.
     *
     * @throws ParameterException as {@link #checkOut} says
     */
    void applyConfig(CommandSpec spec) throws IOException {
        if (config != null) {
            ConfigFile.apply(config, spec);
        }
        try {
            checkOut(spec.qualifiedName() + ": ");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * Refuses {@code --resume} with {@code --force}, an {@code --out} that is a file, and a new run
     * (no {@code --resume}) in a non-empty {@code --out} without {@code --force}; messages start
     * with {@code cmd}.
     *
     * @throws IllegalArgumentException naming the path and what to do
     */
    void checkOut(String cmd) throws IOException {
        if (resume && force) {
            throw new IllegalArgumentException(cmd + "--resume continues the run in --out and --force replaces it: give one");
        }
        if (out == null) {
            return;
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(cmd + out + ": --out exists and is not a directory");
        }
        List<String> found = RunDirectory.contents(out);
        if (resume || found.isEmpty()) {
            return;
        }
        String listing = found.size() <= 4 ? String.join(", ", found)
                : String.join(", ", found.subList(0, 4)) + " and " + (found.size() - 4) + " more";
        if (!force) {
            throw new IllegalArgumentException(cmd + out + ": the run directory is not empty (" + listing + "); add --resume"
                    + " to continue that run or --force to replace it");
        }
        if (!RunDirectory.looksLikeRun(out)) {
            throw new IllegalArgumentException(cmd + out + ": --force replaces runs only, and this directory holds no run"
                    + " (no config.json, metrics.jsonl or checkpoints/, but " + listing + "); choose an empty or new --out");
        }
    }

    /**
     * The settings a run records in config.json: every option of {@code spec} (flags, config file
     * and defaults already applied) keyed by its long name without dashes, in declaration order;
     * help, version, {@code --config} itself, {@code --resume}, {@code --force} and {@code --verbose} left out. Numbers, booleans and strings stay as
     * they are, enums by name, anything else (paths) as text. Callers add what the data decided.
     */
    static Map<String, Object> settings(CommandSpec spec) {
        Map<String, Object> s = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName().replaceFirst("^-+", "");
            if (o.usageHelp() || o.versionHelp() || name.equals("config") || name.equals("resume")
                    || name.equals("force") || name.equals("verbose")) {
                continue;
            }
            Object v = o.getValue();
            s.put(name, v == null || v instanceof Number || v instanceof Boolean || v instanceof String ? v
                    : v instanceof Enum<?> e ? e.name() : String.valueOf(v));
        }
        return s;
    }

    /** The folder of data set {@code name} under the data root. */
    Path dataSet(String name) {
        return DataCommand.root(dataDir).resolve(name);
    }

    /** The command that fetches data set {@code name} into this run's data root. */
    String fetchCommand(String name) {
        return "./kiln data fetch " + name + (dataDir != null ? " --data-dir " + dataDir : "");
    }

    /** A step of a command's run that may fail with an I/O error. */
    @FunctionalInterface
    interface IoBody<T> {
        T call() throws IOException;
    }

    /** Runs {@code body} with the compute pool set to {@code --threads}, restoring it afterwards. */
    <T> T withThreads(IoBody<T> body) throws IOException {
        int saved = Device.CPU.setThreads(threads);
        try {
            return body.call();
        } finally {
            Device.CPU.setThreads(saved);
        }
    }
}
