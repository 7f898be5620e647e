package dev.kiln.apps.train;

import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.data.vocab.WordVocabulary;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@code kiln train classify} run reports: report.json (data, test scores, the majority
 * baseline, the misclassified messages), the model's config (also in the safetensors metadata,
 * read by {@code kiln eval}), vocab.json, and the test scores on the console.
 */
final class ClassifyReport {
    private ClassifyReport() {}

    static Map<String, Object> reportJson(SpamCorpus.Corpus corpus, SpamCorpus.Split split, WordVocabulary vocab,
            BinaryScores test, BinaryScores baseline, int majority, SpamEvaluation val, double testLoss,
            double wallSeconds, double readSeconds, List<Map<String, Object>> errors) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("messages_per_group", corpus.perGroup());
        data.put("duplicates_removed", corpus.duplicates());
        data.put("duplicates_with_other_label", corpus.conflicting());
        data.put("distinct_messages", corpus.mails().size());
        data.put("ham", corpus.count(SpamCorpus.HAM));
        data.put("spam", corpus.count(SpamCorpus.SPAM));
        data.put("train", splitCounts(split.train()));
        data.put("val", splitCounts(split.val()));
        data.put("test", splitCounts(split.test()));
        data.put("vocab_size", vocab.size());
        data.put("read_seconds", round(readSeconds, 3));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("positive_class", "spam");
        r.put("data", data);
        Map<String, Object> t = test.toJson();
        t.put("loss", Double.isFinite(testLoss) ? testLoss : null); // NaN for an empty test split
        r.put("test", t);
        Map<String, Object> b = baseline.toJson();
        b.put("predicts", SpamCorpus.CLASS_NAMES.get(majority));
        r.put("majority_baseline", b);
        r.put("validation", val.counts().toJson());
        r.put("wall_seconds", round(wallSeconds, 3));
        r.put("misclassified", errors);
        return r;
    }

    private static Map<String, Object> splitCounts(List<SpamCorpus.Mail> mails) {
        long spam = mails.stream().filter(m -> m.label() == SpamCorpus.SPAM).count();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messages", mails.size());
        m.put("ham", mails.size() - spam);
        m.put("spam", spam);
        return m;
    }

    static Map<String, Object> configJson(TransformerClassifier.Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab_size", c.vocabSize());
        m.put("max_len", c.maxLen());
        m.put("layers", c.layers());
        m.put("width", c.width());
        m.put("heads", c.heads());
        m.put("mlp", c.feedForward());
        m.put("dropout", c.dropout());
        m.put("classes", c.classes());
        m.put("pad_id", WordVocabulary.PAD);
        m.put("unknown_id", WordVocabulary.UNKNOWN);
        return m;
    }

    static Map<String, Object> vocabJson(WordVocabulary v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pad_id", WordVocabulary.PAD);
        m.put("unknown_id", WordVocabulary.UNKNOWN);
        m.put("first_word_id", 2);
        m.put("tokenizer", "lower-cased letter/digit runs, single ideographs, single other visible characters");
        m.put("words", new ArrayList<Object>(v.words()));
        return m;
    }

    /** The test scores, the confusion matrix, the baseline and the first {@code showErrors} misclassified messages. */
    static void print(PrintWriter out, BinaryScores counts, BinaryScores baseline, int majority, List<Map<String, Object>> errors,
            int showErrors) {
        out.printf(Locale.ROOT, "test (%d messages, spam positive): accuracy %.2f%%, precision %.4f, recall %.4f, F1 %.4f%n",
                counts.total(), 100 * counts.accuracy(), counts.precision(), counts.recall(), counts.f1());
        out.printf(Locale.ROOT, "confusion matrix (rows actual, columns predicted; ham, spam): [[%d, %d], [%d, %d]]%n",
                counts.tn(), counts.fp(), counts.fn(), counts.tp());
        out.printf(Locale.ROOT, "majority-class baseline (always %s): accuracy %.2f%%, precision %.4f, recall %.4f, F1 %.4f%n",
                SpamCorpus.CLASS_NAMES.get(majority), 100 * baseline.accuracy(), baseline.precision(),
                baseline.recall(), baseline.f1());
        if (!errors.isEmpty() && showErrors > 0) {
            out.printf("misclassified test messages (%d, showing %d):%n", errors.size(), Math.min(showErrors, errors.size()));
            for (Map<String, Object> e : errors.subList(0, Math.min(showErrors, errors.size()))) {
                out.printf(Locale.ROOT, "  %s  %s predicted %s (p(spam) %.3f): %s%n", e.get("id"), e.get("label"),
                        e.get("predicted"), (Double) e.get("p_spam"), e.get("text"));
            }
        }
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
