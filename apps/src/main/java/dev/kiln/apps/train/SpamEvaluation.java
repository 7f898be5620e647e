package dev.kiln.apps.train;

import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.apps.train.SpamBatches.Batch;
import dev.kiln.apps.train.SpamBatches.Encoded;
import dev.kiln.autograd.NoGrad;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores of {@code kiln train classify}'s model on one split, spam the positive class: per message
 * (in the order of {@code messages}) the label, the predicted class (the larger logit) and
 * p(spam); the mean cross-entropy; the counts. Also what a run writes from them: the lines of
 * test_predictions.jsonl and the misclassified messages of report.json.
 */
record SpamEvaluation(List<Encoded> messages, int[] actual, int[] predicted, double[] pSpam, double loss, BinaryScores counts) {
    /** Characters of a misclassified message's text shown in the report. */
    static final int EXAMPLE_CHARS = 160;

    static SpamEvaluation evaluate(TransformerClassifier model, List<Encoded> messages) {
        model.eval();
        Map<Encoded, double[]> probs = new IdentityHashMap<>();
        try (NoGrad _ = NoGrad.enter()) {
            for (Batch b : SpamBatches.evalBatches(messages)) {
                try (TensorScope _ = TensorScope.open()) {
                    float[] p = model.forward(b.idsTensor()).value().softmax(-1).toFloatArray(); // [B, 2]
                    for (int i = 0; i < b.rows(); i++) {
                        probs.put(b.members().get(i), new double[] {p[2 * i], p[2 * i + 1]});
                    }
                }
            }
        } finally {
            model.train();
        }
        int n = messages.size();
        int[] actual = new int[n];
        int[] predicted = new int[n];
        double[] pSpam = new double[n];
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            double[] p = probs.get(messages.get(i));
            actual[i] = messages.get(i).mail().label();
            predicted[i] = p[1] > p[0] ? SpamCorpus.SPAM : SpamCorpus.HAM;
            pSpam[i] = p[1];
            lossSum -= Math.log(Math.max(p[actual[i]], 1e-30));
        }
        return new SpamEvaluation(messages, actual, predicted, pSpam, n == 0 ? Double.NaN : lossSum / n,
                BinaryScores.of(actual, predicted));
    }

    /** The misclassified messages, most confidently wrong first, with the start of their text. */
    static List<Map<String, Object>> misclassified(SpamEvaluation e) {
        List<Integer> wrong = new ArrayList<>();
        for (int i = 0; i < e.actual().length; i++) {
            if (e.actual()[i] != e.predicted()[i]) {
                wrong.add(i);
            }
        }
        wrong.sort(Comparator.comparingDouble(i -> -Math.abs(e.pSpam()[i] - 0.5)));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i : wrong) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.messages().get(i).mail().id());
            m.put("label", SpamCorpus.CLASS_NAMES.get(e.actual()[i]));
            m.put("predicted", SpamCorpus.CLASS_NAMES.get(e.predicted()[i]));
            m.put("p_spam", round(e.pSpam()[i], 4));
            m.put("text", excerpt(e.messages().get(i).mail().text(), EXAMPLE_CHARS));
            out.add(m);
        }
        return out;
    }

    /** The first {@code chars} characters of {@code text} on one line, "..." when cut. */
    static String excerpt(String text, int chars) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= chars ? flat : flat.substring(0, chars) + "...";
    }

    static String predictionsJsonl(SpamEvaluation e) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < e.actual().length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.messages().get(i).mail().id());
            m.put("label", e.actual()[i]);
            m.put("predicted", e.predicted()[i]);
            m.put("p_spam", e.pSpam()[i]);
            sb.append(JsonFiles.write(m)).append('\n');
        }
        return sb.toString();
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
