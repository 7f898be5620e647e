package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.Collate;
import dev.kiln.data.DataLoader;
import dev.kiln.data.Dataset;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.Adam;
import dev.kiln.optim.GradClip;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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
            stderr.println("kiln train rnn: Seattle temperatures not found: " + e.getMessage());
            stderr.println("fetch them with:  " + common.fetchCommand("seattle-temps"));
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
        check(!common.resume, "--resume is not supported by this app yet (it does not run on TrainingLoop)");
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
        RunDirectory run = RunDirectory.create(common.out, "rnn", LocalDateTime.now());
        Dataset<Tensor[]> train = data.train(limitTrain);
        Dataset<Tensor[]> validation = data.validation();
        Dataset<Tensor[]> test = data.test();
        Files.writeString(run.config(), dev.kiln.data.io.Json.writePretty(settings(data, train.size())) + "\n");

        Generator g = new Generator(seed);
        Forecaster model = new Forecaster(cell, hidden, layers, g);
        Adam opt = Adam.adam(model.parameters(), lr);
        HourlySeries.Errors persistenceVal = data.persistence(data.trainEnd(), data.validationEnd());
        HourlySeries.Errors persistenceTest = data.persistence(data.validationEnd(), data.values().length);
        try (DataLoader<Tensor[]> trainLoader = DataLoader.builder(train, Collate.stack())
                        .batchSize(batchSize).shuffle(g.split()).prefetch(4).build();
                DataLoader<Tensor[]> valLoader = DataLoader.builder(validation, Collate.stack()).batchSize(512).build();
                DataLoader<Tensor[]> testLoader = DataLoader.builder(test, Collate.stack()).batchSize(512).build();
                MetricsLog metrics = new MetricsLog(run.metrics())) {
            int stepsPerEpoch = trainLoader.batchesPerEpoch();
            long totalSteps = (long) stepsPerEpoch * epochs;
            int total = (int) Math.min(Integer.MAX_VALUE, totalSteps);
            LrScheduler scheduler = new LrScheduler(opt,
                    schedule == ScheduleKind.cosine ? LrSchedule.cosine(total, 0) : LrSchedule.constant());
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, totalSteps,
                    epochs, "windows", trainFlopsPerWindow(cell, window, hidden, layers),
                    CnnCommand.PEAK_FLOPS_PER_THREAD * common.threads);
            TrainingPlot plot = new TrainingPlot("kiln train rnn: Seattle next-hour temperature",
                    "validation MAE (degrees)", "MAE (degrees)", 1, Math.max(1, Math.min(50, stepsPerEpoch / 4)));
            stdout.printf(Locale.ROOT, "kiln train rnn: %d hours (mean %.2f, std %.2f over the training hours);"
                    + " %d train / %d validation / %d test windows of %d hours%n",
                    data.values().length, data.mean(), data.std(), train.size(), validation.size(), test.size(), window);
            stdout.printf(Locale.ROOT, "model: %s %dx%d + linear head, %d params; adam lr %.3g %s, batch %d,"
                    + " %d epochs = %d steps, clip %s, %d threads%n",
                    cell, layers, hidden, model.parameterCount(), lr, schedule, batchSize, epochs, totalSteps,
                    clip > 0 ? Double.toString(clip) : "off", common.threads);
            stdout.println("run directory: " + run.path());
            stdout.flush();

            long step = 0;
            long windows = 0;
            double trainNanos = 0;
            long runStart = System.nanoTime();
            for (int epoch = 0; epoch < epochs; epoch++) {
                model.train();
                double epochLoss = 0;
                double lastLr = scheduler.lr(0);
                long epochStart = System.nanoTime();
                for (Batch b : trainLoader) {
                    long t0 = System.nanoTime();
                    double loss;
                    double stepLr = scheduler.lr(0);
                    lastLr = stepLr;
                    try (b; TensorScope _ = TensorScope.open()) {
                        opt.zeroGrad();
                        Var lossVar = Losses.mseLoss(model.forward(Var.constant(b.get(0))), Var.constant(b.get(1)));
                        lossVar.backward();
                        if (clip > 0) {
                            GradClip.clipGradNorm(model.parameters(), clip);
                        }
                        opt.step();
                        loss = lossVar.value().item();
                    }
                    scheduler.step();
                    long t1 = System.nanoTime();
                    step++;
                    windows += b.size();
                    trainNanos += t1 - t0;
                    epochLoss += loss;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("kind", "step");
                    rec.put("step", step);
                    rec.put("epoch", epoch);
                    rec.put("loss", loss);
                    rec.put("lr", stepLr);
                    rec.put("windows_per_s", round(b.size() / ((t1 - t0) / 1e9), 1));
                    metrics.write(rec);
                    plot.addLoss(step / (double) stepsPerEpoch, loss);
                    progress.step(step, epoch, loss, stepLr, b.size());
                }
                double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
                Evaluation val = evaluate(model, valLoader, data.std());
                plot.addAccuracy(epoch + 1, val.mae());
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("kind", "epoch");
                rec.put("step", step);
                rec.put("epoch", epoch);
                rec.put("train_loss", epochLoss / stepsPerEpoch);
                rec.put("val_loss", val.loss());
                rec.put("val_mae", val.mae());
                rec.put("val_rmse", val.rmse());
                rec.put("lr", lastLr);
                rec.put("train_seconds", round(epochSeconds, 3));
                metrics.write(rec);
                progress.println(String.format(Locale.ROOT,
                        "epoch %d/%d: train loss %.4f, validation MAE %.3f RMSE %.3f (persistence %.3f / %.3f) (%.1fs)",
                        epoch + 1, epochs, epochLoss / stepsPerEpoch, val.mae(), val.rmse(), persistenceVal.mae(),
                        persistenceVal.rmse(), epochSeconds));
                plot.save(run.plot()); // after every epoch, so an interrupted run still has its curves
            }
            progress.finish();
            Evaluation result = evaluate(model, testLoader, data.std());
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train rnn: " + cell + " " + layers + "x" + hidden + " + linear head (residual over the last hour)");
            meta.put("window", Integer.toString(window));
            meta.put("input_mean", Double.toString(data.mean()));
            meta.put("input_std", Double.toString(data.std()));
            meta.put("test_mae", Double.toString(result.mae()));
            meta.put("test_rmse", Double.toString(result.rmse()));
            Safetensors.saveModule(run.model(), model, meta);

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", step);
            summary.put("epochs", epochs);
            summary.put("test_mae", result.mae());
            summary.put("test_rmse", result.rmse());
            summary.put("persistence_test_mae", persistenceTest.mae());
            summary.put("persistence_test_rmse", persistenceTest.rmse());
            summary.put("test_loss", result.loss());
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_windows_per_s", round(windows / (trainNanos / 1e9), 1));
            metrics.write(summary);

            stdout.printf(Locale.ROOT, "done in %s: %d test hours, error in degrees%n",
                    ProgressLine.duration(wallSeconds), test.size());
            stdout.printf(Locale.ROOT, "  %-12s MAE %.3f  RMSE %.3f%n", cell, result.mae(), result.rmse());
            stdout.printf(Locale.ROOT, "  %-12s MAE %.3f  RMSE %.3f%n", "persistence", persistenceTest.mae(),
                    persistenceTest.rmse());
            stdout.printf(Locale.ROOT, "  improvement: MAE %.1f%%, RMSE %.1f%% lower than persistence%n",
                    100 * (1 - result.mae() / persistenceTest.mae()), 100 * (1 - result.rmse() / persistenceTest.rmse()));
            stdout.println("metrics: " + run.metrics());
            stdout.println("curves:  " + run.plot());
            stdout.println("model:   " + run.model());
            stdout.println("config:  " + run.config());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Mean normalised MSE, and MAE and RMSE in degrees, in eval mode without autograd. */
    record Evaluation(double loss, double mae, double rmse) {}

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
