package dev.kiln.data.wiki;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Plain text from MediaWiki wikitext, for language-model corpora: what a reader sees of the
 * article's prose, without rendering templates. A hand-written scanner in passes, each linear in
 * the input (brackets are matched with stacks, never with backtracking regular expressions, so
 * deeply nested or unbalanced markup costs no more than plain text):
 *
 * <ol>
 *   <li>comments {@code <!-- -->} go; {@code <ref>}, {@code <gallery>}, {@code <math>} and other
 *       non-prose extension tags go with their content; {@code <nowiki>} and {@code <pre>}
 *       content is kept verbatim (no markup inside is interpreted); other known HTML tags are
 *       dropped and their content kept ({@code <br>} and block tags become line breaks);
 *   <li>templates and parameters {@code {{...}}}, {@code {{{...}}}} go, nested to any depth;
 *       unbalanced braces stay as written (as MediaWiki shows them);
 *   <li>tables {@code {| ... |}} go, nested ones too;
 *   <li>{@code [[File:...]]}, {@code [[Image:...]]}, {@code [[Category:...]]} go;
 *       {@code [[target|label]]} becomes the label, {@code [[target]]} the target, {@code
 *       [[target|]]} the target without its namespace and parenthetical (the pipe trick);
 *   <li>{@code [http://x label]} becomes the label ({@code [http://x]} nothing);
 *   <li>bold/italic quotes {@code '''}, {@code ''} go; behaviour switches {@code __TOC__} go;
 *   <li>headings {@code == H ==} become {@code H}; list and indent markers {@code * # : ;} and
 *       rules {@code ----} go; runs of spaces become one; blank lines collapse to one;
 *   <li>HTML character references are decoded last (so {@code &lt;ref&gt;} stays text).
 * </ol>
 */
public final class WikitextToText {
    /** Links nested deeper than this (only adversarial text does that) are left as written. */
    private static final int MAX_LINK_DEPTH = 32;
    /** A tag's attributes may not run longer than this; a longer "tag" is taken as text. */
    private static final int MAX_TAG_LENGTH = 2000;
    private static final char VERBATIM_OPEN = '\uE000';
    private static final char VERBATIM_CLOSE = '\uE001';
    /**
     * Left where markup was removed, so that a line that held only markup (a template, an image,
     * a category) disappears instead of becoming a paragraph break; dropped at the end.
     */
    private static final char REMOVED = '\uE002';

    /** Extension tags whose content is not prose: dropped with their content. */
    private static final Set<String> DROPPED = Set.of("ref", "references", "gallery", "math", "chem", "ce", "score",
            "timeline", "graph", "imagemap", "mapframe", "maplink", "templatedata", "templatestyles", "syntaxhighlight",
            "source", "hiero", "inputbox", "categorytree", "includeonly", "indicator", "charinsert", "dynamicpagelist",
            "style", "script", "noexport");
    /** Tags whose content is shown as written. */
    private static final Set<String> VERBATIM = Set.of("nowiki", "pre");
    /** HTML tags allowed in wikitext (and transparent extension tags): the tag goes, the content stays. */
    private static final Set<String> TRANSPARENT = Set.of("abbr", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
            "center", "cite", "code", "data", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4",
            "h5", "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp",
            "small", "span", "strike", "strong", "sub", "sup", "table", "td", "th", "time", "tr", "tt", "u", "ul", "var",
            "wbr", "poem", "noinclude", "onlyinclude", "section", "translate", "tvar");
    /** Tags that start a new line where they open. */
    private static final Set<String> LINE_BREAKING = Set.of("br", "p", "div", "li", "tr", "dd", "dt", "blockquote", "hr",
            "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "poem");
    /** Link namespaces that do not show as text. */
    private static final Set<String> DROPPED_NAMESPACES = Set.of("file", "image", "category");
    private static final List<String> URL_SCHEMES = List.of("http://", "https://", "ftp://", "ftps://", "sftp://", "//",
            "mailto:", "news:", "irc://", "ircs://", "git://");

    private WikitextToText() {}

    /** The plain text of {@code wikitext}. */
    public static String convert(String wikitext) {
        Objects.requireNonNull(wikitext, "WikitextToText.convert: wikitext");
        String s = wikitext.replace(String.valueOf(VERBATIM_OPEN), "").replace(String.valueOf(VERBATIM_CLOSE), "")
                .replace(String.valueOf(REMOVED), "");
        List<String> verbatim = new ArrayList<>();
        s = stripCommentsAndTags(s, verbatim);
        s = removeTemplates(s);
        s = removeTables(s);
        s = renderLinks(s);
        s = renderExternalLinks(s);
        s = removeQuotesAndSwitches(s);
        s = cleanLines(s);
        s = restoreVerbatim(s, verbatim);
        return HtmlEntities.decode(s);
    }

    // ---- 1. comments and tags ----

    private record Tag(String name, boolean closing, boolean selfClosing, int end) {}

    static String stripCommentsAndTags(String s, List<String> verbatim) {
        StringBuilder out = new StringBuilder(s.length());
        Map<String, Integer> noCloserFrom = new HashMap<>(); // "no </name> at or after this index"
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c != '<') {
                out.append(c);
                i++;
                continue;
            }
            if (s.startsWith("<!--", i)) {
                int end = s.indexOf("-->", i + 4);
                i = end < 0 ? n : end + 3;
                out.append(REMOVED);
                continue;
            }
            Tag t = parseTag(s, i);
            if (t == null || !(DROPPED.contains(t.name) || VERBATIM.contains(t.name) || TRANSPARENT.contains(t.name))) {
                out.append(c);
                i++;
                continue;
            }
            if (t.closing || t.selfClosing || TRANSPARENT.contains(t.name)) {
                out.append(!t.closing && LINE_BREAKING.contains(t.name) ? '\n' : REMOVED);
                i = t.end;
                continue;
            }
            int[] closer = findCloser(s, t.name, t.end, noCloserFrom);
            if (closer == null) {
                out.append(REMOVED);
                i = t.end; // an unclosed tag: drop it alone and read on
                continue;
            }
            if (VERBATIM.contains(t.name)) {
                out.append(VERBATIM_OPEN).append(verbatim.size()).append(VERBATIM_CLOSE);
                verbatim.add(s.substring(t.end, closer[0]));
            } else {
                out.append(REMOVED);
            }
            i = closer[1];
        }
        return out.toString();
    }

    /** The tag starting at {@code s[i] == '<'}, or null when it is not tag syntax. */
    private static Tag parseTag(String s, int i) {
        int n = s.length();
        int j = i + 1;
        boolean closing = j < n && s.charAt(j) == '/';
        if (closing) {
            j++;
        }
        int nameStart = j;
        while (j < n && (isAsciiLetter(s.charAt(j)) || (j > nameStart && Character.isDigit(s.charAt(j))))) {
            j++;
        }
        if (j == nameStart || j >= n) {
            return null;
        }
        char after = s.charAt(j);
        if (after != '>' && after != '/' && !Character.isWhitespace(after)) {
            return null;
        }
        int limit = Math.min(n, i + MAX_TAG_LENGTH);
        int k = j;
        while (k < limit && s.charAt(k) != '>' && s.charAt(k) != '<') {
            k++;
        }
        if (k >= limit || s.charAt(k) != '>') {
            return null;
        }
        String name = s.substring(nameStart, j).toLowerCase(Locale.ROOT);
        return new Tag(name, closing, s.charAt(k - 1) == '/', k + 1);
    }

    /** [start, end) of the first {@code </name>} at or after {@code from}, or null. */
    private static int[] findCloser(String s, String name, int from, Map<String, Integer> noCloserFrom) {
        Integer none = noCloserFrom.get(name);
        if (none != null && from >= none) {
            return null;
        }
        int k = from;
        while (true) {
            int lt = s.indexOf("</", k);
            if (lt < 0) {
                noCloserFrom.put(name, from);
                return null;
            }
            int j = lt + 2;
            if (s.regionMatches(true, j, name, 0, name.length())) {
                j += name.length();
                while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                if (j < s.length() && s.charAt(j) == '>') {
                    return new int[] {lt, j + 1};
                }
            }
            k = lt + 2;
        }
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    // ---- 2. templates ----

    /**
     * Removes {@code {{...}}} and {@code {{{...}}}} spans. Like MediaWiki's preprocessor, a run of
     * closing braces is matched against the innermost open run, two or three braces at a time.
     */
    static String removeTemplates(String s) {
        int n = s.length();
        if (s.indexOf("{{") < 0) {
            return s;
        }
        int[] cover = new int[n + 1]; // +1 where a removed span starts, -1 where it ends
        ArrayDeque<int[]> open = new ArrayDeque<>(); // {start of run, braces still open}
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '{') {
                int j = run(s, i, '{');
                if (j - i >= 2) {
                    open.push(new int[] {i, j - i});
                }
                i = j;
            } else if (c == '}' && !open.isEmpty()) {
                int j = run(s, i, '}');
                int remaining = j - i;
                while (remaining >= 2 && !open.isEmpty()) {
                    int[] top = open.peek();
                    int m = Math.min(3, Math.min(remaining, top[1]));
                    int spanStart = top[0] + top[1] - m; // the innermost m braces of the open run
                    int spanEnd = j - remaining + m;
                    cover[spanStart]++;
                    cover[spanEnd]--;
                    top[1] -= m;
                    remaining -= m;
                    if (top[1] < 2) {
                        open.pop();
                    }
                }
                i = j;
            } else {
                i++;
            }
        }
        StringBuilder out = new StringBuilder(n);
        int depth = 0;
        for (int k = 0; k < n; k++) {
            int before = depth;
            depth += cover[k];
            if (depth == 0) {
                if (before > 0) {
                    out.append(REMOVED);
                }
                out.append(s.charAt(k));
            }
        }
        if (depth > 0) {
            out.append(REMOVED);
        }
        return out.toString();
    }

    private static int run(String s, int i, char c) {
        int j = i;
        while (j < s.length() && s.charAt(j) == c) {
            j++;
        }
        return j;
    }

    // ---- 3. tables ----

    static String removeTables(String s) {
        if (!s.contains("{|")) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int depth = 0;
        int start = 0;
        while (start <= s.length()) {
            int nl = s.indexOf('\n', start);
            int end = nl < 0 ? s.length() : nl;
            String body = s.substring(start, end).strip();
            int k = 0;
            while (k < body.length() && body.charAt(k) == ':') {
                k++; // indented table
            }
            if (body.startsWith("{|", k)) {
                depth++;
            } else if (depth > 0 && body.startsWith("|}")) {
                depth--;
                if (depth == 0) {
                    out.append('\n'); // a table separates the paragraphs around it
                }
            } else if (depth == 0) {
                out.append(s, start, end);
                if (nl >= 0) {
                    out.append('\n');
                }
            }
            if (nl < 0) {
                break;
            }
            start = nl + 1;
        }
        return out.toString();
    }

    // ---- 4. internal links ----

    static String renderLinks(String s) {
        if (!s.contains("[[")) {
            return s;
        }
        int n = s.length();
        int[] closeOf = new int[n]; // index of the matching "]]" for a "[[" at this index, else -1
        java.util.Arrays.fill(closeOf, -1);
        ArrayDeque<Integer> open = new ArrayDeque<>();
        int i = 0;
        while (i + 1 < n) {
            if (s.charAt(i) == '[' && s.charAt(i + 1) == '[') {
                open.push(i);
                i += 2;
            } else if (s.charAt(i) == ']' && s.charAt(i + 1) == ']' && !open.isEmpty()) {
                closeOf[open.pop()] = i;
                i += 2;
            } else {
                i++;
            }
        }
        StringBuilder out = new StringBuilder(n);
        render(s, 0, n, closeOf, 0, out);
        return out.toString();
    }

    private static void render(String s, int from, int to, int[] closeOf, int depth, StringBuilder out) {
        int i = from;
        while (i < to) {
            if (i + 1 < to && s.charAt(i) == '[' && s.charAt(i + 1) == '[' && closeOf[i] >= 0 && closeOf[i] + 2 <= to
                    && depth < MAX_LINK_DEPTH) {
                renderLink(s, i + 2, closeOf[i], closeOf, depth + 1, out);
                i = closeOf[i] + 2;
            } else {
                out.append(s.charAt(i));
                i++;
            }
        }
    }

    private static void renderLink(String s, int a, int b, int[] closeOf, int depth, StringBuilder out) {
        int pipe = -1;
        for (int k = a; k < b; k++) {
            if (k + 1 < b && s.charAt(k) == '[' && s.charAt(k + 1) == '[' && closeOf[k] >= 0 && closeOf[k] < b) {
                k = closeOf[k] + 1; // skip a nested link
            } else if (s.charAt(k) == '|') {
                pipe = k;
                break;
            }
        }
        String target = s.substring(a, pipe < 0 ? b : pipe).strip();
        boolean leadingColon = target.startsWith(":");
        String shown = leadingColon ? target.substring(1).strip() : target;
        int colon = shown.indexOf(':');
        if (!leadingColon && colon > 0) {
            String ns = shown.substring(0, colon).strip().replace('_', ' ').toLowerCase(Locale.ROOT);
            if (DROPPED_NAMESPACES.contains(ns)) {
                out.append(REMOVED);
                return;
            }
        }
        if (pipe < 0) {
            out.append(shown);
        } else if (s.substring(pipe + 1, b).isBlank()) {
            out.append(pipeTrick(shown));
        } else {
            render(s, pipe + 1, b, closeOf, depth, out);
        }
    }

    /** {@code [[Help:Foo (bar)|]]} shows {@code Foo}. */
    private static String pipeTrick(String target) {
        String t = target;
        int colon = t.indexOf(':');
        if (colon > 0) {
            t = t.substring(colon + 1);
        }
        int paren = t.lastIndexOf(" (");
        if (paren > 0 && t.endsWith(")")) {
            t = t.substring(0, paren);
        }
        return t.strip();
    }

    // ---- 5. external links ----

    static String renderExternalLinks(String s) {
        if (s.indexOf('[') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '[' && startsWithScheme(s, i + 1)) {
                int close = i + 1;
                while (close < n && s.charAt(close) != ']' && s.charAt(close) != '\n') {
                    close++;
                }
                if (close < n && s.charAt(close) == ']') {
                    int space = i + 1;
                    while (space < close && s.charAt(space) != ' ' && s.charAt(space) != '\t') {
                        space++;
                    }
                    out.append(s.substring(space, close).strip());
                    i = close + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static boolean startsWithScheme(String s, int i) {
        for (String scheme : URL_SCHEMES) {
            if (s.regionMatches(true, i, scheme, 0, scheme.length())) {
                return true;
            }
        }
        return false;
    }

    // ---- 6. quotes and behaviour switches ----

    static String removeQuotesAndSwitches(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\'') {
                int j = run(s, i, '\'');
                int k = j - i;
                if (k == 4) {
                    out.append('\''); // an apostrophe followed by bold
                } else if (k > 5) {
                    out.repeat('\'', k - 5);
                } else if (k == 1) {
                    out.append('\'');
                }
                i = j;
                continue;
            }
            if (c == '_' && s.startsWith("__", i)) {
                int j = i + 2;
                while (j < n && s.charAt(j) >= 'A' && s.charAt(j) <= 'Z') {
                    j++;
                }
                if (j > i + 2 && s.startsWith("__", j)) {
                    i = j + 2; // __TOC__, __NOTOC__, ...
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    // ---- 7. lines ----

    static String cleanLines(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean pendingBlank = false;
        int start = 0;
        while (start <= s.length()) {
            int nl = s.indexOf('\n', start);
            int end = nl < 0 ? s.length() : nl;
            String raw = s.substring(start, end);
            boolean hadMarkup = raw.indexOf(REMOVED) >= 0;
            String line = cleanLine(hadMarkup ? raw.replace(String.valueOf(REMOVED), "") : raw);
            if (line.isEmpty()) {
                if (!hadMarkup) {
                    pendingBlank = out.length() > 0; // a blank line in the source: a paragraph break
                }
            } else {
                if (out.length() > 0) {
                    out.append(pendingBlank ? "\n\n" : "\n");
                }
                out.append(line);
                pendingBlank = false;
            }
            if (nl < 0) {
                break;
            }
            start = nl + 1;
        }
        return out.toString();
    }

    private static String cleanLine(String raw) {
        String line = raw.strip();
        if (line.isEmpty()) {
            return line;
        }
        if (line.length() >= 4 && line.chars().allMatch(ch -> ch == '-')) {
            return ""; // horizontal rule
        }
        if (line.length() >= 2 && line.charAt(0) == '=' && line.charAt(line.length() - 1) == '=') {
            int lead = Math.min(6, run(line, 0, '='));
            int trail = 0;
            while (trail < 6 && trail < line.length() && line.charAt(line.length() - 1 - trail) == '=') {
                trail++;
            }
            int level = Math.min(lead, trail);
            if (2 * level < line.length()) {
                String heading = line.substring(level, line.length() - level).strip();
                if (!heading.isEmpty()) {
                    line = heading;
                }
            }
        } else {
            int k = 0;
            while (k < line.length() && "*#:;".indexOf(line.charAt(k)) >= 0) {
                k++;
            }
            line = line.substring(k).strip();
        }
        return collapseSpaces(line);
    }

    private static String collapseSpaces(String line) {
        if (!line.contains("  ") && line.indexOf('\t') < 0) {
            return line;
        }
        StringBuilder out = new StringBuilder(line.length());
        boolean space = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                space = true;
            } else {
                if (space) {
                    out.append(' ');
                    space = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    // ---- 8. verbatim spans ----

    private static String restoreVerbatim(String s, List<String> verbatim) {
        if (verbatim.isEmpty()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == VERBATIM_OPEN) {
                int j = i + 1;
                int index = 0;
                while (j < n && j - i <= 9 && Character.isDigit(s.charAt(j))) {
                    index = 10 * index + (s.charAt(j) - '0');
                    j++;
                }
                if (j < n && j > i + 1 && s.charAt(j) == VERBATIM_CLOSE && index < verbatim.size()) {
                    out.append(verbatim.get(index));
                    i = j + 1;
                    continue;
                }
                i++; // a marker a later pass cut apart: drop it
                continue;
            } else if (c == VERBATIM_CLOSE) {
                i++;
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }
}
