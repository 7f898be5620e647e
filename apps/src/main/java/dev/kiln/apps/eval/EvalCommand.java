package dev.kiln.apps.eval;

import dev.kiln.tensor.Device;
import dev.kiln.apps.data.DataCommand;
import dev.kiln.apps.train.BrownText;
import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.HourlySeries;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln eval RUN_DIR}: rebuilds the model of a training run (cnn, rnn, gpt, classify; seq2seq
 * from its predictions.tsv), scores it on that app's held-out data and writes report.md, report.html and
 * report.json (plus PNGs) into RUN_DIR/eval or {@code --out}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a training run on its app's held-out data and write a report.",
            "Runs of kiln train cnn, rnn, gpt, seq2seq and classify. Reads RUN_DIR/model.safetensors and config.json"
                + " (seq2seq: predictions.tsv); writes report.md, report.html, report.json and its images into"
                + " RUN_DIR/eval or --out."},
        subcommands = CrossValidationCommand.class)
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_DIR", description = "A run directory of kiln train cnn, rnn, gpt, seq2seq or classify, or its model.safetensors.")
    Path run;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root, as in kiln data (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes (default: RUN_DIR/eval).")
    Path out;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate the first N test examples only (gpt: N windows; 0: all, gpt 200).")
    int limit;

    @Option(names = "--bootstrap", paramLabel = "N", description = "Bootstrap resamples for the accuracy's 95%% interval (0: none; default: ${DEFAULT-VALUE}).")
    int bootstrap = 1000;

    @Option(names = "--threads", description = "Compute threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Device.CPU.threads();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (run == null) {
            throw new ParameterException(spec.commandLine(), "kiln eval: missing RUN_DIR (or use kiln eval cv cnn)");
        }
        check(limit >= 0, "--limit must be >= 0, got " + limit);
        check(bootstrap >= 0, "--bootstrap must be >= 0, got " + bootstrap);
        check(threads >= 1, "--threads must be >= 1, got " + threads);
        check(Files.exists(run), "RUN_DIR " + run + " does not exist");
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (out != null) {
            Files.createDirectories(out);
        }
        RunFiles files;
        try {
            files = RunFiles.read(run, out);
        } catch (IllegalArgumentException e) { // RUN_DIR names no model: a usage error, like a RUN_DIR that does not exist
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Path root = DataCommand.root(dataDir);
        int saved = Device.CPU.setThreads(threads);
        Report report;
        try {
            report = switch (files.app()) {
                case "cnn" -> ImageClassifierEvaluation.evaluate(files, root.resolve("fashion-mnist"), limit, bootstrap);
                case "rnn" -> ForecastEvaluation.evaluate(files, root.resolve("seattle-temps"), limit);
                case "gpt" -> LanguageModelEvaluation.evaluate(files, root.resolve("brown"), limit);
                case "seq2seq" -> TranslationEvaluation.evaluate(files, limit);
                case "classify" -> TextClassifierEvaluation.evaluate(files, limit, bootstrap);
                default -> throw new IOException("kiln eval: runs of kiln train " + files.app() + " are not supported");
            };
        } catch (IOException e) {
            if (e instanceof FashionMnist.MissingException || e instanceof HourlySeries.MissingException
                    || e instanceof BrownText.MissingException) {
                String set = switch (files.app()) {
                    case "cnn" -> "fashion-mnist";
                    case "rnn" -> "seattle-temps";
                    default -> "brown";
                };
                stderr.println("kiln eval: data not found: " + e.getMessage() + "; fetch it with: ./kiln data fetch " + set
                        + (dataDir != null ? " --data-dir " + dataDir : ""));
                stderr.flush();
                return 1;
            }
            throw e;
        } finally {
            Device.CPU.setThreads(saved);
        }
        Path md = ReportWriter.write(report, files.out());
        stdout.println(report.title());
        for (Map.Entry<String, Object> m : report.metrics().entrySet()) {
            stdout.printf("  %-22s %s%n", m.getKey(), ReportWriter.format(m.getValue()));
        }
        stdout.println("report: " + md + " (also report.html, report.json)");
        stdout.flush();
        return 0;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln eval: " + message);
        }
    }
}
