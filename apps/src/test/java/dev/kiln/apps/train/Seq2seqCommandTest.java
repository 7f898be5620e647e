package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.autograd.NoGrad;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.generate.EncoderDecoderScorer;
import dev.kiln.nn.generate.SequenceSearch;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln train seq2seq} run in-process on a small dictionary in CMUdict's format, written by
 * the test from {@link SyntheticLexicon} words with stress digits, alternate pronunciations,
 * comments and entries the parser must drop.
 */
class Seq2seqCommandTest {
    @TempDir
    static Path root;

    /** Words in the test dictionary (kept ones), and how many pronunciation lines they have. */
    private static final int WORDS = 1500;
    private static List<Cmudict.Word> words;
    private static int pronunciationLines;

    @BeforeAll
    static void writeDictionary() throws IOException {
        words = SyntheticLexicon.generate(WORDS, 11);
        List<String> lines = new ArrayList<>(List.of(";;; a comment line, as in the CMU release", ""));
        for (Cmudict.Word w : words) {
            for (int p = 0; p < w.pronunciations().size(); p++) {
                // a stress digit on every vowel: primary on the first, none on the rest
                List<String> phones = new ArrayList<>();
                boolean first = true;
                for (String ph : w.pronunciations().get(p)) {
                    boolean vowel = "AEIOU".indexOf(ph.charAt(0)) >= 0;
                    phones.add(vowel ? ph + (first ? "1" : "0") : ph);
                    first &= !vowel;
                }
                lines.add(w.spelling() + (p == 0 ? "" : "(" + p + ")") + "  " + String.join(" ", phones));
                pronunciationLines++;
            }
        }
        lines.add("A.  EY1");                           // abbreviation: dropped
        lines.add("ABLE-BODIED  EY1 B AH0 L B AA1 D IY0"); // compound: dropped
        lines.add("\"QUOTE  K W OW1 T");                 // spelled punctuation: dropped
        lines.add("ZZTOP'S  Z IY1 Z T AA1 P S  # an annotated entry, kept");
        Path dir = Files.createDirectories(root.resolve("data").resolve("cmudict"));
        Files.write(dir.resolve("dict.txt"), lines);
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A tiny model on the test dictionary with {@code extra} arguments appended. */
    private static CliRun train(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "seq2seq", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "20", "--width", "32", "--heads", "2",
                "--encoder-layers", "1", "--decoder-layers", "1", "--batch-size", "32", "--test-words", "60", "--val-words", "30",
                "--examples", "3"));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path metrics, String kind) throws IOException {
        return JsonFiles.readLines(metrics).stream().map(o -> (Map<String, Object>) o).filter(m -> kind.equals(m.get("kind"))).toList();
    }

    private static double number(Map<String, Object> record, String key) {
        return ((Number) record.get(key)).doubleValue();
    }

    @Test
    void parsesTheDictionaryFormat() throws IOException {
        Cmudict.Lexicon lex = Cmudict.read(root.resolve("data").resolve("cmudict"), false);
        assertEquals(WORDS + 1, lex.words().size(), "the generated words and ZZTOP'S");
        assertEquals(pronunciationLines + 4, lex.entries());
        assertEquals(3, lex.droppedEntries());
        assertEquals(1, lex.comments());
        for (int i = 0; i < WORDS; i++) {
            assertEquals(words.get(i), lex.words().get(i), "stress removed, variants merged under their word, in order");
        }
        assertEquals(new Cmudict.Word("ZZTOP'S", List.of(List.of("Z", "IY", "Z", "T", "AA", "P", "S"))), lex.words().getLast());
        Cmudict.Lexicon stressed = Cmudict.read(root.resolve("data").resolve("cmudict"), true);
        assertEquals(List.of("Z", "IY1", "Z", "T", "AA1", "P", "S"), stressed.words().getLast().pronunciations().getFirst());

        // pronunciations that differ only in stress merge when it is stripped
        Cmudict.Lexicon merged = Cmudict.parse(List.of("RECORD  R EH1 K ER0 D", "RECORD(1)  R IH0 K AO1 R D", "RECORD(2)  R EH2 K ER0 D"),
                "mem", false);
        assertEquals(List.of(List.of("R", "EH", "K", "ER", "D"), List.of("R", "IH", "K", "AO", "R", "D")),
                merged.words().getFirst().pronunciations());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Cmudict.parse(List.of("OK  OW1 K EY1", "BAD  B AE1 d"), "mem", false));
        assertEquals("mem:2: 'd' is not an ARPAbet phone (letters and an optional stress digit 0-2) in 'BAD  B AE1 d'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Cmudict.parse(List.of("LONELY"), "mem", false));
        assertEquals("mem:1: expected 'WORD  PHONE PHONE ...', found 'LONELY'", e.getMessage());
    }

    @Test
    void splitKeepsEveryPronunciationOfAWordOnOneSide() {
        Cmudict.Split s = Cmudict.split(words, 50, 70, 3);
        assertEquals(List.of(WORDS - 120, 50, 70), List.of(s.train().size(), s.validation().size(), s.test().size()));
        List<String> all = new ArrayList<>();
        for (List<Cmudict.Word> side : List.of(s.train(), s.validation(), s.test())) {
            side.forEach(w -> all.add(w.spelling()));
        }
        assertEquals(WORDS, all.stream().distinct().count(), "each word on exactly one side");
        assertEquals(s, Cmudict.split(words, 50, 70, 3), "seeded");
    }

    @Test
    void trainsDecodesAndWritesTheRunDirectory() throws IOException {
        Path out = root.resolve("run");
        CliRun r = train(out, "--steps", "400", "--lr", "0.006", "--warmup", "20", "--eval-every", "100", "--beam", "3",
                "--cost-words", "30");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        List<Map<String, Object>> steps = records(out.resolve("metrics.jsonl"), "step");
        assertEquals(400, steps.size());
        double first = number(steps.getFirst(), "loss");
        double last = steps.subList(390, 400).stream().mapToDouble(m -> number(m, "loss")).average().orElseThrow();
        assertTrue(first > 2.5, "the first loss is near ln(phones) = ln 31, got " + first);
        assertTrue(last < 0.3 * first, "the loss should fall: first " + first + ", mean of the last 10 " + last);
        List<Map<String, Object>> evals = records(out.resolve("metrics.jsonl"), "eval");
        assertEquals(List.of(0L, 100L, 200L, 300L, 400L), evals.stream().map(m -> m.get("step")).toList());
        assertTrue(number(evals.getLast(), "val_loss") < 0.5 * number(evals.getFirst(), "val_loss"), evals.toString());

        for (String f : List.of("metrics.jsonl", "curves.png", "model.safetensors", "config.json", "report.json", "predictions.tsv")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
        }
        try (var listing = Files.list(out)) {
            assertEquals(List.of(), listing.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp")).toList(),
                    "no temporary files left behind");
        }
        byte[] png = Files.readAllBytes(out.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));

        // the report's error rates, recomputed here from predictions.tsv with a plain edit distance
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) JsonFiles.read(out.resolve("report.json"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> results = (Map<String, Map<String, Object>>) report.get("results");
        List<String> rows = Files.readAllLines(out.resolve("predictions.tsv"));
        assertEquals("word\treferences\tgreedy\tgreedy_edits\tbeam\tbeam_edits", rows.getFirst());
        assertEquals(61, rows.size(), "a header and the 60 test words");
        for (String method : List.of("greedy", "beam")) {
            int col = method.equals("greedy") ? 2 : 4;
            long edits = 0;
            long refPhones = 0;
            long wrong = 0;
            for (String row : rows.subList(1, rows.size())) {
                String[] f = row.split("\t", -1);
                List<String> hyp = f[col].isEmpty() ? List.of() : List.of(f[col].split(" "));
                int best = Integer.MAX_VALUE;
                int bestLen = 0;
                for (String ref : f[1].split(" / ")) {
                    List<String> refPhonesList = List.of(ref.split(" "));
                    int d = levenshtein(hyp, refPhonesList);
                    if (d < best) {
                        best = d;
                        bestLen = refPhonesList.size();
                    }
                }
                assertEquals(best, Integer.parseInt(f[col + 1]), row);
                edits += best;
                refPhones += bestLen;
                wrong += best > 0 ? 1 : 0;
            }
            Map<String, Object> res = results.get(method);
            assertEquals((double) edits / refPhones, number(res, "per"), 1e-12, method);
            assertEquals(wrong / 60.0, number(res, "wer"), 1e-12, method);
            assertTrue(number(res, "per") < 0.25, method + " PER on the rule-based dictionary: " + res);
            double bleu = number(res, "bleu");
            assertTrue(bleu > 50 && bleu <= 100, method + " BLEU " + bleu);
        }
        assertEquals(3L, results.get("beam").get("beam"));
        @SuppressWarnings("unchecked")
        Map<String, Object> cache = (Map<String, Object>) report.get("decoder_cache");
        assertEquals(0L, cache.get("differing_words"), "cached and recomputed greedy decoding agree: " + cache);
        assertTrue(number(cache, "recompute_decoder_positions") > 2 * number(cache, "cached_decoder_positions"), cache.toString());

        // the weights and vocabularies load back into the same architecture
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cfg = (Map<String, Object>) JsonFiles.parse(c.metadata().get("config"), "config");
            @SuppressWarnings("unchecked")
            List<String> phones = (List<String>) JsonFiles.parse(c.metadata().get("phones"), "phones");
            assertEquals(List.of("<pad>", "<s>", "</s>"), phones.subList(0, 3));
            assertEquals((long) phones.size(), cfg.get("tgt_vocab"));
            EncoderDecoder model = new EncoderDecoder(new EncoderDecoder.Config(((Number) cfg.get("src_vocab")).intValue(),
                    phones.size(), ((Number) cfg.get("max_len")).intValue(), 32, 2, ((Number) cfg.get("mlp")).intValue(), 1, 1, 0.0, 0),
                    new Generator(1));
            assertEquals(64L, cfg.get("mlp"), "the default feed-forward size is 2 x --width");
            var result = model.loadStateDict(c.tensors(), true);
            assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());
        }
        assertTrue(r.out().contains("held-out 60 words"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  greedy   PER ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  beam 3   PER ")), r.out());
        assertTrue(r.out().contains("examples (word: reference | greedy | beam):"), r.out());
    }

    /** The textbook dynamic program, written here independently of dev.kiln.eval. */
    private static int levenshtein(List<String> a, List<String> b) {
        int[][] d = new int[a.size() + 1][b.size() + 1];
        for (int i = 0; i <= a.size(); i++) {
            for (int j = 0; j <= b.size(); j++) {
                d[i][j] = i == 0 ? j : j == 0 ? i : Math.min(d[i - 1][j - 1] + (a.get(i - 1).equals(b.get(j - 1)) ? 0 : 1),
                        Math.min(d[i - 1][j], d[i][j - 1]) + 1);
            }
        }
        return d[a.size()][b.size()];
    }

    @Test
    void beamOfOneIsGreedyAndTheCacheChangesNothing() {
        // an untrained model: its outputs are arbitrary, often running to the step limit, and its distributions flat, so
        // the beam holds many close candidates: a strict comparison
        EncoderDecoder model = new EncoderDecoder(new EncoderDecoder.Config(12, 9, 10, 32, 4, 64, 2, 2, 0.0, 0), new Generator(21));
        model.eval();
        long[][] sources = {{3, 4, 5}, {6, 7, 8, 9, 10, 11}, {2}, {5, 5, 5, 5}, {11, 3}};
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter();
             EncoderDecoderScorer cached = new EncoderDecoderScorer(model, sources, true, 0, 1);
             EncoderDecoderScorer recompute = new EncoderDecoderScorer(model, sources, false, 0, 1);
             EncoderDecoderScorer forBeam = new EncoderDecoderScorer(model, sources, true, 0, 1);
             EncoderDecoderScorer forBeamRecompute = new EncoderDecoderScorer(model, sources, false, 0, 1)) {
            List<SequenceSearch.Hypothesis> greedy = SequenceSearch.greedy(cached, 1, 2, 9);
            List<SequenceSearch.Hypothesis> greedyRecomputed = SequenceSearch.greedy(recompute, 1, 2, 9);
            List<SequenceSearch.Hypothesis> beamOne = SequenceSearch.beam(forBeam, 1, 2, 9, 1, 1.0);
            List<SequenceSearch.Hypothesis> beamFour = SequenceSearch.beam(forBeam, 1, 2, 9, 4, 1.0);
            List<SequenceSearch.Hypothesis> beamFourRecomputed = SequenceSearch.beam(forBeamRecompute, 1, 2, 9, 4, 1.0);
            for (int i = 0; i < sources.length; i++) {
                assertArrayEquals(greedy.get(i).tokens(), greedyRecomputed.get(i).tokens(), "source " + i);
                assertArrayEquals(greedy.get(i).tokens(), beamOne.get(i).tokens(), "source " + i);
                assertEquals(greedy.get(i).logProb(), beamOne.get(i).logProb(), 1e-12);
                assertArrayEquals(beamFour.get(i).tokens(), beamFourRecomputed.get(i).tokens(), "source " + i);
                assertEquals(beamFour.get(i).logProb(), beamFourRecomputed.get(i).logProb(), 1e-4);
            }
            for (List<SequenceSearch.Hypothesis> hyps : List.of(greedy, beamFour)) {
                for (SequenceSearch.Hypothesis h : hyps) {
                    assertTrue(Arrays.stream(h.tokens()).allMatch(t -> t > 2), "padding and begin tokens are never emitted: " + h);
                }
            }
            assertTrue(cached.decoderTokens() < recompute.decoderTokens(),
                    cached.decoderTokens() + " vs " + recompute.decoderTokens() + " decoder positions");
        }
    }

    @Test
    void syntheticDictionaryNeedsNoData() throws IOException {
        Path out = root.resolve("synthetic");
        CliRun r = run("train", "seq2seq", "--synthetic", "300", "--data-dir", root.resolve("nowhere").toString(), "--out",
                out.toString(), "--threads", "1", "--steps", "5", "--width", "16", "--heads", "2", "--encoder-layers", "1",
                "--decoder-layers", "1", "--test-words", "20", "--val-words", "10", "--cost-words", "0", "--examples", "0");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().startsWith("kiln train seq2seq: synthetic dictionary (300 words)"), r.out());
        assertEquals(5, records(out.resolve("metrics.jsonl"), "step").size());
    }

    @Test
    void sameSeedGivesTheSameLosses() throws IOException {
        String[] args = {"--steps", "4", "--eval-every", "2", "--cost-words", "0", "--seed", "5"};
        CliRun a = train(root.resolve("seedA"), args);
        CliRun b = train(root.resolve("seedB"), args);
        assertEquals(0, a.exitCode(), a.out() + a.err());
        assertEquals(0, b.exitCode(), b.out() + b.err());
        // Not bitwise: the Vector API's lanewise EXP/TANH (softmax, GELU-tanh) round differently before and after
        // C2 compiles them, so a run in a cold JVM can differ from a warm one in the last bit (GptCommandTest's
        // sameSeed check trips on this when other tests warm the JVM first).
        List<Object> lossesA = losses(root.resolve("seedA"));
        List<Object> lossesB = losses(root.resolve("seedB"));
        assertEquals(lossesA.size(), lossesB.size());
        for (int i = 0; i < lossesA.size(); i++) {
            double x = ((Number) lossesA.get(i)).doubleValue();
            assertEquals(x, ((Number) lossesB.get(i)).doubleValue(), 1e-6 * Math.abs(x), "loss of step " + (i + 1));
        }
        assertEquals(Files.readString(root.resolve("seedA").resolve("predictions.tsv")),
                Files.readString(root.resolve("seedB").resolve("predictions.tsv")));
    }

    private static List<Object> losses(Path run) throws IOException {
        return records(run.resolve("metrics.jsonl"), "step").stream().map(m -> m.get("loss")).toList();
    }

    @Test
    void missingDataPrintsTheFetchCommand() {
        CliRun r = run("train", "seq2seq", "--data-dir", root.resolve("nowhere").toString(), "--out", root.resolve("never").toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("./kiln data fetch cmudict --data-dir " + root.resolve("nowhere")), r.err());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String[][] cases = {
            {"--steps", "0", "--steps must be >= 1, got 0"},
            {"--beam", "0", "--beam must be >= 1, got 0"},
            {"--heads", "3", "--heads must be >= 1 and divide --width 128, got 3"},
            {"--length-alpha", "-1", "--length-alpha must be a finite number >= 0, got -1.0"},
            {"--test-words", "0", "--test-words must be >= 1, got 0"},
            {"--label-smoothing", "1", "--label-smoothing must be in [0, 1), got 1.0"},
            {"--test-words", "1200", "--test-words 1200 + --val-words 500 must leave training words out of the 1501 words"},
        };
        for (String[] c : cases) {
            CliRun r = run("train", "seq2seq", "--data-dir", root.resolve("data").toString(), "--out",
                    root.resolve("never-" + c[0].substring(2)).toString(), c[0], c[1]);
            assertEquals(2, r.exitCode(), Arrays.toString(c) + ": " + r.err());
            assertTrue(r.err().contains("kiln train seq2seq: " + c[2]), Arrays.toString(c) + ": " + r.err());
        }
    }
}
