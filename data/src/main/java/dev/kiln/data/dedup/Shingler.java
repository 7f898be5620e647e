package dev.kiln.data.dedup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a text into its set of k-shingles (k consecutive words, or k consecutive characters),
 * each represented by a 64-bit {@link Hash64}. Words are maximal runs of non-whitespace;
 * character shingles are taken over the text with whitespace runs collapsed to one space. A text
 * with fewer than k units (but at least one) is one shingle; an empty text has none. Stateless and
 * thread-safe.
 *
 * @param unit what a shingle is made of
 * @param k units per shingle, at least 1 (5 words or 5–9 characters are common choices: smaller k
 *     makes unrelated texts share shingles, larger k makes one edit change more shingles)
 */
public record Shingler(Unit unit, int k) {
    /** What shingles are made of. */
    public enum Unit {
        WORDS,
        CHARACTERS
    }

    public Shingler {
        java.util.Objects.requireNonNull(unit, "Shingler: unit");
        if (k < 1) {
            throw new IllegalArgumentException("Shingler: k must be >= 1, got " + k);
        }
    }

    /** Shingles of {@code k} words. */
    public static Shingler words(int k) {
        return new Shingler(Unit.WORDS, k);
    }

    /** Shingles of {@code k} characters. */
    public static Shingler characters(int k) {
        return new Shingler(Unit.CHARACTERS, k);
    }

    /** The distinct shingle hashes of {@code text}, sorted ascending. */
    public long[] shingles(String text) {
        long[] hashes = unit == Unit.WORDS ? wordShingles(text) : charShingles(text);
        Arrays.sort(hashes);
        return distinctSorted(hashes);
    }

    private long[] wordShingles(String text) {
        List<String> words = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                words.add(text.substring(start, i));
            }
        }
        if (words.isEmpty()) {
            return new long[0];
        }
        long[] wordHash = new long[words.size()];
        for (int w = 0; w < wordHash.length; w++) {
            wordHash[w] = Hash64.of(words.get(w));
        }
        int width = Math.min(k, wordHash.length);
        long[] out = new long[wordHash.length - width + 1];
        for (int s = 0; s < out.length; s++) {
            long h = width;
            for (int j = 0; j < width; j++) {
                h = Hash64.combine(h, wordHash[s + j]);
            }
            out[s] = h;
        }
        return out;
    }

    private long[] charShingles(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        boolean space = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                space = !sb.isEmpty();
            } else {
                if (space) {
                    sb.append(' ');
                }
                space = false;
                sb.append(c);
            }
        }
        if (sb.isEmpty()) {
            return new long[0];
        }
        int width = Math.min(k, sb.length());
        long[] out = new long[sb.length() - width + 1];
        for (int s = 0; s < out.length; s++) {
            out[s] = Hash64.of(sb, s, s + width);
        }
        return out;
    }

    private static long[] distinctSorted(long[] sorted) {
        if (sorted.length == 0) {
            return sorted;
        }
        int n = 1;
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] != sorted[n - 1]) {
                sorted[n++] = sorted[i];
            }
        }
        return n == sorted.length ? sorted : Arrays.copyOf(sorted, n);
    }

    /** |a ∩ b| / |a ∪ b| of two sorted distinct arrays; 0 when both are empty. */
    public static double jaccard(long[] a, long[] b) {
        int i = 0;
        int j = 0;
        int common = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) {
                common++;
                i++;
                j++;
            } else if (a[i] < b[j]) {
                i++;
            } else {
                j++;
            }
        }
        int union = a.length + b.length - common;
        return union == 0 ? 0 : (double) common / union;
    }
}
