package dev.kiln.apps.train;

import dev.kiln.apps.Plural;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.Collate;
import dev.kiln.data.DataLoader;
import dev.kiln.data.Dataset;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.optim.Adam;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingListener;
import dev.kiln.optim.train.TrainingLoop;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln train rnn}: next-hour temperature forecasting on the hourly Seattle temperatures of
 * 2010. Each example is the 48 hours before a target hour; the model ({@link Forecaster}) is an
 * LSTM (or GRU) with a linear head on the last hidden state, trained with MSE on the normalised
 * series and Adam. The split is chronological and normalised with training statistics only
 * ({@link HourlySeries}). The report compares the model's test MAE and RMSE, in degrees, with the
 * persistence forecast (the last observed hour), which the defaults beat on both.
 */
@Command(name = "rnn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Forecast the next hour's Seattle temperature from the previous 48 with an LSTM (or GRU).",
            "Compares test MAE/RMSE with the persistence forecast (the last observed hour).",
            "Writes metrics.jsonl, curves.png, model.safetensors and config.json into the run directory."},
        footer = {"", "Settings can also come from --config file.json or file.yaml ({\"epochs\": 3, \"hidden\": 64, ...});",
            "flags given on the command line override the file."})
public final class RnnCommand implements Callable<Integer> {
    /** Learning-rate schedules, stepped once per training step. */
    public enum ScheduleKind { constant, cosine }

    @Option(names = "--epochs", description = "Passes over the training windows (default: ${DEFAULT-VALUE}).")
    int epochs = 6;

    @Option(names = "--batch-size", description = "Windows per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 32;

    @Option(names = "--lr", description = "Peak Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 3e-3;

    @Option(names = "--schedule", description = "constant or cosine (to 0 over the run) (default: ${DEFAULT-VALUE}).")
    ScheduleKind schedule = ScheduleKind.cosine;

    @Option(names = "--hidden", description = "Hidden units per layer (default: ${DEFAULT-VALUE}).")
    int hidden = 32;

    @Option(names = "--layers", description = "Stacked recurrent layers (default: ${DEFAULT-VALUE}).")
    int layers = 1;

    @Option(names = "--cell", description = "lstm or gru (default: ${DEFAULT-VALUE}).")
    Forecaster.Cell cell = Forecaster.Cell.lstm;

    @Option(names = "--window", description = "Input hours per example (default: ${DEFAULT-VALUE}).")
    int window = 48;

    @Option(names = "--clip", description = "Max global gradient norm, 0 for none (default: ${DEFAULT-VALUE}).")
    double clip = 1.0;

    @Option(names = "--seed", description = "Seed of the initial weights and the shuffling (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--limit-train", paramLabel = "N", description = "Train on the first N training windows only (0: all).")
    int limitTrain;

    @Option(names = "--log-every", paramLabel = "STEPS", description = "Log line interval when stdout is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery = 50;

    @Mixin
    RunOptions common = new RunOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        common.applyConfig(spec);
        validate();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Path dir = common.dataSet("seattle-temps");
        HourlySeries data;
        try {
            data = HourlySeries.read(dir, window);
        } catch (HourlySeries.MissingException e) {
            stderr.println("kiln train rnn: Seattle temperatures not found: " + e.getMessage()
                    + "; fetch them with: " + common.fetchCommand("seattle-temps"));
            stderr.flush();
            return 1;
        } catch (HourlySeries.TooShortException e) {
            throw new ParameterException(spec.commandLine(), "kiln train rnn: --window " + window + ": " + e.getMessage());
        }
        return common.withThreads(() -> train(data, stdout));
    }

    private void validate() {
        check(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(hidden >= 1, "--hidden must be >= 1, got " + hidden);
        check(layers >= 1, "--layers must be >= 1, got " + layers);
        check(window >= 1, "--window must be >= 1, got " + window);
        check(clip >= 0 && Double.isFinite(clip), "--clip must be >= 0, got " + clip);
        check(limitTrain >= 0, "--limit-train must be >= 0, got " + limitTrain);
        check(common.threads >= 1, "--threads must be >= 1, got " + common.threads);
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train rnn: " + message);
        }
    }

    /** Gate matmuls (input and recurrent) per step and layer, ×2 for multiply-adds, ×3 for forward + backward. */
    static double trainFlopsPerWindow(Forecaster.Cell cell, int window, int hidden, int layers) {
        int gates = cell == Forecaster.Cell.lstm ? 4 : 3;
        double perStep = 0;
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? 1 : hidden;
            perStep += 2.0 * gates * hidden * (in + hidden);
        }
        return 3 * (window * perStep + 2.0 * hidden);
    }

    private int train(HourlySeries data, PrintWriter stdout) throws IOException {
        TrainingRun run = TrainingRun.open(spec, common, "rnn", 2);
        Dataset<Tensor[]> train = data.train(limitTrain);
        Dataset<Tensor[]> validation = data.validation();
        Dataset<Tensor[]> test = data.test();
        Files.writeString(run.dir().config(), dev.kiln.data.io.JsonFiles.writePretty(settings(data, train.size())) + "\n");

        Generator g = new Generator(seed);
        Forecaster model = new Forecaster(cell, hidden, layers, g);
        Adam opt = new Adam(model.parameters(), lr);
        HourlySeries.Errors persistenceVal = data.persistence(data.trainEnd(), data.validationEnd());
        HourlySeries.Errors persistenceTest = data.persistence(data.validationEnd(), data.values().length);
        try (run;
                DataLoader<Tensor[]> trainLoader = DataLoader.builder(train, Collate.stack())
                        .batchSize(batchSize).shuffle(g.split()).prefetch(4).build();
                DataLoader<Tensor[]> valLoader = DataLoader.builder(validation, Collate.stack()).batchSize(512).build();
                DataLoader<Tensor[]> testLoader = DataLoader.builder(test, Collate.stack()).batchSize(512).build()) {
            int stepsPerEpoch = trainLoader.batchesPerEpoch();
            long totalSteps = (long) stepsPerEpoch * epochs;
            int total = (int) Math.min(Integer.MAX_VALUE, totalSteps);
            LrScheduler scheduler = new LrScheduler(opt,
                    schedule == ScheduleKind.cosine ? LrSchedule.cosine(total, 0) : LrSchedule.constant());
            Trainer.Builder<Batch> trainerBuilder = Trainer.builder(opt,
                    (Batch b) -> Losses.mseLoss(model.forward(Var.constant(b.get(0))), Var.constant(b.get(1)))).scheduler(scheduler);
            Trainer<Batch> trainer = (clip > 0 ? trainerBuilder.maxGradNorm(clip) : trainerBuilder).build();
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, totalSteps,
                    epochs, "windows", trainFlopsPerWindow(cell, window, hidden, layers),
                    CnnCommand.PEAK_FLOPS_PER_THREAD * common.threads);
            TrainingPlot plot = new TrainingPlot("kiln train rnn: Seattle next-hour temperature",
                    "validation MAE (degrees)", "MAE (degrees)", 1, Math.max(1, Math.min(50, stepsPerEpoch / 4)));
            long[] windows = {0};
            double[] trainNanos = {0};
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> rec) {
                    int size = ((Batch) micro.getFirst()).size();
                    windows[0] += size;
                    trainNanos[0] += stepNanos;
                    rec.put("windows_per_s", round(size / (stepNanos / 1e9), 1));
                    plot.addLoss(r.step() / (double) stepsPerEpoch, r.loss());
                    progress.step(r.step(), (int) epoch, r.loss(), r.lr(), size);
                }

                @Override
                public void onEpochEnd(long epoch, Map<String, Object> rec) {
                    double mae = ((Number) rec.get("val_mae")).doubleValue();
                    plot.addAccuracy(epoch + 1, mae);
                    progress.println(String.format(Locale.ROOT,
                            "epoch %d/%d: train loss %.4f, validation MAE %.3f RMSE %.3f (persistence %.3f / %.3f) (%.1fs)",
                            epoch + 1, epochs, rec.get("train_loss"), mae, rec.get("val_rmse"), persistenceVal.mae(),
                            persistenceVal.rmse(), rec.get("train_seconds")));
                    try {
                        plot.save(run.dir().plot()); // after every epoch, so an interrupted run still has its curves
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            TrainingLoop<Batch> loop = run.loop(trainer, new DataLoaderSource<>(trainLoader)).epochs(epochs)
                    .evaluator(() -> evaluate(model, valLoader, data.std()).asMetrics("val_"))
                    .listener(listener).checkpoints(new TrainingCheckpoint(model, opt).scheduler(scheduler), run.checkpoints())
                    .checkpointEachEpoch(true).build();
            run.start(loop, stdout);
            for (Map<String, Object> rec : run.log().earlier()) { // the curves of the part before a resume
                if ("step".equals(rec.get("kind"))) {
                    plot.addLoss(((Number) rec.get("step")).doubleValue() / stepsPerEpoch, ((Number) rec.get("loss")).doubleValue());
                } else if ("epoch".equals(rec.get("kind"))) {
                    plot.addAccuracy(((Number) rec.get("epoch")).doubleValue() + 1, ((Number) rec.get("val_mae")).doubleValue());
                }
            }
            stdout.printf(Locale.ROOT, "kiln train rnn: %d hours (mean %.2f, std %.2f over the training hours);"
                    + " %d train / %d validation / %d test windows of %d hours%n",
                    data.values().length, data.mean(), data.std(), train.size(), validation.size(), test.size(), window);
            stdout.printf(Locale.ROOT, "model: %s %dx%d + linear head, %d params; adam lr %.3g %s, batch %d,"
                    + " %s = %s, clip %s, %s%n",
                    cell, layers, hidden, model.parameterCount(), lr, schedule, batchSize, Plural.of(epochs, "epoch"),
                    Plural.of(totalSteps, "step"), clip > 0 ? Double.toString(clip) : "off", Plural.of(common.threads, "thread"));
            stdout.println("run directory: " + run.dir().path());
            stdout.flush();

            long runStart = System.nanoTime();
            TrainingLoop.Result fit = loop.fit();
            progress.finish();
            if (fit.reason() == TrainingLoop.StopReason.INTERRUPTED) {
                return run.interrupted(fit, stdout, common.out);
            }
            Evaluation result = evaluate(model, testLoader, data.std());
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train rnn: " + cell + " " + layers + "x" + hidden + " + linear head (residual over the last hour)");
            meta.put("window", Integer.toString(window));
            meta.put("input_mean", Double.toString(data.mean()));
            meta.put("input_std", Double.toString(data.std()));
            meta.put("test_mae", Double.toString(result.mae()));
            meta.put("test_rmse", Double.toString(result.rmse()));
            Safetensors.saveModule(run.dir().model(), model, meta);

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", fit.steps());
            summary.put("epochs", epochs);
            summary.put("test_mae", result.mae());
            summary.put("test_rmse", result.rmse());
            summary.put("persistence_test_mae", persistenceTest.mae());
            summary.put("persistence_test_rmse", persistenceTest.rmse());
            summary.put("test_loss", result.loss());
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_windows_per_s", round(windows[0] / (trainNanos[0] / 1e9), 1)); // this process's steps
            run.write(summary);

            stdout.printf(Locale.ROOT, "done in %s: %s, error in degrees%n",
                    ProgressLine.duration(wallSeconds), Plural.of(test.size(), "test hour"));
            stdout.printf(Locale.ROOT, "  %-12s MAE %.3f  RMSE %.3f%n", cell, result.mae(), result.rmse());
            stdout.printf(Locale.ROOT, "  %-12s MAE %.3f  RMSE %.3f%n", "persistence", persistenceTest.mae(),
                    persistenceTest.rmse());
            stdout.printf(Locale.ROOT, "  improvement: MAE %.1f%%, RMSE %.1f%% lower than persistence%n",
                    100 * (1 - result.mae() / persistenceTest.mae()), 100 * (1 - result.rmse() / persistenceTest.rmse()));
            stdout.println("metrics: " + run.dir().metrics());
            stdout.println("curves:  " + run.dir().plot());
            stdout.println("model:   " + run.dir().model());
            stdout.println("config:  " + run.dir().config());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Mean normalised MSE, and MAE and RMSE in degrees, in eval mode without autograd. */
    record Evaluation(double loss, double mae, double rmse) {
        /** The loop's metrics: {@code <prefix>loss}, {@code mae}, {@code rmse}, in that order. */
        Map<String, Object> asMetrics(String prefix) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(prefix + "loss", loss);
            m.put(prefix + "mae", mae);
            m.put(prefix + "rmse", rmse);
            return m;
        }
    }

    private static Evaluation evaluate(Forecaster model, DataLoader<Tensor[]> loader, double std) {
        model.eval();
        double abs = 0;
        double sq = 0;
        long count = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (Batch b : loader) {
                try (b; TensorScope _ = TensorScope.open()) {
                    float[] pred = model.forward(Var.constant(b.get(0))).value().toFloatArray();
                    float[] target = b.get(1).toFloatArray();
                    for (int i = 0; i < pred.length; i++) {
                        double e = (double) pred[i] - target[i];
                        abs += Math.abs(e);
                        sq += e * e;
                    }
                    count += pred.length;
                }
            }
        } finally {
            model.train();
        }
        if (count == 0) {
            return new Evaluation(Double.NaN, Double.NaN, Double.NaN);
        }
        return new Evaluation(sq / count, std * abs / count, std * Math.sqrt(sq / count));
    }

    private Map<String, Object> settings(HourlySeries data, int trainWindows) {
        Map<String, Object> s = RunOptions.settings(spec);
        s.put("hours", data.values().length);
        s.put("train_windows", trainWindows);
        s.put("validation_windows", data.validationEnd() - data.trainEnd());
        s.put("test_windows", data.values().length - data.validationEnd());
        s.put("input_mean", data.mean());
        s.put("input_std", data.std());
        return s;
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
