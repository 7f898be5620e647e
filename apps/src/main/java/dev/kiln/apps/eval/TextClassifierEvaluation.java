package dev.kiln.apps.eval;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.eval.metrics.Average;
import dev.kiln.eval.metrics.CalibrationBins;
import dev.kiln.eval.metrics.ClassificationMetrics;
import dev.kiln.eval.metrics.ConfusionMatrix;
import dev.kiln.eval.metrics.PrecisionRecallFscore;
import dev.kiln.eval.metrics.PrecisionRecallOptions;
import dev.kiln.eval.metrics.ProbabilityMetrics;
import dev.kiln.eval.metrics.RankingMetrics;
import dev.kiln.eval.metrics.ZeroDivision;
import dev.kiln.eval.validation.Bootstrap;
import dev.kiln.eval.validation.ConfidenceInterval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln eval} of a {@code kiln train classify} run from what the run wrote about its test
 * split: test_predictions.jsonl (id, label, predicted, p_spam per message) and, for the text of
 * the misclassified messages, report.json. Spam (1) is the positive class.
 */
final class TextClassifierEvaluation {
    static final List<String> CLASSES = List.of("ham", "spam");
    static final int WORST = 15;
    static final int CALIBRATION_BINS = 10;

    private TextClassifierEvaluation() {}

    /** One test message as the run scored it. */
    record Prediction(String id, int label, int predicted, double pSpam) {}

    @SuppressWarnings("unchecked")
    static List<Prediction> readPredictions(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("kiln eval: " + file + " not found; classify runs are evaluated from their test_predictions.jsonl");
        }
        List<Prediction> out = new ArrayList<>();
        List<Object> lines = JsonFiles.readLines(file);
        for (int i = 0; i < lines.size() && (limit <= 0 || out.size() < limit); i++) {
            if (!(lines.get(i) instanceof Map<?, ?> m) || !(m.get("label") instanceof Number label)
                    || !(m.get("predicted") instanceof Number predicted) || !(m.get("p_spam") instanceof Number p)) {
                throw new IOException(file + ": line " + (i + 1) + " must be an object with numeric label, predicted and p_spam, got "
                        + JsonFiles.write(lines.get(i)));
            }
            out.add(new Prediction(String.valueOf(((Map<String, Object>) m).get("id")), label.intValue(), predicted.intValue(),
                    p.doubleValue()));
        }
        return out;
    }

    /** Message id to text excerpt, from the run's report.json list of misclassified messages (empty if absent). */
    @SuppressWarnings("unchecked")
    static Map<String, String> misclassifiedTexts(Path reportJson) throws IOException {
        Map<String, String> texts = new HashMap<>();
        if (Files.isRegularFile(reportJson) && JsonFiles.read(reportJson) instanceof Map<?, ?> report
                && report.get("misclassified") instanceof List<?> errors) {
            for (Object e : errors) {
                if (e instanceof Map<?, ?> m && m.get("id") != null && m.get("text") != null) {
                    texts.put(String.valueOf(m.get("id")), String.valueOf(((Map<String, Object>) m).get("text")));
                }
            }
        }
        return texts;
    }

    static Report evaluate(RunFiles run, int limit, int bootstrap) throws IOException {
        List<Prediction> predictions = readPredictions(run.dir().resolve("test_predictions.jsonl"), limit);
        return report(predictions, misclassifiedTexts(run.dir().resolve("report.json")), run, bootstrap);
    }

    static Report report(List<Prediction> predictions, Map<String, String> texts, RunFiles run, int bootstrap) throws IOException {
        int n = predictions.size();
        if (n == 0) {
            throw new IOException("kiln eval: test_predictions.jsonl of " + run.dir() + " has no rows");
        }
        int[] yTrue = predictions.stream().mapToInt(Prediction::label).toArray();
        int[] yPred = predictions.stream().mapToInt(Prediction::predicted).toArray();
        double[] pSpam = predictions.stream().mapToDouble(Prediction::pSpam).toArray();
        double[][] probabilities = new double[n][];
        for (int i = 0; i < n; i++) {
            probabilities[i] = new double[] {1 - pSpam[i], pSpam[i]};
        }
        Report r = new Report("kiln eval: " + run.metadata().getOrDefault("model", "classify") + ", " + n + " test messages");
        r.metric("app", "classify").metric("examples", n).metric("accuracy", ClassificationMetrics.accuracy(yTrue, yPred));
        if (bootstrap > 0) {
            ConfidenceInterval ci = Bootstrap.percentile(n, idx -> ClassificationMetrics.accuracy(
                    Bootstrap.select(yTrue, idx), Bootstrap.select(yPred, idx)), bootstrap, 0.95, 1);
            r.metric("accuracy_ci95_low", ci.lower()).metric("accuracy_ci95_high", ci.upper());
        }
        PrecisionRecallOptions binary = PrecisionRecallOptions.defaults().withZeroDivision(ZeroDivision.ZERO).withLabels(0, 1);
        PrecisionRecallFscore spam = ClassificationMetrics.averaged(yTrue, yPred, Average.BINARY, binary);
        r.metric("precision", spam.precision()).metric("recall", spam.recall()).metric("f1", spam.fscore());
        r.metric("macro_f1", ClassificationMetrics.averaged(yTrue, yPred, Average.MACRO, binary).fscore());
        boolean bothClasses = Arrays.stream(yTrue).distinct().count() == 2;
        if (bothClasses) {
            r.metric("roc_auc", RankingMetrics.rocAuc(yTrue, pSpam));
        }
        r.metric("log_loss", ProbabilityMetrics.logLoss(yTrue, probabilities));
        CalibrationBins bins = ProbabilityMetrics.calibrationBins(yTrue, probabilities, CALIBRATION_BINS);
        r.metric("ece", bins.expectedCalibrationError());

        ConfusionMatrix cm = ClassificationMetrics.confusionMatrix(yTrue, yPred, 2);
        ReportImages.confusionHeatmap(run.out().resolve("confusion.png"), cm.values(), CLASSES);
        r.section("Confusion matrix").add(new Report.Image("confusion.png", "confusion matrix heatmap (spam is positive)"));
        ReportImages.reliability(run.out().resolve("calibration.png"), bins);
        r.section("Calibration").add(new Report.Image("calibration.png", "reliability diagram, " + CALIBRATION_BINS + " bins"));

        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> probabilities[i][yTrue[i]]));
        List<List<String>> rows = new ArrayList<>();
        for (int k = 0; k < Math.min(WORST, n); k++) {
            Prediction p = predictions.get(order[k]);
            rows.add(List.of(p.id(), CLASSES.get(p.label()), CLASSES.get(p.predicted()),
                    ReportWriter.format(probabilities[order[k]][p.label()]), texts.getOrDefault(p.id(), "")));
        }
        List<Report.Block> errors = r.section("Error analysis");
        errors.add(new Report.Paragraph("Worst-scored test messages (lowest probability of the true class; the text of"
                + " misclassified ones as the run's report.json recorded it):"));
        errors.add(new Report.Table(List.of("message", "true", "predicted", "p(true)", "text"), rows));
        return r;
    }
}
