package dev.kiln.data.vocab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A character vocabulary: id 0 is the unknown token (characters rarer than the cut-off in the
 * training text, or never seen there), ids 1.. are the kept characters in code-point order.
 * Immutable.
 */
public final class CharVocabulary {
    /** Id of the unknown token. */
    public static final int UNKNOWN = 0;
    /** How the unknown token decodes (U+FFFD, the replacement character). */
    public static final String UNKNOWN_TEXT = "\uFFFD";

    private final int[] codePoints; // codePoints[id - 1]
    private final Map<Integer, Integer> ids = new TreeMap<>();

    private CharVocabulary(int[] codePoints) {
        this.codePoints = codePoints;
        for (int i = 0; i < codePoints.length; i++) {
            ids.put(codePoints[i], i + 1);
        }
    }

    /** The characters of {@code text} occurring at least {@code minCount} times, plus the unknown token. */
    public static CharVocabulary build(String text, int minCount) {
        if (minCount < 1) {
            throw new IllegalArgumentException("CharVocabulary.build: minCount must be >= 1, got " + minCount);
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        text.codePoints().forEach(c -> counts.merge(c, 1, Integer::sum));
        return new CharVocabulary(counts.entrySet().stream().filter(e -> e.getValue() >= minCount)
                .mapToInt(Map.Entry::getKey).toArray());
    }

    /** The vocabulary whose ids 1.. are {@code characters} (as {@link #characters()} returned them). */
    public static CharVocabulary of(List<String> characters) {
        int[] cps = new int[characters.size()];
        for (int i = 0; i < cps.length; i++) {
            String s = characters.get(i);
            if (s.codePointCount(0, s.length()) != 1) {
                throw new IllegalArgumentException("CharVocabulary.of: entry " + i + " must be one character, got '" + s + "'");
            }
            cps[i] = s.codePointAt(0);
        }
        return new CharVocabulary(cps);
    }

    /** Number of ids, the unknown token included. */
    public int size() {
        return codePoints.length + 1;
    }

    /** The kept characters in id order (id 1 first), each as a string. */
    public List<String> characters() {
        List<String> out = new ArrayList<>(codePoints.length);
        for (int cp : codePoints) {
            out.add(Character.toString(cp));
        }
        return out;
    }

    /** Ids of {@code text}'s characters, {@link #UNKNOWN} for those not in the vocabulary. */
    public long[] encode(String text) {
        return text.codePoints().mapToLong(c -> ids.getOrDefault(c, UNKNOWN)).toArray();
    }

    /** The text of {@code ids}; the unknown token decodes to {@link #UNKNOWN_TEXT}. */
    public String decode(long[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (long id : ids) {
            if (id < 0 || id >= size()) {
                throw new IllegalArgumentException("CharVocabulary.decode: id " + id + " is outside [0, " + size() + ")");
            }
            if (id == UNKNOWN) {
                sb.append(UNKNOWN_TEXT);
            } else {
                sb.appendCodePoint(codePoints[(int) id - 1]);
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "CharVocabulary(" + size() + " ids: " + Arrays.toString(characters().toArray()) + ")";
    }
}
