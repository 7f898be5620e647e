package dev.kiln.apps.eval;

import dev.kiln.eval.text.Bleu;
import dev.kiln.eval.text.BleuScore;
import dev.kiln.eval.text.Chrf;
import dev.kiln.eval.text.ErrorRate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * {@code kiln eval} of a {@code kiln train seq2seq} run from its predictions.tsv (word, references
 * joined by " / ", greedy output, ...): BLEU and chrF over phone strings, phone and word error rates.
 */
final class TranslationEvaluation {
    static final int WORST = 15;

    private TranslationEvaluation() {}

    /** One test word: its spelling, reference pronunciations and the model's (space-separated phones). */
    record Prediction(String source, List<String> references, String hypothesis) {}

    static List<Prediction> readPredictions(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("kiln eval: " + file + " not found; seq2seq runs are evaluated from their predictions.tsv");
        }
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty() || !lines.getFirst().startsWith("word\treferences\tgreedy")) {
            throw new IOException(file + ": line 1 must be the header word<TAB>references<TAB>greedy..., got "
                    + (lines.isEmpty() ? "an empty file" : lines.getFirst()));
        }
        List<Prediction> out = new ArrayList<>();
        for (int i = 1; i < lines.size() && (limit <= 0 || out.size() < limit); i++) {
            String[] f = lines.get(i).split("\t", -1);
            if (f.length < 3) {
                throw new IOException(file + ": line " + (i + 1) + " has " + f.length + " tab-separated fields, expected >= 3");
            }
            out.add(new Prediction(f[0], Arrays.asList(f[1].split(" / ")), f[2]));
        }
        return out;
    }

    static Report evaluate(RunFiles run, int limit) throws IOException {
        return report(readPredictions(run.dir().resolve("predictions.tsv"), limit), run);
    }

    static Report report(List<Prediction> predictions, RunFiles run) throws IOException {
        if (predictions.isEmpty()) {
            throw new IOException("kiln eval: predictions.tsv of " + run.dir() + " has no rows");
        }
        List<String> hyps = predictions.stream().map(Prediction::hypothesis).toList();
        List<List<String>> refs = predictions.stream().map(Prediction::references).toList();
        BleuScore bleu = new Bleu().withTokenize(Bleu.Tokenize.NONE).corpusScoreBySegment(hyps, refs);
        double chrf = new Chrf().corpusScoreBySegment(hyps, refs);
        ErrorRate per = new ErrorRate();
        List<ErrorRate.Result> scores = new ArrayList<>();
        for (Prediction p : predictions) {
            List<List<String>> refPhones = p.references().stream().map(TranslationEvaluation::phones).toList();
            scores.add(per.addClosest(phones(p.hypothesis()), refPhones));
        }
        Report r = new Report("kiln eval: " + run.metadata().getOrDefault("model", "seq2seq") + ", "
                + predictions.size() + " test words (greedy)");
        r.metric("app", "seq2seq").metric("examples", predictions.size()).metric("bleu", bleu.score()).metric("chrf", chrf)
                .metric("per", per.tokenErrorRate()).metric("wer", per.sequenceErrorRate());
        r.section("Metrics").add(new Report.Paragraph("BLEU and chrF (sacrebleu's definitions) treat each word's phones as a"
                + " sentence with every listed pronunciation as a reference; PER is phone edits over reference phones against"
                + " the closest reference, WER the fraction of words with any error. " + bleu));
        Integer[] order = new Integer[predictions.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> -scores.get(i).edits() / (double) Math.max(1, scores.get(i).referenceLength())));
        List<List<String>> rows = new ArrayList<>();
        for (int k = 0; k < Math.min(WORST, order.length); k++) {
            Prediction p = predictions.get(order[k]);
            ErrorRate.Result s = scores.get(order[k]);
            rows.add(List.of(p.source(), String.join(" / ", p.references()), p.hypothesis(), Integer.toString(s.edits())));
        }
        r.section("Error analysis").add(new Report.Table(List.of("word", "references", "predicted", "edits"), rows));
        return r;
    }

    private static List<String> phones(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split(" +"));
    }
}
