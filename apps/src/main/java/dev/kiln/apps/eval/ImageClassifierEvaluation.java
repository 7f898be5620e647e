package dev.kiln.apps.eval;

import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.eval.metrics.Average;
import dev.kiln.eval.metrics.CalibrationBins;
import dev.kiln.eval.metrics.ClassificationMetrics;
import dev.kiln.eval.metrics.ConfusionMatrix;
import dev.kiln.eval.metrics.PrecisionRecallFscore;
import dev.kiln.eval.metrics.PrecisionRecallOptions;
import dev.kiln.eval.metrics.PerClassScores;
import dev.kiln.eval.metrics.ProbabilityMetrics;
import dev.kiln.eval.metrics.RankingMetrics;
import dev.kiln.eval.validation.Bootstrap;
import dev.kiln.eval.validation.ConfidenceInterval;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** {@code kiln eval} of a {@code kiln train cnn} run on the Fashion-MNIST test set. */
final class ImageClassifierEvaluation {
    /** Fashion-MNIST's class names, by label. */
    static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final int CALIBRATION_BINS = 15;
    static final int WORST_EXAMPLES = 16;

    private ImageClassifierEvaluation() {}

    /** The model's class probabilities (softmax in double) and the true labels of the test set. */
    record Outputs(int[] labels, double[][] probabilities) {}

    static Outputs predict(Sequential model, FashionMnist data) {
        int n = data.test().size();
        int[] labels = new int[n];
        double[][] probs = new double[n][];
        model.eval();
        int i = 0;
        try (NoGrad _ = NoGrad.enter();
                DataLoader<Tensor[]> loader = DataLoader.builder(data.test(), data.collate()).batchSize(500).build()) {
            for (Batch b : loader) {
                try (b; TensorScope _ = TensorScope.open()) {
                    Tensor logits = model.forward(Var.constant(b.get(0))).value();
                    int classes = logits.shape().size(1);
                    float[] z = logits.toFloatArray();
                    long[] y = b.get(1).toLongArray();
                    for (int r = 0; r < b.size(); r++, i++) {
                        labels[i] = (int) y[r];
                        probs[i] = softmax(z, r * classes, classes);
                    }
                }
            }
        }
        return new Outputs(labels, probs);
    }

    static double[] softmax(float[] z, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, z[offset + k]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            p[k] = Math.exp(z[offset + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < n; k++) {
            p[k] /= sum;
        }
        return p;
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        return best;
    }

    static Report evaluate(RunFiles run, Path dataDir, int limit, int bootstrap) throws IOException {
        run.requireModel();
        double mean = run.metaDouble("input_mean");
        double std = run.metaDouble("input_std");
        FashionMnist data = TrainedModels.fashionMnist(dataDir, 1, limit, mean, std);
        Sequential model = TrainedModels.cnn(data.height(), data.width(), new Generator(0));
        TrainedModels.load(run.model(), model);
        Outputs out = predict(model, data);
        return report(out, run, data, bootstrap);
    }

    static Report report(Outputs out, RunFiles run, FashionMnist data, int bootstrap) throws IOException {
        int n = out.labels().length;
        if (n == 0) {
            throw new IOException("kiln eval: the test set is empty");
        }
        int classes = out.probabilities()[0].length;
        int[] yTrue = out.labels();
        int[] yPred = new int[n];
        for (int i = 0; i < n; i++) {
            yPred[i] = argmax(out.probabilities()[i]);
        }
        List<String> names = classes == FASHION_CLASSES.size() ? FASHION_CLASSES
                : java.util.stream.IntStream.range(0, classes).mapToObj(Integer::toString).toList();
        Report r = new Report("kiln eval: " + run.metadata().getOrDefault("model", "cnn") + " on " + n + " test images");
        double accuracy = ClassificationMetrics.accuracy(yTrue, yPred);
        r.metric("app", "cnn").metric("examples", n).metric("accuracy", accuracy);
        if (bootstrap > 0) {
            ConfidenceInterval ci = Bootstrap.percentile(n, idx -> ClassificationMetrics.accuracy(
                    Bootstrap.select(yTrue, idx), Bootstrap.select(yPred, idx)), bootstrap, 0.95, 1);
            r.metric("accuracy_ci95_low", ci.lower()).metric("accuracy_ci95_high", ci.upper());
        }
        r.metric("top2_accuracy", RankingMetrics.topKAccuracy(yTrue, out.probabilities(), Math.min(2, classes)));
        for (Average avg : List.of(Average.MACRO, Average.WEIGHTED)) {
            PrecisionRecallFscore s = ClassificationMetrics.averaged(yTrue, yPred, avg, PrecisionRecallOptions.defaults());
            String a = avg.name().toLowerCase(Locale.ROOT);
            r.metric(a + "_precision", s.precision()).metric(a + "_recall", s.recall()).metric(a + "_f1", s.fscore());
        }
        r.metric("log_loss", ProbabilityMetrics.logLoss(yTrue, out.probabilities()));
        CalibrationBins bins = ProbabilityMetrics.calibrationBins(yTrue, out.probabilities(), CALIBRATION_BINS);
        r.metric("ece", bins.expectedCalibrationError());

        ConfusionMatrix cm = ClassificationMetrics.confusionMatrix(yTrue, yPred, classes);
        PerClassScores per = ClassificationMetrics.perClass(yTrue, yPred, PrecisionRecallOptions.defaults());
        List<List<String>> rows = new ArrayList<>();
        int[] perLabels = per.labels();
        for (int k = 0; k < perLabels.length; k++) {
            int label = perLabels[k];
            rows.add(List.of(label + " " + (label < names.size() ? names.get(label) : ""), ReportWriter.format(per.precision()[k]),
                    ReportWriter.format(per.recall()[k]), ReportWriter.format(per.fscore()[k]), Long.toString((long) per.support()[k])));
        }
        r.section("Per class").add(new Report.Table(List.of("class", "precision", "recall", "f1", "support"), rows));
        ReportImages.confusionHeatmap(run.out().resolve("confusion.png"), cm.values(), names);
        r.section("Confusion matrix").add(new Report.Image("confusion.png", "confusion matrix heatmap"));
        ReportImages.reliability(run.out().resolve("calibration.png"), bins);
        r.section("Calibration").add(new Report.Image("calibration.png", "reliability diagram, " + CALIBRATION_BINS + " bins"));

        List<Report.Block> errors = r.section("Error analysis");
        errors.add(new Report.Paragraph("Most confused class pairs (true → predicted):"));
        errors.add(new Report.Table(List.of("true", "predicted", "count", "share of true class"), confusedPairs(cm.values(), names, 10)));
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> out.probabilities()[i][yTrue[i]]));
        int worst = Math.min(WORST_EXAMPLES, n);
        List<List<String>> worstRows = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int k = 0; k < worst; k++) {
            int i = order[k];
            double pTrue = out.probabilities()[i][yTrue[i]];
            worstRows.add(List.of(Integer.toString(i), names.get(yTrue[i]), names.get(yPred[i]), ReportWriter.format(pTrue)));
            if (data != null) {
                Tensor[] ex = data.test().get(i);
                pixels.add(ex[0].toFloatArray());
                // One fact per line keeps each column as narrow as the image: "#12", "Shirt →", "T-shirt/top".
                captions.add(String.format(Locale.ROOT, "#%d\n%s →\n%s", i, shorten(names.get(yTrue[i])), shorten(names.get(yPred[i]))));
            }
        }
        errors.add(new Report.Paragraph("Worst-scored test images (lowest probability of the true class):"));
        errors.add(new Report.Table(List.of("index", "true", "predicted", "p(true)"), worstRows));
        if (data != null && !pixels.isEmpty()) {
            ReportImages.imageGrid(run.out().resolve("worst.png"), pixels, data.height(), data.width(), captions);
            errors.add(new Report.Image("worst.png", "worst-scored test images (true→predicted)"));
        }
        return r;
    }

    private static String shorten(String s) {
        return s.length() > 14 ? s.substring(0, 13) + "…" : s;
    }

    /** The off-diagonal cells of {@code counts} with the most examples, largest first (ties: row, then column). */
    static List<List<String>> confusedPairs(double[][] counts, List<String> names, int top) {
        List<int[]> cells = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            for (int j = 0; j < counts.length; j++) {
                if (i != j && counts[i][j] > 0) {
                    cells.add(new int[] {i, j});
                }
            }
        }
        cells.sort(Comparator.comparingDouble((int[] c) -> -counts[c[0]][c[1]]));
        List<List<String>> rows = new ArrayList<>();
        for (int[] c : cells.subList(0, Math.min(top, cells.size()))) {
            double rowSum = Arrays.stream(counts[c[0]]).sum();
            rows.add(List.of(names.get(c[0]), names.get(c[1]), Long.toString((long) counts[c[0]][c[1]]),
                    ReportWriter.format(counts[c[0]][c[1]] / rowSum)));
        }
        return rows;
    }
}
