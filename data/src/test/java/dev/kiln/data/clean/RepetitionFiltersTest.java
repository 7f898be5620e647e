package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.data.clean.RepetitionFilters.DuplicateLines;
import dev.kiln.data.clean.RepetitionFilters.DuplicateNgrams;
import dev.kiln.data.clean.RepetitionFilters.DuplicateParagraphs;
import dev.kiln.data.clean.RepetitionFilters.TopNgram;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RepetitionFiltersTest {
    private static Decision decide(TextFilter f, String text) {
        return f.decide(new TextParts(text));
    }

    @Test
    void duplicateLinesByCountAndByCharacters() {
        // lines: "aa", "b", "aa", "c": 1 duplicate of 4 lines (0.25); 2 of 6 characters (0.333)
        String text = "aa\nb\n\naa\nc\n";
        assertEquals(Decision.KEEP, decide(new DuplicateLines(0.25, 0.34), text));
        assertEquals(Decision.drop("more than 0.24 of lines are duplicates"), decide(new DuplicateLines(0.24, 1), text));
        assertEquals(Decision.drop("duplicate lines hold more than 0.33 of characters"),
                decide(new DuplicateLines(1, 0.33), text));
        assertEquals(Decision.drop("duplicate lines hold more than 0.2 of characters"), decide(DuplicateLines.DEFAULT, text));
    }

    @Test
    void duplicateParagraphsAreSplitOnBlankLines() {
        // paragraphs: "p one\nx" (7), "p two" (5), "p one\nx" (7): 1 of 3, 7 of 19 characters
        String text = "p one\nx\n\np two\n \n\np one\nx";
        assertEquals(Decision.KEEP, decide(new DuplicateParagraphs(0.34, 0.37), text));
        assertEquals(Decision.drop("more than 0.33 of paragraphs are duplicates"),
                decide(new DuplicateParagraphs(0.33, 1), text));
        assertEquals(Decision.drop("duplicate paragraphs hold more than 0.36 of characters"),
                decide(new DuplicateParagraphs(1, 0.36), text));
    }

    @Test
    void topNgramTakesTheBestCoveringAmongEquallyFrequent() {
        // bigrams "aa b" (at 0, 2: words 0..3 = 6 chars) and "c ddd" (at 4, 6: words 4..7 = 8 chars) both occur
        // twice; word characters total 14, so the top bigram covers 8/14 = 0.571
        String text = "aa b aa b c ddd c ddd";
        assertEquals(Decision.drop("top 2-gram covers more than 0.55 of characters"), decide(new TopNgram(2, 0.55), text));
        assertEquals(Decision.KEEP, decide(new TopNgram(2, 0.58), text));
        // overlapping occurrences count their words once: "a a a a" has "a a" 3 times, covering all 4 words
        assertEquals(Decision.drop("top 2-gram covers more than 0.99 of characters"), decide(new TopNgram(2, 0.99), "a a a a"));
        // an n-gram seen once is not repetition
        assertEquals(Decision.KEEP, decide(new TopNgram(2, 0.0), "one two three four"));
    }

    @Test
    void duplicateNgramFractionHandComputed() {
        // 5-grams of "a b c d e a b c d e x": the one at 5 repeats the one at 0 and covers words 5..9,
        // 5 of 11 characters
        TextParts t = new TextParts("a b c d e a b c d e x");
        assertEquals(5.0 / 11, RepetitionFilters.duplicateNgramFraction(t, 5), 1e-15);
        // "a a a a a a": 5-grams at 0 and 1 are equal; the repeat covers words 1..5
        assertEquals(5.0 / 6, RepetitionFilters.duplicateNgramFraction(new TextParts("a a a a a a"), 5), 1e-15);
        assertEquals(Decision.drop("duplicate 5-grams cover more than 0.45 of characters"),
                decide(new DuplicateNgrams(5, 0.45), "a b c d e a b c d e x"));
        assertEquals(Decision.KEEP, decide(new DuplicateNgrams(5, 0.46), "a b c d e a b c d e x"));
    }

    /** The duplicate-n-gram fraction with n-grams as joined strings and a boolean mark per word. */
    private static double naiveDuplicateFraction(List<String> words, int n) {
        Set<String> seen = new HashSet<>();
        boolean[] covered = new boolean[words.size()];
        for (int i = 0; i + n <= words.size(); i++) {
            String gram = String.join("\u0001", words.subList(i, i + n));
            if (!seen.add(gram)) {
                for (int k = i; k < i + n; k++) {
                    covered[k] = true;
                }
            }
        }
        long total = 0;
        long dup = 0;
        for (int i = 0; i < words.size(); i++) {
            total += words.get(i).length();
            dup += covered[i] ? words.get(i).length() : 0;
        }
        return total == 0 ? 0 : (double) dup / total;
    }

    /** The top-n-gram coverage with joined strings, trying every most frequent n-gram. */
    private static double naiveTopFraction(List<String> words, int n) {
        Map<String, List<Integer>> at = new HashMap<>();
        for (int i = 0; i + n <= words.size(); i++) {
            at.computeIfAbsent(String.join("\u0001", words.subList(i, i + n)), k -> new ArrayList<>()).add(i);
        }
        int best = at.values().stream().mapToInt(List::size).max().orElse(0);
        if (best < 2) {
            return 0;
        }
        long total = words.stream().mapToLong(String::length).sum();
        double answer = 0;
        for (List<Integer> starts : at.values()) {
            if (starts.size() == best) {
                boolean[] covered = new boolean[words.size()];
                starts.forEach(s -> java.util.Arrays.fill(covered, s, s + n, true));
                long c = 0;
                for (int i = 0; i < covered.length; i++) {
                    c += covered[i] ? words.get(i).length() : 0;
                }
                answer = Math.max(answer, (double) c / total);
            }
        }
        return answer;
    }

    @Test
    void ngramFractionsMatchANaiveImplementationOnRandomRepetitiveText() {
        SplittableRandom rng = new SplittableRandom(7);
        String[] vocab = {"a", "bb", "ccc", "dddd", "the", "of", "x", "yy"};
        for (int trial = 0; trial < 300; trial++) {
            List<String> words = new ArrayList<>();
            int len = rng.nextInt(0, 60);
            for (int i = 0; i < len; i++) {
                words.add(vocab[rng.nextInt(rng.nextBoolean() ? 3 : vocab.length)]);
            }
            String text = String.join(" ", words);
            for (int n = 2; n <= 10; n++) {
                double naive = naiveDuplicateFraction(words, n);
                assertEquals(naive, RepetitionFilters.duplicateNgramFraction(new TextParts(text), n), 1e-12,
                        "dup n=" + n + " text=" + text);
                double top = naiveTopFraction(words, n);
                // the filter drops exactly when the naive fraction is above the threshold
                for (double threshold : new double[] {0.1, 0.3, 0.5}) {
                    boolean dropped = !new TopNgram(n, threshold).decide(new TextParts(text)).keep();
                    assertEquals(top > threshold, dropped, "top n=" + n + " t=" + threshold + " text=" + text);
                }
            }
        }
    }

    @Test
    void gopherDefaultsMatchThePaper() {
        assertEquals(List.of(new TopNgram(2, 0.20), new TopNgram(3, 0.18), new TopNgram(4, 0.16)), TopNgram.DEFAULTS);
        assertEquals(6, DuplicateNgrams.DEFAULTS.size());
        assertEquals(new DuplicateNgrams(10, 0.10), DuplicateNgrams.DEFAULTS.getLast());
        assertEquals(11, RepetitionFilters.gopher().size());
    }
}
