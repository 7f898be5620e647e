package dev.kiln.data.text;

import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Set;

/**
 * HTML to readable plain text, for mail bodies and scraped pages: a single forward scan, no DOM.
 *
 * <ul>
 *   <li>Tags are removed. Block elements (div, li, tr, tables, ...) start and end lines,
 *       paragraphs and headings stand apart by a blank line, each {@code <br>} is a line break,
 *       table cells are separated by a space.
 *   <li>The content of script, style and head (up to {@code </head>} or {@code <body>}) is
 *       dropped, with comments, doctypes and processing instructions.
 *   <li>Character references are decoded: the HTML 4 names ({@code &amp;nbsp;}, also without the
 *       semicolon before a non-alphanumeric character and, failing the exact name, in lower case),
 *       decimal and hex numbers ({@code &#233;}, {@code &#xE9;}; 128-159 read as Windows-1252, as
 *       browsers do; 0, surrogates and values past U+10FFFF give U+FFFD).
 *   <li>Whitespace is normalised: source line breaks are spaces, runs of blanks (non-breaking
 *       spaces included) become one space, lines are trimmed, at most one blank line in a row.
 * </ul>
 *
 * Malformed input gives a best-effort result, never an exception: a {@code <} not followed by a
 * tag name is text; a tag still open at the end of the input is dropped; a comment without
 * {@code -->} ends at the next {@code >}; unclosed script/style elements run to the end; a
 * quoted attribute value without its closing quote is ignored when looking for the tag's end.
 * {@code <pre>} is not special (its whitespace is normalised too).
 */
public final class HtmlText {
    private HtmlText() {}

    /** Elements that end a line of text before and after them. */
    private static final Set<String> BLOCK = Set.of(
            "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
            "figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "option", "pre",
            "section", "table", "tbody", "tfoot", "thead", "title", "tr", "ul");

    /** Elements that stand apart by a blank line. */
    private static final Set<String> PARAGRAPH = Set.of("p", "h1", "h2", "h3", "h4", "h5", "h6");

    /** Elements whose text is not shown. */
    private static final Set<String> RAW_TEXT = Set.of("script", "style");

    private static final Charset WINDOWS_1252 = MailCharsets.lookup("windows-1252");

    /** The text of {@code html}; null gives "". */
    public static String toText(String html) {
        if (html == null || html.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(html.length() / 2);
        Finder find = new Finder(html);
        int n = html.length();
        int i = 0;
        while (i < n) {
            char c = html.charAt(i);
            if (c == '&') {
                i = appendReference(html, i, out);
            } else if (c == '<') {
                i = markup(html, i, out, find);
            } else {
                out.append(c == '\n' || c == '\r' || c == '\t' || c == '\f' ? ' ' : c);
                i++;
            }
        }
        return normaliseWhitespace(out);
    }

    /** Handles the markup starting at {@code html[at] == '<'}; returns where the text resumes. */
    private static int markup(String html, int at, StringBuilder out, Finder find) {
        int n = html.length();
        if (html.startsWith("<!--", at)) {
            int close = find.indexOf("-->", at + 4);
            if (close >= 0) {
                return close + 3;
            }
            int gt = find.indexOf(">", at + 4);
            return gt >= 0 ? gt + 1 : n;
        }
        if (at + 1 < n && (html.charAt(at + 1) == '!' || html.charAt(at + 1) == '?')) { // doctype, <?xml ...?>, CDATA
            int gt = find.indexOf(">", at + 2);
            return gt >= 0 ? gt + 1 : n;
        }
        boolean closing = at + 1 < n && html.charAt(at + 1) == '/';
        int nameStart = at + (closing ? 2 : 1);
        int nameEnd = nameStart;
        while (nameEnd < n && isNameChar(html.charAt(nameEnd), nameEnd == nameStart)) {
            nameEnd++;
        }
        if (nameEnd == nameStart) {
            if (closing) { // "</ >" and the like: a broken end tag, not text
                int gt = find.indexOf(">", at);
                return gt >= 0 ? gt + 1 : n;
            }
            out.append('<'); // "a < b": text
            return at + 1;
        }
        int end = tagEnd(html, nameEnd, find);
        if (end < 0) {
            return n; // a tag cut off by the end of the input
        }
        String name = html.substring(nameStart, nameEnd).toLowerCase(Locale.ROOT);
        if (!closing && RAW_TEXT.contains(name)) {
            return skipPast(html, end + 1, "</" + name, find);
        }
        if (!closing && name.equals("head")) {
            int close = find.indexOfIgnoreCase("</head", end + 1);
            int body = find.indexOfIgnoreCase("<body", end + 1);
            int stop = close < 0 ? body : body < 0 ? close : Math.min(close, body);
            if (stop >= 0) {
                return stop == close ? skipPast(html, close, "</head", find) : body;
            }
            return end + 1; // no end of the head in sight: keep what follows rather than lose the page
        }
        if (name.equals("br")) {
            out.append('\n'); // every <br> counts: <br><br> is a blank line
        } else if (PARAGRAPH.contains(name)) {
            endLines(out, 2);
        } else if (BLOCK.contains(name)) {
            endLines(out, 1);
        } else if (name.equals("td") || name.equals("th")) {
            out.append(' ');
        }
        return end + 1;
    }

    /**
     * Ends the text so far with at least {@code breaks} line breaks (blanks after the last one
     * ignored), so that nested or adjacent blocks ({@code </div><div>}) do not pile up empty lines.
     */
    private static void endLines(StringBuilder out, int breaks) {
        int have = 0;
        for (int i = out.length() - 1; i >= 0 && have < breaks; i--) {
            char c = out.charAt(i);
            if (c == '\n') {
                have++;
            } else if (c != ' ') {
                break;
            }
        }
        for (; have < breaks; have++) {
            out.append('\n');
        }
    }

    /** Letters, then also digits, '-', ':' and '_' ("h1", "o:p", "my-tag"). */
    private static boolean isNameChar(char c, boolean first) {
        boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        return first ? letter : letter || (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '_';
    }

    /**
     * The index of the '>' that ends a tag whose attributes start at {@code from}, quotes around
     * attribute values respected; if a quote never closes, the first '>' after {@code from};
     * -1 when there is no '>' at all.
     */
    private static int tagEnd(String html, int from, Finder find) {
        int n = html.length();
        char previous = ' ';
        for (int i = from; i < n; i++) {
            char c = html.charAt(i);
            if ((c == '"' || c == '\'') && previous == '=') { // a quote opens a value only after '='
                int close = find.indexOf(c == '"' ? "\"" : "'", i + 1);
                if (close < 0) {
                    return find.indexOf(">", from);
                }
                i = close;
            } else if (c == '>') {
                return i;
            }
            if (!Character.isWhitespace(c)) {
                previous = c;
            }
        }
        return -1;
    }

    /** The index after the '>' of the first {@code closeTag} (case-insensitive) from {@code from}; the end when there is none. */
    private static int skipPast(String html, int from, String closeTag, Finder find) {
        int close = find.indexOfIgnoreCase(closeTag, from);
        if (close < 0) {
            return html.length();
        }
        int gt = html.indexOf('>', close);
        return gt < 0 ? html.length() : gt + 1;
    }

    /**
     * Searches of one text that remember their last answer per needle, so that scanning forward
     * stays linear on hostile input (thousands of {@code <!--} without {@code -->}, or of
     * unclosed quotes): a search from {@code from} after an earlier one from {@code f <= from}
     * that found {@code r >= from} (or nothing) has the same answer.
     */
    private static final class Finder {
        private final String text;
        private final java.util.Map<String, int[]> last = new java.util.HashMap<>(); // needle -> {from, result}

        Finder(String text) {
            this.text = text;
        }

        int indexOf(String needle, int from) {
            return find(needle, from, false);
        }

        int indexOfIgnoreCase(String lowerNeedle, int from) {
            return find(lowerNeedle, from, true);
        }

        private int find(String needle, int from, boolean ignoreCase) {
            String key = ignoreCase ? "i" + needle : "c" + needle;
            int[] m = last.get(key);
            if (m != null && from >= m[0] && (m[1] < 0 || m[1] >= from)) {
                return m[1];
            }
            int r = ignoreCase ? HtmlText.indexOfIgnoreCase(text, needle, from) : text.indexOf(needle, from);
            last.put(key, new int[] {from, r});
            return r;
        }
    }

    static int indexOfIgnoreCase(String s, String lowerNeedle, int from) {
        int last = s.length() - lowerNeedle.length();
        for (int i = Math.max(0, from); i <= last; i++) {
            if (s.regionMatches(true, i, lowerNeedle, 0, lowerNeedle.length())) {
                return i;
            }
        }
        return -1;
    }

    /** Decodes the character references of {@code text} (no tags), leaving whitespace alone. */
    public static String decodeReferences(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '&') {
                i = appendReference(text, i, out);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * Appends the character reference starting at {@code s[at] == '&'} to {@code out} (or the '&'
     * itself when it starts none) and returns the index after what was consumed.
     */
    private static int appendReference(String s, int at, StringBuilder out) {
        int n = s.length();
        if (at + 1 < n && s.charAt(at + 1) == '#') {
            boolean hex = at + 2 < n && (s.charAt(at + 2) == 'x' || s.charAt(at + 2) == 'X');
            int digitsStart = at + (hex ? 3 : 2);
            int k = digitsStart;
            long value = 0;
            while (k < n && Character.digit(s.charAt(k), hex ? 16 : 10) >= 0 && s.charAt(k) < 128) {
                value = Math.min(0x7FFFFFFFL, value * (hex ? 16 : 10) + Character.digit(s.charAt(k), hex ? 16 : 10));
                k++;
            }
            if (k == digitsStart) {
                out.append('&');
                return at + 1;
            }
            out.appendCodePoint(numericCharacter(value));
            return k < n && s.charAt(k) == ';' ? k + 1 : k;
        }
        int k = at + 1;
        while (k < n && k - at - 1 < HtmlEntities.MAX_NAME_LENGTH + 1 && isAlnum(s.charAt(k))) {
            k++;
        }
        String name = s.substring(at + 1, k);
        boolean semicolon = k < n && s.charAt(k) == ';';
        int cp = name.isEmpty() ? -1 : HtmlEntities.codePoint(name);
        if (cp < 0 && !name.isEmpty()) {
            cp = HtmlEntities.codePoint(name.toLowerCase(Locale.ROOT)); // "&NBSP;" in sloppy HTML
        }
        boolean terminated = semicolon || k >= n || !isAlnum(s.charAt(k));
        if (cp < 0 || !terminated) {
            out.append('&');
            return at + 1;
        }
        out.appendCodePoint(cp);
        return semicolon ? k + 1 : k;
    }

    /** The character a numeric reference denotes, with the HTML5 repairs. */
    private static int numericCharacter(long value) {
        if (value >= 0x80 && value <= 0x9F) {
            String s = new String(new byte[] {(byte) value}, WINDOWS_1252);
            return s.codePointAt(0); // U+FFFD for the five bytes Windows-1252 leaves undefined
        }
        if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
            return 0xFFFD;
        }
        return (int) value;
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** One space for each run of blanks, lines trimmed, at most one empty line in a row, none at either end. */
    static String normaliseWhitespace(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length());
        int emptyLines = 0;
        boolean started = false;
        int i = 0;
        int n = text.length();
        while (i <= n) {
            int lineEnd = i;
            while (lineEnd < n && text.charAt(lineEnd) != '\n') {
                lineEnd++;
            }
            StringBuilder line = new StringBuilder(lineEnd - i);
            boolean blank = false;
            for (int k = i; k < lineEnd; k++) {
                char c = text.charAt(k);
                if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                    blank = true;
                } else {
                    if (blank && !line.isEmpty()) {
                        line.append(' ');
                    }
                    blank = false;
                    line.append(c);
                }
            }
            if (line.isEmpty()) {
                emptyLines++;
            } else {
                if (started) {
                    out.append(emptyLines > 0 ? "\n\n" : "\n");
                }
                out.append(line);
                started = true;
                emptyLines = 0;
            }
            i = lineEnd + 1;
        }
        return out.toString();
    }
}
