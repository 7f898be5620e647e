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
        List<Report.Block> errors = r.section("Error analysis");
        errors.add(new Report.Table(List.of("word", "references", "predicted", "edits"), rows));
        ErrorsByLength byLength = errorsByLength(predictions, scores);
        ReportImages.errorByLength(run.out().resolve("error_by_length.png"), "error rates by word length (greedy)",
                "word length (characters)", byLength.lengths(), byLength.per(), byLength.wer());
        errors.add(new Report.Image("error_by_length.png", "phone and word error rates by the length of the spelled word"));
        List<List<String>> lengthRows = new ArrayList<>();
        for (int i = 0; i < byLength.lengths().length; i++) {
            lengthRows.add(List.of(Integer.toString(byLength.lengths()[i]), Integer.toString(byLength.words()[i]),
                    ReportWriter.format(byLength.per()[i]), ReportWriter.format(byLength.wer()[i])));
        }
        errors.add(new Report.Table(List.of("word length", "words", "per", "wer"), lengthRows));
        return r;
    }

    /** Per spelled-word length (ascending, lengths present only): words, PER (edits over reference phones), WER. */
    record ErrorsByLength(int[] lengths, int[] words, double[] per, double[] wer) {}

    static ErrorsByLength errorsByLength(List<Prediction> predictions, List<ErrorRate.Result> scores) {
        java.util.TreeMap<Integer, long[]> byLength = new java.util.TreeMap<>(); // words, edits, reference phones, wrong words
        for (int i = 0; i < predictions.size(); i++) {
            ErrorRate.Result s = scores.get(i);
            long[] acc = byLength.computeIfAbsent(predictions.get(i).source().codePointCount(0, predictions.get(i).source().length()),
                    _ -> new long[4]);
            acc[0]++;
            acc[1] += s.edits();
            acc[2] += s.referenceLength();
            acc[3] += s.edits() > 0 ? 1 : 0;
        }
        int k = byLength.size();
        int[] lengths = new int[k];
        int[] words = new int[k];
        double[] per = new double[k];
        double[] wer = new double[k];
        int i = 0;
        for (var e : byLength.entrySet()) {
            long[] acc = e.getValue();
            lengths[i] = e.getKey();
            words[i] = (int) acc[0];
            per[i] = acc[2] == 0 ? (acc[1] == 0 ? 0 : 1) : acc[1] / (double) acc[2]; // no reference phones: any output is all wrong
            wer[i] = acc[3] / (double) acc[0];
            i++;
        }
        return new ErrorsByLength(lengths, words, per, wer);
    }

    private static List<String> phones(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split(" +"));
    }
}
