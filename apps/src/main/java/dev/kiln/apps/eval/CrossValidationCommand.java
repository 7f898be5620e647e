package dev.kiln.apps.eval;

import dev.kiln.apps.Plural;
import dev.kiln.tensor.Device;
import dev.kiln.apps.data.DataCommand;
import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.data.Dataset;
import dev.kiln.eval.validation.Fold;
import dev.kiln.eval.validation.StratifiedKFold;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln eval cv cnn}: stratified k-fold cross-validation of {@code kiln train cnn}'s ConvNet
 * on the first {@code --limit} Fashion-MNIST training images. Each fold trains a fresh model
 * (AdamW, lr 2e-3, weight decay 0.01, batch 64: the app's defaults, at a constant rate) on the
 * other folds and scores it on its own; the report gives each fold's accuracy and their mean ±
 * sample standard deviation. Inputs are normalised with the whole subset's pixel statistics, a
 * negligible leak (two numbers) that keeps one data pipeline for all folds.
 */
@Command(name = "cv", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cross-validate an app's model: kiln eval cv cnn [--folds 5] [--limit 6000] [--epochs 1].",
            "Writes report.md, report.html and report.json into --out (default: runs/cv-cnn)."})
public final class CrossValidationCommand implements Callable<Integer> {
    static final double LR = 2e-3;
    static final double WEIGHT_DECAY = 0.01;

    @Parameters(index = "0", paramLabel = "APP", description = "The app whose model to cross-validate: cnn.")
    String app;

    @Option(names = "--folds", description = "Folds (default: ${DEFAULT-VALUE}).")
    int folds = 5;

    @Option(names = "--limit", paramLabel = "N", description = "Use the first N training images (default: ${DEFAULT-VALUE}).")
    int limit = 6000;

    @Option(names = "--epochs", description = "Epochs per fold (default: ${DEFAULT-VALUE}).")
    int epochs = 1;

    @Option(names = "--batch-size", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--seed", description = "Seed of the fold assignment, weights and shuffling (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root, as in kiln data (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes (default: runs/cv-cnn).")
    Path out = Path.of("runs", "cv-cnn");

    @Option(names = "--threads", description = "Compute threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Device.CPU.threads();

    @Spec
    CommandSpec spec;

    /** Mean and sample standard deviation (n - 1; 0 for one value) of the fold scores. */
    record Summary(double mean, double std) {
        static Summary of(double[] values) {
            double mean = 0;
            for (double v : values) {
                mean += v;
            }
            mean /= values.length;
            double sq = 0;
            for (double v : values) {
                sq += (v - mean) * (v - mean);
            }
            return new Summary(mean, values.length > 1 ? Math.sqrt(sq / (values.length - 1)) : 0);
        }
    }

    @Override
    public Integer call() throws IOException {
        check("cnn".equals(app), "APP must be cnn (the only app with cross-validation so far), got " + app);
        check(folds >= 2, "--folds must be >= 2, got " + folds);
        check(limit >= folds, "--limit must be >= --folds " + folds + ", got " + limit);
        check(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(threads >= 1, "--threads must be >= 1, got " + threads);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        FashionMnist data;
        try {
            FashionMnist read = FashionMnist.read(DataCommand.root(dataDir).resolve("fashion-mnist"), limit, 1);
            data = read;
        } catch (FashionMnist.MissingException e) {
            stderr.println("kiln eval cv: Fashion-MNIST not found: " + e.getMessage() + "; fetch it with: ./kiln data fetch"
                    + " fashion-mnist" + (dataDir != null ? " --data-dir " + dataDir : ""));
            stderr.flush();
            return 1;
        }
        int saved = Device.CPU.setThreads(threads);
        try {
            return run(data, stdout);
        } finally {
            Device.CPU.setThreads(saved);
        }
    }

    private int run(FashionMnist data, PrintWriter stdout) throws IOException {
        Dataset<Tensor[]> all = data.train();
        int n = all.size();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (int) all.get(i)[1].toLongArray()[0];
        }
        List<Fold> split = StratifiedKFold.shuffled(folds, seed).split(labels);
        stdout.printf(Locale.ROOT, "kiln eval cv cnn: %d images, %d stratified folds, %s per fold, %s%n",
                n, folds, Plural.of(epochs, "epoch"), Plural.of(threads, "thread"));
        stdout.flush();
        double[] accuracy = new double[split.size()];
        List<List<String>> rows = new ArrayList<>();
        for (Fold f : split) {
            long t0 = System.nanoTime();
            accuracy[f.index()] = trainAndScore(data, f, seed + f.index());
            double seconds = (System.nanoTime() - t0) / 1e9;
            rows.add(List.of(Integer.toString(f.index() + 1), Integer.toString(f.train().length), Integer.toString(f.test().length),
                    ReportWriter.format(accuracy[f.index()])));
            stdout.printf(Locale.ROOT, "fold %d/%d: train %d, test %d, accuracy %.4f (%.1fs)%n", f.index() + 1, folds,
                    f.train().length, f.test().length, accuracy[f.index()], seconds);
            stdout.flush();
        }
        Summary s = Summary.of(accuracy);
        Report r = new Report("kiln eval cv cnn: " + folds + "-fold stratified cross-validation on " + n
                + " Fashion-MNIST training images");
        r.metric("app", "cnn").metric("folds", folds).metric("examples", n).metric("epochs", epochs)
                .metric("fold_accuracy", java.util.Arrays.stream(accuracy).boxed().toList())
                .metric("accuracy_mean", s.mean()).metric("accuracy_std", s.std());
        List<Report.Block> sec = r.section("Folds");
        sec.add(new Report.Table(List.of("fold", "train", "test", "accuracy"), rows));
        sec.add(new Report.Paragraph(String.format(Locale.ROOT, "accuracy %.4f ± %.4f (mean ± sample std over %d folds)",
                s.mean(), s.std(), folds)));
        Files.createDirectories(out);
        Path md = ReportWriter.write(r, out);
        stdout.printf(Locale.ROOT, "accuracy %.4f ± %.4f (mean ± std over %d folds)%n", s.mean(), s.std(), folds);
        stdout.println("report: " + md);
        stdout.flush();
        return 0;
    }

    /** Trains a fresh ConvNet on the fold's training indices and returns its accuracy on the fold's test indices. */
    private double trainAndScore(FashionMnist data, Fold fold, long foldSeed) {
        Generator g = new Generator(foldSeed);
        Sequential model = TrainedModels.cnn(data.height(), data.width(), g);
        Optimizer opt = AdamW.builder(model.parameters()).lr(LR).weightDecay(WEIGHT_DECAY).build();
        try (DataLoader<Tensor[]> train = DataLoader.builder(TrainedModels.select(data.train(), fold.train()), data.collate())
                        .batchSize(batchSize).shuffle(g.split()).prefetch(2).build();
                DataLoader<Tensor[]> test = DataLoader.builder(TrainedModels.select(data.train(), fold.test()), data.collate())
                        .batchSize(500).build()) {
            model.train();
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (Batch b : train) {
                    try (b; TensorScope _ = TensorScope.open()) {
                        opt.zeroGrad();
                        Var loss = Losses.crossEntropy(model.forward(Var.constant(b.get(0))), b.get(1));
                        loss.backward();
                        opt.step();
                    }
                }
            }
            model.eval();
            long correct = 0;
            long count = 0;
            try (NoGrad _ = NoGrad.enter()) {
                for (Batch b : test) {
                    try (b; TensorScope _ = TensorScope.open()) {
                        Tensor logits = model.forward(Var.constant(b.get(0))).value();
                        correct += (long) logits.argmax(1, false).eq(b.get(1)).sum().item();
                        count += b.size();
                    }
                }
            }
            return (double) correct / count;
        }
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln eval cv: " + message);
        }
    }
}
