package dev.kiln.data.vocab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The word vocabulary of {@code kiln train classify}. Id 0 is padding, id 1 the unknown token
 * (words rarer than the cut-off in the training texts, or never seen there); ids 2.. are the kept
 * words, most frequent first (ties in string order). Immutable.
 */
public final class WordVocabulary {
    public static final int PAD = 0;
    public static final int UNKNOWN = 1;
    /** Longer letter/digit runs (base64 blobs, hashes) are cut to this many characters: they are unknown words anyway. */
    public static final int MAX_WORD_LENGTH = 40;

    private final List<String> words; // words.get(id - 2)
    private final Map<String, Integer> ids = new HashMap<>();

    private WordVocabulary(List<String> words) {
        this.words = List.copyOf(words);
        for (int i = 0; i < words.size(); i++) {
            ids.put(words.get(i), i + 2);
        }
    }

    /**
     * The tokens of {@code text}, lower-cased: runs of letters and digits are words ({@code
     * "mp3"}, {@code "2002"}); each ideograph (CJK text has no spaces) and each other visible
     * character ({@code "$"}, {@code "!"}, {@code "%"}: strong spam signals) is a token of its
     * own; whitespace separates and is dropped.
     */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp) && !Character.isIdeographic(cp)) {
                if (word.length() < MAX_WORD_LENGTH) {
                    word.appendCodePoint(Character.toLowerCase(cp));
                }
                continue;
            }
            if (!word.isEmpty()) {
                out.add(word.toString());
                word.setLength(0);
            }
            if (!Character.isWhitespace(cp) && !Character.isSpaceChar(cp) && !Character.isISOControl(cp)) {
                out.add(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            }
        }
        if (!word.isEmpty()) {
            out.add(word.toString());
        }
        return out;
    }

    /**
     * The words of {@code docs} (token lists) that occur at least {@code minCount} times, at most
     * {@code maxWords} of them (the most frequent).
     */
    public static WordVocabulary build(List<List<String>> docs, int minCount, int maxWords) {
        if (minCount < 1 || maxWords < 1) {
            throw new IllegalArgumentException("WordVocabulary.build: minCount and maxWords must be >= 1, got "
                    + minCount + " and " + maxWords);
        }
        Map<String, Integer> counts = new HashMap<>();
        for (List<String> d : docs) {
            for (String w : d) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> kept = new ArrayList<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() >= minCount) {
                kept.add(e);
            }
        }
        kept.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        List<String> words = new ArrayList<>();
        for (int i = 0; i < Math.min(maxWords, kept.size()); i++) {
            words.add(kept.get(i).getKey());
        }
        return new WordVocabulary(words);
    }

    /** A vocabulary of exactly {@code words} (ids 2..), e.g. read back from a run. */
    public static WordVocabulary of(List<String> words) {
        return new WordVocabulary(words);
    }

    /** Ids of the first {@code maxLength} tokens; an empty text gives one unknown token, so no row is all padding. */
    public long[] encode(List<String> tokens, int maxLength) {
        int n = Math.min(tokens.size(), maxLength);
        if (n == 0) {
            return new long[] {UNKNOWN};
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = ids.getOrDefault(tokens.get(i), UNKNOWN);
        }
        return out;
    }

    /** The token of {@code id}: {@code "<pad>"}, {@code "<unk>"} or a word. */
    public String word(long id) {
        return id == PAD ? "<pad>" : id == UNKNOWN ? "<unk>" : words.get((int) id - 2);
    }

    /** Ids in use, padding and unknown included. */
    public int size() {
        return words.size() + 2;
    }

    /** The kept words, in id order (id 2 first). */
    public List<String> words() {
        return Collections.unmodifiableList(words);
    }
}
