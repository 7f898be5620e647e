package dev.kiln.data.clean;

import java.text.Normalizer;
import java.util.List;

/**
 * The standard character-level normalisers. {@link #standard()} applies them in the order that
 * makes each one's job well defined: invisible characters go first (so that a zero-width space
 * inside a word cannot survive as a word break), then NFKC, then whitespace (NFKC turns the no-break
 * and ideographic spaces into U+0020, which the whitespace pass then collapses).
 */
public final class TextNormalizers {
    private TextNormalizers() {}

    /** Invisible characters, then NFKC, then whitespace. */
    public static List<TextNormalizer> standard() {
        return List.of(invisibleCharacters(), nfkc(), whitespace());
    }

    /**
     * Unicode compatibility composition (NFKC) with {@link java.text.Normalizer}: full-width forms
     * become ASCII, ligatures split ({@code ﬁ → fi}), superscripts become digits, composed and
     * decomposed accents compare equal.
     */
    public static TextNormalizer nfkc() {
        return TextNormalizer.of("nfkc", text -> Normalizer.isNormalized(text, Normalizer.Form.NFKC)
                ? text
                : Normalizer.normalize(text, Normalizer.Form.NFKC));
    }

    /**
     * Removes control and invisible format characters: C0 controls U+0000–U+001F except tab,
     * line feed and carriage return (line ends are the whitespace pass's job), DEL U+007F, the C1
     * controls U+0080–U+009F, the zero-width space, non-joiner and joiner U+200B–U+200D, the word
     * joiner U+2060, the byte order mark / zero-width no-break space U+FEFF and the soft hyphen
     * U+00AD. They carry no text and would otherwise split words or defeat exact deduplication.
     */
    public static TextNormalizer invisibleCharacters() {
        return TextNormalizer.of("invisible-characters", TextNormalizers::removeInvisible);
    }

    /**
     * Whitespace: CR LF and lone CR become LF; the line and paragraph separators U+2028/U+2029 and
     * NEL U+0085 become LF; on each line, a run of horizontal whitespace (space, tab, form feed,
     * vertical tab, any Unicode space separator) becomes one space, and the line is stripped at
     * both ends; runs of two or more blank lines become one blank line (paragraph breaks survive,
     * layout does not); the text is stripped of blank lines at its start and end. Indentation is
     * lost, which is right for prose and wrong for code: leave this normaliser out for code corpora.
     */
    public static TextNormalizer whitespace() {
        return TextNormalizer.of("whitespace", TextNormalizers::normalizeWhitespace);
    }

    static boolean isInvisible(char c) {
        return (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                || (c >= 0x7F && c <= 0x9F)
                || (c >= '\u200B' && c <= '\u200D')
                || c == '\u2060' || c == '\uFEFF' || c == '\u00AD';
    }

    static String removeInvisible(String text) {
        int first = 0;
        int n = text.length();
        while (first < n && !isInvisible(text.charAt(first))) {
            first++;
        }
        if (first == n) {
            return text;
        }
        StringBuilder sb = new StringBuilder(n);
        sb.append(text, 0, first);
        for (int i = first; i < n; i++) {
            char c = text.charAt(i);
            if (!isInvisible(c)) {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isHorizontalSpace(char c) {
        return c == ' ' || c == '\t' || c == '\f' || c == '\u000B'
                || (c > 0x7F && Character.getType(c) == Character.SPACE_SEPARATOR);
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085';
    }

    static String normalizeWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int n = text.length();
        int i = 0;
        int pendingBlankLines = 0; // line breaks seen since the last non-blank line
        boolean anyLine = false;
        while (i <= n) {
            // one line: [i, end)
            int end = i;
            while (end < n && !isLineBreak(text.charAt(end))) {
                end++;
            }
            boolean pendingSpace = false;
            boolean wroteLine = false;
            for (int k = i; k < end; k++) {
                char c = text.charAt(k);
                if (isHorizontalSpace(c)) {
                    pendingSpace = wroteLine;
                    continue;
                }
                if (!wroteLine) {
                    if (anyLine) {
                        out.append(pendingBlankLines > 1 ? "\n\n" : "\n");
                    }
                    wroteLine = true;
                } else if (pendingSpace) {
                    out.append(' ');
                }
                pendingSpace = false;
                out.append(c);
            }
            if (wroteLine) {
                anyLine = true;
                pendingBlankLines = 0;
            }
            if (end >= n) {
                break;
            }
            // CR LF counts as one break
            i = (text.charAt(end) == '\r' && end + 1 < n && text.charAt(end + 1) == '\n') ? end + 2 : end + 1;
            pendingBlankLines++;
        }
        String result = out.toString();
        return result.equals(text) ? text : result;
    }
}
