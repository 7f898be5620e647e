package dev.kiln.eval.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed BLEU and chrF values and argument checks; SacreBleuFixturesTest does the wide comparison. */
class BleuTest {
    private static final Bleu NONE = new Bleu().withTokenize(Bleu.Tokenize.NONE);

    @Test
    void identicalTextScores100() {
        BleuScore s = new Bleu().corpusScore(List.of("The cat sat on the mat."), List.of(List.of("The cat sat on the mat.")));
        assertEquals(100.0, s.score(), 1e-12);
        assertEquals(7, s.sysLen(), "13a splits off the period");
    }

    @Test
    void handComputedPrecisionsAndScore() {
        // a b c d e vs a b c d f: 4/5 unigrams, 3/4 bigrams, 2/3 trigrams, 1/2 4-grams, same length
        BleuScore s = NONE.corpusScore(List.of("a b c d e"), List.of(List.of("a b c d f")));
        assertArrayEquals(new long[] {4, 3, 2, 1}, s.counts());
        assertArrayEquals(new long[] {5, 4, 3, 2}, s.totals());
        assertArrayEquals(new double[] {80, 75, 200.0 / 3, 50}, s.precisions(), 1e-12);
        assertEquals(1.0, s.bp());
        assertEquals(100 * Math.pow(0.2, 0.25), s.score(), 1e-12);
    }

    @Test
    void expSmoothingHalvesEachFurtherZeroOrder() {
        // a b x c vs a b c: 3/4, 1/3, 0/2 -> 1/(2·2), 0/1 -> 1/(4·1)
        BleuScore s = NONE.corpusScore(List.of("a b x c"), List.of(List.of("a b c")));
        assertArrayEquals(new double[] {75, 100.0 / 3, 25, 25}, s.precisions(), 1e-12);
        assertEquals(100 * Math.pow(0.75 / 3 / 16, 0.25), s.score(), 1e-12);
    }

    @Test
    void brevityPenaltyUsesTheClosestReferenceShorterOnTies() {
        // hypothesis 3 tokens; references of 2 and 4 tokens are equally close: the shorter (2) is used, so no penalty
        BleuScore tie = NONE.corpusScore(List.of("a b c"), List.of(List.of("a b"), List.of("a b c d")));
        assertEquals(2, tie.refLen());
        assertEquals(1.0, tie.bp());
        // hypothesis 2 tokens against 4: BP = exp(1 - 4/2)
        BleuScore shortHyp = NONE.corpusScore(List.of("a b"), List.of(List.of("a b c d")));
        assertEquals(Math.exp(-1), shortHyp.bp(), 1e-15);
        assertEquals(0.0, NONE.corpusScore(List.of(""), List.of(List.of("a"))).score());
    }

    @Test
    void multipleReferencesClipByTheLargestCountInOneReference() {
        // "the the the": 'the' appears at most twice in one reference, so 2 of 3 unigrams count
        BleuScore s = NONE.corpusScoreBySegment(List.of("the the the"), List.of(List.of("the cat the", "the dog")));
        assertEquals(2, s.counts()[0]);
    }

    @Test
    void badInputNamesTheProblem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NONE.corpusScore(List.of("a", "b"), List.of(List.of("a"))));
        assertEquals("Bleu.corpusScore: reference stream 0 has 1 segments, the hypotheses 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NONE.corpusScore(List.of("a"), List.of(Arrays.asList((String) null))));
        assertEquals("Bleu: hypothesis 0 has no reference", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Bleu(Bleu.Tokenize.NONE, false, Bleu.Smoothing.FLOOR, -1, 4, false));
        assertEquals("Bleu: the floor smoothing value must be a finite number >= 0, got -1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Bleu(Bleu.Tokenize.NONE, false, Bleu.Smoothing.EXP, 0, 0, false));
        assertEquals("Bleu: maxOrder must be >= 1, got 0", e.getMessage());
    }

    @Test
    void formatsLikeSacreBleu() {
        BleuScore s = NONE.corpusScore(List.of("a b c d e"), List.of(List.of("a b c d f")));
        assertEquals("BLEU = 66.87 80.0/75.0/66.7/50.0 (BP = 1.000 ratio = 1.000 hyp_len = 5 ref_len = 5)", s.toString());
        assertEquals("case:mixed|eff:no|tok:13a|smooth:exp", new Bleu().signature());
    }

    @Test
    void chrfOfIdenticalTextIs100AndOfDisjointTextIs0() {
        assertEquals(100.0, new Chrf().corpusScore(List.of("hello world"), List.of(List.of("hello world"))), 1e-12);
        assertEquals(0.0, new Chrf().corpusScore(List.of("abc"), List.of(List.of("xyz"))));
    }

    @Test
    void chrfHandComputedUnigramsAndBigrams() {
        // char orders 1-2, beta 1: "ab" vs "abc": unigrams P 2/2 R 2/3, bigrams P 1/1 R 1/2;
        // averaged P = 1, R = 7/12; F1 = 2·P·R / (P + R)
        double r = 7.0 / 12;
        assertEquals(100 * 2 * r / (1 + r), new Chrf(2, 0, 1, false, false, false).corpusScore(List.of("ab"),
                List.of(List.of("abc"))), 1e-12);
    }
}
