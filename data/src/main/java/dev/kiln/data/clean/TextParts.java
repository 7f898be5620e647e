package dev.kiln.data.clean;

import dev.kiln.data.dedup.Hash64;
import java.util.ArrayList;
import java.util.List;

/**
 * A document split into words, lines and paragraphs, each computed once on first use and shared
 * by every filter that looks at the same document. The splitting is language-agnostic and simple
 * on purpose: a <em>word</em> is a maximal run of non-whitespace characters (so scripts written
 * without spaces, such as Chinese or Japanese, count a whole phrase as one word, and the word
 * filters' thresholds do not fit them); a <em>line</em> is a non-blank line, stripped; a
 * <em>paragraph</em> is a run of non-blank lines between blank lines, stripped. Not thread-safe:
 * one document is examined by one thread.
 */
public final class TextParts {
    private final String text;
    private List<String> words;
    private List<String> lines;
    private List<String> paragraphs;
    private long wordChars = -1;
    private long[] wordHashes;
    private long[] wordCharPrefix;

    public TextParts(String text) {
        this.text = java.util.Objects.requireNonNull(text, "TextParts: text");
    }

    /** The whole text. */
    public String text() {
        return text;
    }

    /** The words, in order. */
    public List<String> words() {
        if (words == null) {
            List<String> out = new ArrayList<>();
            int n = text.length();
            int i = 0;
            while (i < n) {
                while (i < n && isSpace(text.charAt(i))) {
                    i++;
                }
                int start = i;
                while (i < n && !isSpace(text.charAt(i))) {
                    i++;
                }
                if (i > start) {
                    out.add(text.substring(start, i));
                }
            }
            words = out;
        }
        return words;
    }

    /** The total length (in chars) of all words: the denominator of the character-fraction filters. */
    public long wordChars() {
        if (wordChars < 0) {
            long sum = 0;
            for (String w : words()) {
                sum += w.length();
            }
            wordChars = sum;
        }
        return wordChars;
    }

    /** A 64-bit hash of each word, shared by the n-gram filters. */
    long[] wordHashes() {
        if (wordHashes == null) {
            List<String> w = words();
            long[] out = new long[w.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Hash64.of(w.get(i));
            }
            wordHashes = out;
        }
        return wordHashes;
    }

    /** prefix[i] = characters in words [0, i): the characters of any run of words in O(1). */
    long[] wordCharPrefix() {
        if (wordCharPrefix == null) {
            List<String> w = words();
            long[] prefix = new long[w.size() + 1];
            for (int i = 0; i < w.size(); i++) {
                prefix[i + 1] = prefix[i] + w.get(i).length();
            }
            wordCharPrefix = prefix;
        }
        return wordCharPrefix;
    }

    /** The non-blank lines, stripped. */
    public List<String> lines() {
        if (lines == null) {
            List<String> out = new ArrayList<>();
            for (String line : strippedLines()) {
                if (!line.isEmpty()) {
                    out.add(line);
                }
            }
            lines = out;
        }
        return lines;
    }

    /** The paragraphs (non-blank lines between blank lines, joined by LF), stripped. */
    public List<String> paragraphs() {
        if (paragraphs == null) {
            List<String> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String s : strippedLines()) {
                if (s.isEmpty()) {
                    if (!current.isEmpty()) {
                        out.add(current.toString());
                        current.setLength(0);
                    }
                } else {
                    if (!current.isEmpty()) {
                        current.append('\n');
                    }
                    current.append(s);
                }
            }
            if (!current.isEmpty()) {
                out.add(current.toString());
            }
            paragraphs = out;
        }
        return paragraphs;
    }

    /** Every line (LF, CR LF, CR, U+2028, U+2029 or NEL ends one), stripped, blank ones included. */
    private List<String> strippedLines() {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int start = 0;
        for (int i = 0; i <= n; i++) {
            char c = i < n ? text.charAt(i) : '\n';
            if (c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085') {
                out.add(text.substring(start, i).strip());
                if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        return out;
    }

    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }
}
