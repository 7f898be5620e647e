package dev.kiln.eval.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EditDistanceTest {
    @Test
    void handComputedDistances() {
        assertEquals(3, EditDistance.levenshtein("kitten", "sitting")); // k->s, e->i, +g
        assertEquals(3, EditDistance.levenshtein("sitting", "kitten"));
        assertEquals(2, EditDistance.levenshtein("flaw", "lawn"));     // -f, +n
        assertEquals(0, EditDistance.levenshtein("", ""));
        assertEquals(4, EditDistance.levenshtein("", "abcd"));
        assertEquals(4, EditDistance.levenshtein("abcd", ""));
        assertEquals(4, EditDistance.levenshtein("abcd", "dcba"));
        assertEquals(1, EditDistance.levenshtein("ab", "ba") - 1, "a swap is two edits, not one (no transpositions)");
        // K AE T vs K AA T S: one substitution and one insertion
        assertEquals(2, EditDistance.levenshtein(List.of("K", "AE", "T"), List.of("K", "AA", "T", "S")));
        assertEquals(2, EditDistance.levenshtein(new int[] {1, 2, 3}, new int[] {1, 4, 3, 5}));
    }

    @Test
    void stringsAreComparedByCodePoint() {
        // U+1F600 is one symbol (two UTF-16 chars); replacing it by U+1F601 is one substitution, not two
        assertEquals(1, EditDistance.levenshtein("a\uD83D\uDE00b", "a\uD83D\uDE01b"));
        assertEquals(1, EditDistance.levenshtein("a\uD83D\uDE00b", "ab"));
    }

    @Test
    void matchesANaiveRecursionOnRandomSmallInputs() {
        Random r = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            int[] a = randomSeq(r, r.nextInt(8), 1 + r.nextInt(4));
            int[] b = randomSeq(r, r.nextInt(8), 1 + r.nextInt(4));
            int expected = naive(a, a.length, b, b.length);
            assertEquals(expected, EditDistance.levenshtein(a, b), Arrays.toString(a) + " vs " + Arrays.toString(b));
            List<Integer> la = new LinkedList<>(Arrays.stream(a).boxed().toList());
            assertEquals(expected, EditDistance.levenshtein(la, Arrays.stream(b).boxed().toList()));
        }
    }

    /** The textbook recursion on prefixes, exponential but obviously right. */
    private static int naive(int[] a, int n, int[] b, int m) {
        if (n == 0) {
            return m;
        }
        if (m == 0) {
            return n;
        }
        int sub = naive(a, n - 1, b, m - 1) + (a[n - 1] == b[m - 1] ? 0 : 1);
        return Math.min(sub, Math.min(naive(a, n - 1, b, m) + 1, naive(a, n, b, m - 1) + 1));
    }

    private static int[] randomSeq(Random r, int len, int alphabet) {
        int[] s = new int[len];
        for (int i = 0; i < len; i++) {
            s[i] = r.nextInt(alphabet);
        }
        return s;
    }

    @Test
    void errorRateSumsEditsOverReferenceTokens() {
        ErrorRate er = new ErrorRate();
        er.add(List.of("K", "AE", "T"), List.of("K", "AE", "T"));          // 0 edits / 3
        er.add(List.of("D", "AO", "G"), List.of("D", "AA", "G", "Z"));     // 2 / 4
        ErrorRate.Result r = er.add(List.of(), List.of("AH"));             // 1 / 1
        assertEquals(new ErrorRate.Result(1, 1, 0), r);
        assertEquals(3, er.edits());
        assertEquals(8, er.referenceTokens());
        assertEquals(3.0 / 8, er.tokenErrorRate());
        assertEquals(2.0 / 3, er.sequenceErrorRate());
        assertEquals(3, er.sequences());
        assertEquals(2, er.sequencesWithErrors());
    }

    @Test
    void closestReferenceIsTheOneWithFewestEditsFirstOnTies() {
        ErrorRate er = new ErrorRate();
        // EITHER: IY DH ER / AY DH ER; the hypothesis matches the second exactly
        ErrorRate.Result r = er.addClosest(List.of("AY", "DH", "ER"),
                List.of(List.of("IY", "DH", "ER"), List.of("AY", "DH", "ER")));
        assertEquals(new ErrorRate.Result(0, 3, 1), r);
        // one edit from each: the first listed wins, and its length (4) is the denominator
        ErrorRate.Result tie = er.addClosest(List.of("A", "B", "C"), List.of(List.of("A", "B", "C", "D"), List.of("A", "B")));
        assertEquals(new ErrorRate.Result(1, 4, 0), tie);
        assertEquals(1.0 / 7, er.tokenErrorRate());
        assertEquals(0.5, er.sequenceErrorRate());
    }

    @Test
    void emptyTotalsAreNaNAndBadInputIsRejected() {
        ErrorRate er = new ErrorRate();
        assertTrue(Double.isNaN(er.tokenErrorRate()));
        assertTrue(Double.isNaN(er.sequenceErrorRate()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> er.addClosest(List.of("A"), List.of()));
        assertEquals("ErrorRate.addClosest: need at least one reference, got none", e.getMessage());
        NullPointerException npe = assertThrows(NullPointerException.class, () -> EditDistance.levenshtein((int[]) null, new int[0]));
        assertEquals("EditDistance.levenshtein: a must not be null", npe.getMessage());
    }
}
