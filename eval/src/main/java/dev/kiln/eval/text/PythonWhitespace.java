package dev.kiln.eval.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code str.split()} and {@code str.rstrip()} with no arguments, which sacreBLEU uses
 * to cut tokens: they treat as whitespace exactly the code points for which {@code str.isspace()}
 * is true. That set differs from Java's {@link Character#isWhitespace} (Python includes U+0085,
 * U+00A0, U+2007 and U+202F; Java includes none of them), so the table is spelled out here,
 * listed from CPython 3.11.
 */
final class PythonWhitespace {
    private PythonWhitespace() {}

    static boolean isSpace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
        }
        return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028
                || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
    }

    /** {@code s.split()}: the maximal runs of non-whitespace code points. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** {@code s.rstrip()}. Every whitespace code point is in the BMP, so stepping back one char is safe. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** {@code ''.join(s.split())}: the string with every whitespace code point removed. */
    static String removeSpaces(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().filter(cp -> !isSpace(cp)).forEach(sb::appendCodePoint);
        return sb.toString();
    }
}
