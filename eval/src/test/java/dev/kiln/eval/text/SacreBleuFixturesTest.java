package dev.kiln.eval.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays sacreBLEU 2.6.0 on the committed fixture (eval/src/test/python/bleu_fixtures.py): the
 * 13a tokenization of tricky lines, and BLEU and chrF of each corpus under several option sets;
 * every score must agree to 1e-9, the counts and lengths exactly.
 */
class SacreBleuFixturesTest {
    private static final double TOLERANCE = 1e-9;
    private static SacreBleuFixtures fixtures;

    @BeforeAll
    static void load() throws IOException {
        fixtures = SacreBleuFixtures.load();
    }

    @Test
    void fixtureCoversWhatItClaims() {
        assertTrue(fixtures.tokenizations.size() >= 10, "tokenizer cases: " + fixtures.tokenizations.size());
        List<String> names = fixtures.corpora.stream().map(SacreBleuFixtures.Corpus::name).toList();
        for (String n : List.of("random", "tricky-13a", "empty-hypotheses", "zero-high-orders", "three-references",
                "variable-references", "phonemes")) {
            assertTrue(names.contains(n), n + " missing from " + names);
        }
        long bleu = fixtures.corpora.stream().flatMap(c -> c.scored().stream()).filter(s -> s.metric().equals("bleu")).count();
        long chrf = fixtures.corpora.stream().flatMap(c -> c.scored().stream()).filter(s -> s.metric().equals("chrf")).count();
        assertTrue(bleu >= 100 && chrf >= 60, bleu + " BLEU and " + chrf + " chrF cases");
    }

    @TestFactory
    Stream<DynamicTest> tokenizer13aMatchesSacreBleu() {
        return fixtures.tokenizations.stream().map(t -> DynamicTest.dynamicTest("[" + t.input().replace("\n", "\\n") + "]", () ->
                // sacreBLEU strips trailing whitespace before it tokenizes
                assertEquals(t.expected(), Tokenizer13a.tokenize(PythonWhitespace.rstrip(t.input())))));
    }

    @TestFactory
    Stream<DynamicTest> bleuMatchesSacreBleu() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SacreBleuFixtures.Corpus c : fixtures.corpora) {
            for (SacreBleuFixtures.Scored s : c.scored()) {
                if (s.metric().equals("bleu")) {
                    tests.add(DynamicTest.dynamicTest(c.name() + " " + s.options(), () -> checkBleu(c, s)));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> chrfMatchesSacreBleu() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SacreBleuFixtures.Corpus c : fixtures.corpora) {
            for (SacreBleuFixtures.Scored s : c.scored()) {
                if (s.metric().equals("chrf")) {
                    tests.add(DynamicTest.dynamicTest(c.name() + " " + s.options(), () -> {
                        Map<String, String> o = s.options();
                        Chrf chrf = new Chrf(intOption(o, "char_order", 6), intOption(o, "word_order", 0),
                                intOption(o, "beta", 2), flag(o, "lowercase"), flag(o, "whitespace"), flag(o, "eps_smoothing"));
                        double expected = Double.parseDouble(s.results().get("score"));
                        assertEquals(expected, chrf.corpusScore(c.hypotheses(), c.referenceStreams()), TOLERANCE);
                    }));
                }
            }
        }
        return tests.stream();
    }

    private static void checkBleu(SacreBleuFixtures.Corpus c, SacreBleuFixtures.Scored s) {
        Map<String, String> o = s.options();
        Bleu.Tokenize tok = switch (o.getOrDefault("tokenize", "\"13a\"")) {
            case "\"13a\"" -> Bleu.Tokenize.V13A;
            case "\"none\"" -> Bleu.Tokenize.NONE;
            default -> throw new IllegalArgumentException("tokenize " + o.get("tokenize"));
        };
        Bleu.Smoothing smoothing = switch (o.getOrDefault("smooth_method", "\"exp\"")) {
            case "\"exp\"" -> Bleu.Smoothing.EXP;
            case "\"none\"" -> Bleu.Smoothing.NONE;
            case "\"floor\"" -> Bleu.Smoothing.FLOOR;
            case "\"add-k\"" -> Bleu.Smoothing.ADD_K;
            default -> throw new IllegalArgumentException("smooth_method " + o.get("smooth_method"));
        };
        double smoothValue = o.containsKey("smooth_value") ? Double.parseDouble(o.get("smooth_value")) : Double.NaN;
        Bleu bleu = new Bleu(tok, flag(o, "lowercase"), smoothing, smoothValue, intOption(o, "max_ngram_order", 4),
                flag(o, "effective_order"));
        BleuScore got = bleu.corpusScore(c.hypotheses(), c.referenceStreams());
        Map<String, String> r = s.results();
        String what = c.name() + " " + o + ": " + got;
        assertEquals(Double.parseDouble(r.get("score")), got.score(), TOLERANCE, "score, " + what);
        assertEquals(Double.parseDouble(r.get("bp")), got.bp(), TOLERANCE, "BP, " + what);
        assertEquals(Long.parseLong(r.get("sys_len")), got.sysLen(), "sys_len, " + what);
        assertEquals(Long.parseLong(r.get("ref_len")), got.refLen(), "ref_len, " + what);
        double[] precisions = Arrays.stream(r.get("precisions").split(",")).mapToDouble(Double::parseDouble).toArray();
        assertEquals(precisions.length, got.precisions().length, what);
        for (int n = 0; n < precisions.length; n++) {
            assertEquals(precisions[n], got.precisions()[n], TOLERANCE, "precision of order " + (n + 1) + ", " + what);
        }
        // with add-k, sacreBLEU reports the smoothed counts; Kiln reports the raw ones (their check is the precisions)
        if (!r.get("counts").equals("-")) {
            assertEquals(r.get("counts"), join(got.counts()), "counts, " + what);
            assertEquals(r.get("totals"), join(got.totals()), "totals, " + what);
        }
    }

    @Test
    void fixtureExercisesTheEdgeCases() {
        // the paths the fixture exists for actually occur in it (so a fixture regenerated without them fails here)
        SacreBleuFixtures.Corpus zero = corpus("zero-high-orders");
        BleuScore s = new Bleu().corpusScore(zero.hypotheses(), zero.referenceStreams());
        assertEquals(0, s.counts()[2]);
        assertEquals(0, s.counts()[3]);
        assertTrue(s.score() > 0, "exp smoothing keeps the score above 0: " + s);
        SacreBleuFixtures.Corpus empty = corpus("all-empty-hypotheses");
        assertEquals(0.0, new Bleu().corpusScore(empty.hypotheses(), empty.referenceStreams()).bp());
        SacreBleuFixtures.Corpus variable = corpus("variable-references");
        assertTrue(variable.referenceStreams().get(1).contains(null));
        assertFalse(corpus("tricky-13a").hypotheses().stream().noneMatch(h -> h.contains("&quot;")));
    }

    private static SacreBleuFixtures.Corpus corpus(String name) {
        return fixtures.corpora.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    private static boolean flag(Map<String, String> o, String key) {
        return Boolean.parseBoolean(o.getOrDefault(key, "false"));
    }

    private static int intOption(Map<String, String> o, String key, int dflt) {
        return o.containsKey(key) ? Integer.parseInt(o.get(key)) : dflt;
    }

    private static String join(long[] xs) {
        return String.join(",", Arrays.stream(xs).mapToObj(Long::toString).toList());
    }
}
