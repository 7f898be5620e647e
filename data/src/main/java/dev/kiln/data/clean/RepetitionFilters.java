package dev.kiln.data.clean;

import dev.kiln.data.dedup.Hash64;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The repetition heuristics of the Gopher paper (Rae et al. 2021, table A1), which drop documents
 * that repeat themselves: menus, tag clouds, spam, machine-generated loops. Thresholds are the
 * paper's ({@code DEFAULT}, {@link #gopher()}); each record's fields override them.
 *
 * <p>Conventions (the paper does not pin them down; these are documented so results can be
 * reproduced): a line or paragraph counts as a duplicate when an identical one (after stripping)
 * occurs <em>earlier</em> in the document, so a text repeated twice has a duplicate fraction of
 * 1/2. Character fractions for lines and paragraphs divide by the characters of all lines or
 * paragraphs; for n-grams they divide by {@link TextParts#wordChars()}, and a word covered by
 * several counted n-grams counts once. N-grams are compared through a 64-bit hash of their words;
 * a collision (about 10<sup>-9</sup> for a 100,000-word document) can only raise a fraction.
 */
public final class RepetitionFilters {
    private static final long ROLLING_BASE = 0x9E3779B97F4A7C15L;

    private RepetitionFilters() {}

    /** All the repetition filters with the paper's thresholds. */
    public static List<TextFilter> gopher() {
        List<TextFilter> all = new ArrayList<>();
        all.add(DuplicateLines.DEFAULT);
        all.add(DuplicateParagraphs.DEFAULT);
        all.addAll(TopNgram.DEFAULTS);
        all.addAll(DuplicateNgrams.DEFAULTS);
        return List.copyOf(all);
    }

    private static String format(double v) {
        return Double.toString(v);
    }

    private static void checkFraction(String filter, String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(filter + ": " + name + " must be in [0, 1], got " + v);
        }
    }

    private static void checkN(String filter, int n) {
        if (n < 1) {
            throw new IllegalArgumentException(filter + ": n must be >= 1, got " + n);
        }
    }

    /** {count of parts equal to an earlier part, characters in those parts, characters in all parts}. */
    static long[] duplicates(List<String> parts) {
        Set<String> seen = new HashSet<>();
        long count = 0;
        long dupChars = 0;
        long allChars = 0;
        for (String p : parts) {
            allChars += p.length();
            if (!seen.add(p)) {
                count++;
                dupChars += p.length();
            }
        }
        return new long[] {count, dupChars, allChars};
    }

    /**
     * Drops documents where more than {@code maxFraction} of the lines, or lines holding more than
     * {@code maxCharFraction} of the characters, repeat an earlier line (Gopher: 0.30 and 0.20).
     */
    public record DuplicateLines(double maxFraction, double maxCharFraction) implements TextFilter {
        public static final DuplicateLines DEFAULT = new DuplicateLines(0.30, 0.20);

        public DuplicateLines {
            checkFraction("DuplicateLines", "maxFraction", maxFraction);
            checkFraction("DuplicateLines", "maxCharFraction", maxCharFraction);
        }

        @Override
        public String name() {
            return "duplicate-lines";
        }

        @Override
        public Decision decide(TextParts text) {
            return decideParts(text.lines(), "lines", maxFraction, maxCharFraction);
        }
    }

    /** As {@link DuplicateLines} for paragraphs (Gopher: 0.30 and 0.20). */
    public record DuplicateParagraphs(double maxFraction, double maxCharFraction) implements TextFilter {
        public static final DuplicateParagraphs DEFAULT = new DuplicateParagraphs(0.30, 0.20);

        public DuplicateParagraphs {
            checkFraction("DuplicateParagraphs", "maxFraction", maxFraction);
            checkFraction("DuplicateParagraphs", "maxCharFraction", maxCharFraction);
        }

        @Override
        public String name() {
            return "duplicate-paragraphs";
        }

        @Override
        public Decision decide(TextParts text) {
            return decideParts(text.paragraphs(), "paragraphs", maxFraction, maxCharFraction);
        }
    }

    private static Decision decideParts(List<String> parts, String what, double maxFraction, double maxCharFraction) {
        if (parts.isEmpty()) {
            return Decision.KEEP;
        }
        long[] d = duplicates(parts);
        if ((double) d[0] / parts.size() > maxFraction) {
            return Decision.drop("more than " + format(maxFraction) + " of " + what + " are duplicates");
        }
        if (d[2] > 0 && (double) d[1] / d[2] > maxCharFraction) {
            return Decision.drop("duplicate " + what + " hold more than " + format(maxCharFraction) + " of characters");
        }
        return Decision.KEEP;
    }

    /**
     * Drops documents where the occurrences of the most frequent word n-gram cover more than
     * {@code maxFraction} of the word characters (Gopher: n = 2, 3, 4 with 0.20, 0.18, 0.16). Only
     * an n-gram that occurs at least twice counts; among equally frequent n-grams the one covering
     * the most characters is taken.
     */
    public record TopNgram(int n, double maxFraction) implements TextFilter {
        public static final List<TopNgram> DEFAULTS = List.of(
                new TopNgram(2, 0.20), new TopNgram(3, 0.18), new TopNgram(4, 0.16));

        public TopNgram {
            checkN("TopNgram", n);
            checkFraction("TopNgram", "maxFraction", maxFraction);
        }

        @Override
        public String name() {
            return "top-" + n + "-gram";
        }

        @Override
        public Decision decide(TextParts text) {
            long[] grams = ngramHashes(text, n);
            if (grams.length == 0 || text.wordChars() == 0) {
                return Decision.KEEP;
            }
            long covered = topNgramCoverage(grams, n, text);
            return (double) covered / text.wordChars() > maxFraction
                    ? Decision.drop("top " + n + "-gram covers more than " + format(maxFraction) + " of characters")
                    : Decision.KEEP;
        }
    }

    /**
     * Drops documents where the word n-grams that repeat an earlier n-gram cover more than {@code
     * maxFraction} of the word characters (Gopher: n = 5..10 with 0.15, 0.14, 0.13, 0.12, 0.11,
     * 0.10). The first occurrence of an n-gram is not counted, only its repeats.
     */
    public record DuplicateNgrams(int n, double maxFraction) implements TextFilter {
        public static final List<DuplicateNgrams> DEFAULTS = List.of(
                new DuplicateNgrams(5, 0.15), new DuplicateNgrams(6, 0.14), new DuplicateNgrams(7, 0.13),
                new DuplicateNgrams(8, 0.12), new DuplicateNgrams(9, 0.11), new DuplicateNgrams(10, 0.10));

        public DuplicateNgrams {
            checkN("DuplicateNgrams", n);
            checkFraction("DuplicateNgrams", "maxFraction", maxFraction);
        }

        @Override
        public String name() {
            return "duplicate-" + n + "-grams";
        }

        @Override
        public Decision decide(TextParts text) {
            return duplicateNgramFraction(text, n) > maxFraction
                    ? Decision.drop("duplicate " + n + "-grams cover more than " + format(maxFraction) + " of characters")
                    : Decision.KEEP;
        }
    }

    /** The fraction of word characters covered by repeats of earlier word n-grams. */
    static double duplicateNgramFraction(TextParts text, int n) {
        long[] grams = ngramHashes(text, n);
        if (grams.length == 0 || text.wordChars() == 0) {
            return 0;
        }
        long[] prefix = text.wordCharPrefix();
        LongHashSet seen = new LongHashSet(grams.length);
        long covered = 0;
        int coveredEnd = 0; // words before this index are already counted
        for (int i = 0; i < grams.length; i++) {
            if (!seen.add(grams[i])) {
                int from = Math.max(i, coveredEnd);
                covered += prefix[i + n] - prefix[from];
                coveredEnd = i + n;
            }
        }
        return (double) covered / text.wordChars();
    }

    /**
     * The word characters covered by the occurrences of the most frequent n-gram (0 when none
     * repeats; the best covering among equally frequent ones). Sorting finds the top count without
     * a map; only the top n-grams' coverage is then tracked, in one pass over the positions.
     */
    private static long topNgramCoverage(long[] grams, int n, TextParts text) {
        long[] sorted = grams.clone();
        java.util.Arrays.sort(sorted);
        int best = 1;
        int run = 1;
        for (int i = 1; i < sorted.length; i++) {
            run = sorted[i] == sorted[i - 1] ? run + 1 : 1;
            best = Math.max(best, run);
        }
        if (best < 2) {
            return 0;
        }
        LongHashSet top = new LongHashSet(16);
        run = 1;
        for (int i = 1; i <= sorted.length; i++) {
            if (i < sorted.length && sorted[i] == sorted[i - 1]) {
                run++;
            } else {
                if (run == best) {
                    top.add(sorted[i - 1]);
                }
                run = 1;
            }
        }
        long[] prefix = text.wordCharPrefix();
        Map<Long, long[]> coverage = new HashMap<>(); // top n-gram -> {characters covered, end of covered words}
        for (int i = 0; i < grams.length; i++) {
            if (top.contains(grams[i])) {
                long[] c = coverage.computeIfAbsent(grams[i], k -> new long[2]);
                int from = (int) Math.max(i, c[1]);
                c[0] += prefix[i + n] - prefix[from];
                c[1] = i + n;
            }
        }
        long covered = 0;
        for (long[] c : coverage.values()) {
            covered = Math.max(covered, c[0]);
        }
        return covered;
    }

    /** A 64-bit hash of every window of {@code n} consecutive words (empty when there are fewer than n). */
    static long[] ngramHashes(TextParts text, int n) {
        long[] wordHash = text.wordHashes();
        int count = wordHash.length - n + 1;
        if (count <= 0) {
            return new long[0];
        }
        // Rolling polynomial hash over the word hashes (mod 2^64, odd base): O(1) per window
        // instead of O(n); the final mix spreads the polynomial's weak low bits.
        long pow = 1; // BASE^(n-1)
        for (int k = 1; k < n; k++) {
            pow *= ROLLING_BASE;
        }
        long h = 0;
        for (int k = 0; k < n; k++) {
            h = h * ROLLING_BASE + wordHash[k];
        }
        long[] out = new long[count];
        out[0] = Hash64.mix(h + n);
        for (int i = 1; i < count; i++) {
            h = (h - wordHash[i - 1] * pow) * ROLLING_BASE + wordHash[i + n - 1];
            out[i] = Hash64.mix(h + n);
        }
        return out;
    }
}
