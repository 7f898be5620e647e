package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShinglerTest {
    static Set<String> naiveWordShingles(String text, int k) {
        List<String> words = List.of(text.trim().split("\\s+"));
        if (text.isBlank()) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        int width = Math.min(k, words.size());
        for (int i = 0; i + width <= words.size(); i++) {
            out.add(String.join(" ", words.subList(i, i + width)));
        }
        return out;
    }

    static double naiveJaccard(Set<String> a, Set<String> b) {
        Set<String> inter = new HashSet<>(a);
        inter.retainAll(b);
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        return union.isEmpty() ? 0 : (double) inter.size() / union.size();
    }

    @Test
    void wordShinglesCountDistinctWindows() {
        Shingler s = Shingler.words(3);
        assertEquals(3, s.shingles("a b c d e").length); // abc bcd cde
        assertEquals(3, s.shingles("a b c a b c").length); // abc bca cab abc: 3 distinct
        assertEquals(1, s.shingles("  short  text ").length); // fewer than k words: one shingle
        assertEquals(0, s.shingles(" \n ").length);
        assertEquals(s.shingles("x  y\tz").length, s.shingles("x y z").length);
        assertTrue(java.util.Arrays.equals(s.shingles("x  y\tz\n"), s.shingles("x y z")));
    }

    @Test
    void characterShinglesCollapseWhitespace() {
        Shingler s = Shingler.characters(3);
        assertEquals(3, s.shingles("abcde").length);
        assertTrue(java.util.Arrays.equals(s.shingles("ab  \n cd"), s.shingles("ab cd")));
        assertEquals(1, s.shingles("ab").length);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Shingler.characters(0)).getMessage()
                .contains("k must be >= 1, got 0"));
    }

    @Test
    void jaccardOfHashedShinglesEqualsTheNaiveSetJaccard() {
        SplittableRandom rng = new SplittableRandom(4);
        String[] vocab = {"a", "b", "c", "d", "e", "f", "g"};
        for (int t = 0; t < 500; t++) {
            String x = randomText(rng, vocab);
            String y = randomText(rng, vocab);
            for (int k : new int[] {1, 2, 3, 5}) {
                Shingler s = Shingler.words(k);
                double expected = naiveJaccard(naiveWordShingles(x, k), naiveWordShingles(y, k));
                assertEquals(expected, Shingler.jaccard(s.shingles(x), s.shingles(y)), 1e-15, x + " | " + y + " k=" + k);
            }
        }
    }

    private static String randomText(SplittableRandom rng, String[] vocab) {
        List<String> w = new ArrayList<>();
        int n = rng.nextInt(1, 15);
        for (int i = 0; i < n; i++) {
            w.add(vocab[rng.nextInt(vocab.length)]);
        }
        return String.join(" ", w);
    }
}
