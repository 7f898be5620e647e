package dev.kiln.eval.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * scikit-learn's {@code classification_report(output_dict=True)} as a value: per-class precision,
 * recall, F1 and support (entry {@code i} belongs to {@code labels[i]}), the micro, macro and
 * weighted averages, and the total support. When the labels cover every label present in the data,
 * the micro average equals accuracy and scikit-learn shows it as "accuracy"
 * ({@code microIsAccuracy}). Arrays are copied in and out, so the record is immutable.
 */
public record ClassificationReport(int[] labels, double[] precision, double[] recall, double[] f1, double[] support,
                                   PrecisionRecallFscore microAverage, PrecisionRecallFscore macroAverage,
                                   PrecisionRecallFscore weightedAverage, double totalSupport, boolean microIsAccuracy) {

    public ClassificationReport {
        int n = labels.length;
        if (precision.length != n || recall.length != n || f1.length != n || support.length != n) {
            throw new IllegalArgumentException("ClassificationReport: " + n + " labels but " + precision.length + "/"
                    + recall.length + "/" + f1.length + "/" + support.length + " precision/recall/f1/support");
        }
        labels = labels.clone();
        precision = precision.clone();
        recall = recall.clone();
        f1 = f1.clone();
        support = support.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public double[] precision() {
        return precision.clone();
    }

    @Override
    public double[] recall() {
        return recall.clone();
    }

    @Override
    public double[] f1() {
        return f1.clone();
    }

    @Override
    public double[] support() {
        return support.clone();
    }

    /** The accuracy line of the report, present when the micro average is the accuracy. */
    public OptionalDouble accuracy() {
        return microIsAccuracy ? OptionalDouble.of(microAverage.precision()) : OptionalDouble.empty();
    }

    /**
     * The text table, laid out as scikit-learn's report with {@code digits} decimals (rounded as
     * Python does: the exact binary value, ties to even). Supports print as integers when integral.
     */
    public String format(int digits) {
        if (digits < 0) {
            throw new IllegalArgumentException("ClassificationReport.format: digits = " + digits + " is negative");
        }
        String[] names = new String[labels.length];
        int width = Math.max("weighted avg".length(), digits);
        for (int i = 0; i < labels.length; i++) {
            names[i] = Integer.toString(labels[i]);
            width = Math.max(width, names[i].length());
        }
        StringBuilder out = new StringBuilder();
        out.append(pad("", width)).append(' ');
        for (String header : new String[] {"precision", "recall", "f1-score", "support"}) {
            out.append(' ').append(pad(header, 9));
        }
        out.append("\n\n");
        for (int i = 0; i < labels.length; i++) {
            row(out, names[i], width, digits, precision[i], recall[i], f1[i], support[i]);
        }
        out.append('\n');
        if (microIsAccuracy) {
            out.append(pad("accuracy", width)).append(' ').append(' ').append(pad("", 9)).append(' ').append(pad("", 9))
                    .append(' ').append(pad(fixed(microAverage.fscore(), digits), 9)).append(' ')
                    .append(pad(count(totalSupport), 9)).append('\n');
        } else {
            row(out, "micro avg", width, digits, microAverage.precision(), microAverage.recall(), microAverage.fscore(),
                    totalSupport);
        }
        row(out, "macro avg", width, digits, macroAverage.precision(), macroAverage.recall(), macroAverage.fscore(),
                totalSupport);
        row(out, "weighted avg", width, digits, weightedAverage.precision(), weightedAverage.recall(),
                weightedAverage.fscore(), totalSupport);
        return out.toString();
    }

    @Override
    public String toString() {
        return format(2);
    }

    private static void row(StringBuilder out, String name, int width, int digits, double p, double r, double f,
                            double support) {
        out.append(pad(name, width)).append(' ');
        for (double v : new double[] {p, r, f}) {
            out.append(' ').append(pad(fixed(v, digits), 9));
        }
        out.append(' ').append(pad(count(support), 9)).append('\n');
    }

    private static String fixed(double v, int digits) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String count(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassificationReport r && Arrays.equals(labels, r.labels)
                && Arrays.equals(precision, r.precision) && Arrays.equals(recall, r.recall) && Arrays.equals(f1, r.f1)
                && Arrays.equals(support, r.support) && microAverage.equals(r.microAverage)
                && macroAverage.equals(r.macroAverage) && weightedAverage.equals(r.weightedAverage)
                && Double.compare(totalSupport, r.totalSupport) == 0 && microIsAccuracy == r.microIsAccuracy;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(labels) * 31 + Arrays.hashCode(f1) * 17 + macroAverage.hashCode();
    }
}
