package dev.kiln.data.tokenize;

import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's pre-tokenization: text is cut into words before BPE runs, so merges never cross a word
 * boundary. It behaves exactly like the regular expression
 *
 * <pre>{@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}</pre>
 *
 * (the Hugging Face {@code ByteLevel} pre-tokenizer with {@code use_regex=true,
 * add_prefix_space=false}), where {@code \s} is the Unicode White_Space property and {@code \p{L}},
 * {@code \p{N}} the letter and number general categories; contractions are case-sensitive and only
 * the ASCII apostrophe counts. It is a hand-written scanner rather than {@link java.util.regex}
 * because the scanner needs no backtracking and no allocation (the tests check it against the
 * regex). Concretely, from a position:
 *
 * <ul>
 *   <li>an apostrophe followed by {@code s t m d re ve ll} is a word by itself;
 *   <li>a run of letters, of numbers or of "other" characters (neither space, letter nor number) is
 *       a word, together with one U+0020 space just before it;
 *   <li>a run of whitespace at the end of the text is one word; a run followed by a non-space
 *       character leaves its last character to the next word (where a U+0020 joins the word after
 *       it; any other single whitespace character stands alone).
 * </ul>
 *
 * <p>Positions are {@code char} indices; a supplementary character is never cut in half (its class
 * is that of its code point). Stateless and thread-safe.
 */
public final class Gpt2PreTokenizer {
    static final byte WHITESPACE = 0;
    static final byte LETTER = 1;
    static final byte NUMBER = 2;
    static final byte OTHER = 3;

    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII_CLASS[c] = classOfSlow(c);
        }
    }

    private Gpt2PreTokenizer() {}

    /**
     * The end (exclusive) of the word that starts at {@code start} in {@code text}, looking no
     * further than {@code limit} (the end of the text, or of the stretch between two special tokens).
     * Requires {@code start < limit}.
     */
    public static int wordEnd(CharSequence text, int start, int limit) {
        char c = text.charAt(start);
        if (c == '\'' && start + 1 < limit) {
            char n = text.charAt(start + 1);
            if (n == 's' || n == 't' || n == 'm' || n == 'd') {
                return start + 2;
            }
            if (start + 2 < limit) {
                char n2 = text.charAt(start + 2);
                if ((n == 'r' && n2 == 'e') || (n == 'v' && n2 == 'e') || (n == 'l' && n2 == 'l')) {
                    return start + 3;
                }
            }
        }
        int runStart = start;
        byte cls;
        if (c == ' ' && start + 1 < limit) {
            cls = classAt(text, start + 1);
            if (cls != WHITESPACE) {
                runStart = start + 1; // the space joins the run after it
            } else {
                cls = WHITESPACE;
            }
        } else {
            cls = classAt(text, start);
        }
        if (cls != WHITESPACE) {
            return runEnd(text, runStart, limit, cls);
        }
        // Whitespace (all of it is in the BMP, one char per character).
        int end = start + 1;
        while (end < limit && classAt(text, end) == WHITESPACE) {
            end++;
        }
        if (end == limit || end - start == 1) {
            return end; // \s+(?!\S) at the end of the text, or \s+ for a lone character
        }
        return end - 1; // \s+(?!\S) backs off one character so that whitespace follows the word
    }

    /** The words of {@code text[from, to)} as {start, end} pairs, for tests and tools. */
    public static List<int[]> split(CharSequence text, int from, int to) {
        List<int[]> out = new ArrayList<>();
        for (int p = from; p < to; ) {
            int e = wordEnd(text, p, to);
            out.add(new int[] {p, e});
            p = e;
        }
        return out;
    }

    /** The words of {@code text} as strings. */
    public static List<String> words(CharSequence text) {
        List<String> out = new ArrayList<>();
        for (int[] span : split(text, 0, text.length())) {
            out.add(text.subSequence(span[0], span[1]).toString());
        }
        return out;
    }

    /** End of the run of class {@code cls} that starts at {@code p}. */
    private static int runEnd(CharSequence text, int p, int limit, byte cls) {
        while (p < limit) {
            char c = text.charAt(p);
            if (c < 128) {
                if (ASCII_CLASS[c] != cls) {
                    return p;
                }
                p++;
            } else {
                int cp = Character.codePointAt(text, p);
                if (classOfSlow(cp) != cls) {
                    return p;
                }
                p += Character.charCount(cp);
            }
        }
        return p;
    }

    private static byte classAt(CharSequence text, int p) {
        char c = text.charAt(p);
        return c < 128 ? ASCII_CLASS[c] : classOfSlow(Character.codePointAt(text, p));
    }

    /** The class of a code point (an unpaired surrogate counts as "other"). */
    static byte classOfSlow(int cp) {
        if (isWhiteSpace(cp)) {
            return WHITESPACE;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    /**
     * The Unicode White_Space property (what {@code \s} means in Oniguruma and in Java's
     * UNICODE_CHARACTER_CLASS mode). Not {@link Character#isWhitespace}: that one leaves out the
     * no-break spaces and counts the information separators U+001C..U+001F.
     */
    static boolean isWhiteSpace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
        }
        if (cp < 0x85) {
            return false;
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }
}
