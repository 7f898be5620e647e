package dev.kiln.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.eval.metrics.MetricFixture.Case;
import java.io.IOException;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Accuracy, confusion matrices, precision / recall / F-beta (per class and every average) and the
 * classification report against scikit-learn's values on random and corner-case inputs.
 */
class SklearnClassificationTest {

    @TestFactory
    Stream<DynamicTest> labelMetricsMatchScikitLearn() throws IOException {
        List<Case> cases = MetricFixture.load("labels");
        assertFalse(cases.isEmpty(), "no 'labels' cases in the fixture");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(Case c) {
        Tolerance tol = new Tolerance(c.toString());
        int[] yTrue = c.ints("y_true");
        int[] yPred = c.ints("y_pred");
        double[] weights = c.doublesOrNull("sample_weight");
        int[] labels = c.intsOrNull("labels");
        ZeroDivision zd = switch (c.word("zero_division")) {
            case "warn" -> ZeroDivision.WARN;
            case "0" -> ZeroDivision.ZERO;
            case "1" -> ZeroDivision.ONE;
            default -> throw new IllegalArgumentException("zero_division " + c.word("zero_division"));
        };
        PrecisionRecallOptions options = PrecisionRecallOptions.defaults().withSampleWeight(weights).withZeroDivision(zd);
        if (labels != null) {
            options = options.withLabels(labels);
        }
        final PrecisionRecallOptions o = options;

        scalar(tol, c, "accuracy", () -> ClassificationMetrics.accuracy(yTrue, yPred, weights));
        scalar(tol, c, "accuracy_count", () -> ClassificationMetrics.correctCount(yTrue, yPred, weights));
        for (ConfusionMatrix.Normalization norm : ConfusionMatrix.Normalization.values()) {
            String key = norm == ConfusionMatrix.Normalization.NONE ? "confusion" : "confusion_" + norm.name().toLowerCase();
            if (!c.has(key)) {
                continue;
            }
            if (c.raised(key)) {
                tol.checkRaises(key, () -> ClassificationMetrics.confusionMatrix(yTrue, yPred, labels, weights, norm));
            } else {
                ConfusionMatrix m = ClassificationMetrics.confusionMatrix(yTrue, yPred, labels, weights, norm);
                tol.check(key, c.matrix(key), m.values());
                tol.check(key + ".labels", c.doubles("per_class.labels"), toDoubles(m.labels()));
            }
        }

        if (c.raised("per_class.precision")) {
            tol.checkRaises("per_class", () -> ClassificationMetrics.perClass(yTrue, yPred, o));
        } else {
            PerClassScores s = ClassificationMetrics.perClass(yTrue, yPred, o);
            tol.check("per_class.labels", c.doubles("per_class.labels"), toDoubles(s.labels()));
            tol.check("per_class.precision", c.doubles("per_class.precision"), s.precision());
            tol.check("per_class.recall", c.doubles("per_class.recall"), s.recall());
            tol.check("per_class.f1", c.doubles("per_class.f1"), s.fscore());
            tol.check("per_class.support", c.doubles("per_class.support"), s.support());
        }

        for (Average average : new Average[] {Average.MICRO, Average.MACRO, Average.WEIGHTED}) {
            averaged(tol, c, "avg." + average.name().toLowerCase(), yTrue, yPred, average, o);
        }
        for (String key : c.entries().keySet()) {
            if (key.startsWith("fbeta.")) {
                // fbeta.<beta>.<average>, beta printed by Python as e.g. 0.5 or 2.0
                String rest = key.substring("fbeta.".length());
                int lastDot = rest.lastIndexOf('.');
                double beta = Double.parseDouble(rest.substring(0, lastDot));
                Average average = Average.valueOf(rest.substring(lastDot + 1).toUpperCase());
                scalar(tol, c, key, () -> ClassificationMetrics.averaged(yTrue, yPred, average, o.withBeta(beta)).fscore());
            }
        }
        if (c.has("pos_label")) {
            int pos = c.ints("pos_label")[0];
            averaged(tol, c, "avg.binary", yTrue, yPred, Average.BINARY, o.withPosLabel(pos));
        }

        if (c.raised("report")) {
            tol.checkRaises("report", () -> ClassificationMetrics.report(yTrue, yPred, o));
        } else if (c.has("report.macro")) {
            ClassificationReport r = ClassificationMetrics.report(yTrue, yPred, o);
            if (c.has("report.accuracy")) {
                if (r.accuracy().isEmpty()) {
                    tol.fail("report.accuracy: scikit-learn shows accuracy, Kiln shows a micro average");
                } else {
                    tol.check("report.accuracy", c.scalar("report.accuracy"), r.accuracy().getAsDouble());
                }
            } else {
                if (r.accuracy().isPresent()) {
                    tol.fail("report.micro: scikit-learn shows a micro average, Kiln shows accuracy");
                }
                tol.check("report.micro", c.doubles("report.micro"), withSupport(r.microAverage(), r.totalSupport()));
            }
            tol.check("report.macro", c.doubles("report.macro"), withSupport(r.macroAverage(), r.totalSupport()));
            tol.check("report.weighted", c.doubles("report.weighted"), withSupport(r.weightedAverage(), r.totalSupport()));
        }
        tol.verify();
    }

    private static void averaged(Tolerance tol, Case c, String key, int[] yTrue, int[] yPred, Average average,
                                 PrecisionRecallOptions o) {
        if (c.raised(key)) {
            tol.checkRaises(key, () -> ClassificationMetrics.averaged(yTrue, yPred, average, o));
            return;
        }
        PrecisionRecallFscore s = ClassificationMetrics.averaged(yTrue, yPred, average, o);
        tol.check(key, c.doubles(key), new double[] {s.precision(), s.recall(), s.fscore()});
    }

    private static void scalar(Tolerance tol, Case c, String key, DoubleSupplier value) {
        if (c.raised(key)) {
            tol.checkRaises(key, value::getAsDouble);
        } else {
            tol.check(key, c.scalar(key), value.getAsDouble());
        }
    }

    private static double[] withSupport(PrecisionRecallFscore s, double support) {
        return new double[] {s.precision(), s.recall(), s.fscore(), support};
    }

    static double[] toDoubles(int[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
