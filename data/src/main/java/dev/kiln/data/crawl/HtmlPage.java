package dev.kiln.data.crawl;

import dev.kiln.data.text.HtmlText;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the crawler takes from an HTML page: its title, its links and its main text.
 *
 * <ul>
 *   <li>Links: the {@code href} of every {@code <a>} and {@code <area>}, and of {@code <link
 *       rel=canonical>}, resolved against the page URL (or its {@code <base href>}) and normalised
 *       by {@link CrawlUrls}; non-http(s) links are dropped, duplicates kept once, in page order.
 *       Links inside comments, scripts and styles are not links.
 *   <li>Main text: {@link HtmlText} does not drop page chrome, so the {@code nav}, {@code header},
 *       {@code footer} and {@code aside} elements (with what they contain, nesting counted) are cut
 *       out first: menus and copyright lines repeated on every page would otherwise dominate a
 *       crawled corpus. An unclosed one runs to the end of the page, like HtmlText's script.
 *   <li>Title: the first {@code <title>}, references decoded and whitespace collapsed; "" without one.
 *       Title elements are left out of the main text (HtmlText keeps one found outside {@code <head>}).
 * </ul>
 */
public record HtmlPage(String title, List<String> links, String text) {
    private static final Set<String> CHROME = Set.of("nav", "header", "footer", "aside");

    public HtmlPage {
        links = List.copyOf(links);
    }

    /** Parses {@code html} fetched from {@code pageUrl} (absolute). */
    public static HtmlPage parse(String html, String pageUrl) {
        URI base = URI.create(pageUrl);
        Set<String> links = new LinkedHashSet<>();
        StringBuilder main = new StringBuilder(html.length());
        String title = null;
        int chromeDepth = 0;
        String chromeName = null;
        int copied = 0; // html[copied, i) is still to be copied into main
        int n = html.length();
        int i = 0;
        while (i < n) {
            int lt = html.indexOf('<', i);
            if (lt < 0) {
                break;
            }
            if (html.startsWith("<!--", lt)) {
                int close = html.indexOf("-->", lt + 4);
                i = close < 0 ? n : close + 3;
                continue;
            }
            boolean closing = lt + 1 < n && html.charAt(lt + 1) == '/';
            int nameStart = lt + (closing ? 2 : 1);
            int nameEnd = nameStart;
            while (nameEnd < n && (Character.isLetterOrDigit(html.charAt(nameEnd)) || html.charAt(nameEnd) == '-')) {
                nameEnd++;
            }
            int gt = tagEnd(html, nameEnd);
            if (nameEnd == nameStart || gt < 0) {
                i = lt + 1;
                continue;
            }
            String name = html.substring(nameStart, nameEnd).toLowerCase(Locale.ROOT);
            String attrs = html.substring(nameEnd, gt);
            i = gt + 1;
            if (!closing && (name.equals("script") || name.equals("style"))) {
                int close = HtmlPage.indexOfIgnoreCase(html, "</" + name, i);
                i = close < 0 ? n : close; // the end tag is read next round
                continue;
            }
            if (!closing && name.equals("title")) {
                int close = HtmlPage.indexOfIgnoreCase(html, "</title", i);
                if (title == null) {
                    String raw = html.substring(i, close < 0 ? n : close);
                    title = HtmlText.decodeReferences(raw).replaceAll("\\s+", " ").strip();
                }
                if (chromeName == null) { // recorded apart; a title outside <head> would otherwise lead the text
                    main.append(html, copied, lt);
                    int gtClose = close < 0 ? -1 : html.indexOf('>', close);
                    copied = gtClose < 0 ? n : gtClose + 1;
                    i = Math.max(i, copied);
                }
                continue;
            }
            if (CHROME.contains(name)) {
                if (chromeName == null && !closing) {
                    chromeName = name;
                    chromeDepth = 1;
                    main.append(html, copied, lt);
                } else if (name.equals(chromeName)) {
                    chromeDepth += closing ? -1 : 1;
                    if (chromeDepth == 0) {
                        chromeName = null;
                        copied = i;
                        main.append("<div>"); // the cut keeps the text on either side apart
                    }
                }
            }
            if (closing) {
                continue;
            }
            if (name.equals("base") && base != null) {
                String href = attribute(attrs, "href");
                String b = href == null ? null : CrawlUrls.resolve(base, href);
                if (b != null) {
                    base = URI.create(b);
                }
            } else if (name.equals("a") || name.equals("area")) {
                addLink(links, base, attribute(attrs, "href"));
            } else if (name.equals("link")) {
                String rel = attribute(attrs, "rel");
                if (rel != null && rel.toLowerCase(Locale.ROOT).contains("canonical")) {
                    addLink(links, base, attribute(attrs, "href"));
                }
            }
        }
        if (chromeName == null) {
            main.append(html, copied, n);
        }
        return new HtmlPage(title == null ? "" : title, new ArrayList<>(links), HtmlText.toText(main.toString()));
    }

    private static void addLink(Set<String> links, URI base, String href) {
        String url = href == null ? null : CrawlUrls.resolve(base, HtmlText.decodeReferences(href));
        if (url != null) {
            links.add(url);
        }
    }

    /** The '>' ending a tag whose attributes start at {@code from}, quoted values skipped; -1 if none. */
    private static int tagEnd(String html, int from) {
        for (int i = from; i < html.length(); i++) {
            char c = html.charAt(i);
            if (c == '"' || c == '\'') {
                int close = html.indexOf(c, i + 1);
                if (close < 0) {
                    return html.indexOf('>', from); // an unclosed quote: best effort
                }
                i = close;
            } else if (c == '>') {
                return i;
            }
        }
        return -1;
    }

    /** The value of attribute {@code name} in a tag's attribute text, unquoted; null when absent. */
    static String attribute(String attrs, String name) {
        int n = attrs.length();
        int i = 0;
        while (i < n) {
            while (i < n && (Character.isWhitespace(attrs.charAt(i)) || attrs.charAt(i) == '/')) {
                i++;
            }
            int keyStart = i;
            while (i < n && !Character.isWhitespace(attrs.charAt(i)) && attrs.charAt(i) != '=' && attrs.charAt(i) != '/') {
                i++;
            }
            String key = attrs.substring(keyStart, i);
            while (i < n && Character.isWhitespace(attrs.charAt(i))) {
                i++;
            }
            String value = "";
            if (i < n && attrs.charAt(i) == '=') {
                i++;
                while (i < n && Character.isWhitespace(attrs.charAt(i))) {
                    i++;
                }
                if (i < n && (attrs.charAt(i) == '"' || attrs.charAt(i) == '\'')) {
                    char q = attrs.charAt(i);
                    int close = attrs.indexOf(q, i + 1);
                    value = attrs.substring(i + 1, close < 0 ? n : close);
                    i = close < 0 ? n : close + 1;
                } else {
                    int start = i;
                    while (i < n && !Character.isWhitespace(attrs.charAt(i))) {
                        i++;
                    }
                    value = attrs.substring(start, i);
                }
            }
            if (key.equalsIgnoreCase(name)) {
                return value;
            }
            if (key.isEmpty()) {
                i++; // a stray character: step over it
            }
        }
        return null;
    }

    private static int indexOfIgnoreCase(String s, String lowerNeedle, int from) {
        int last = s.length() - lowerNeedle.length();
        for (int i = Math.max(0, from); i <= last; i++) {
            if (s.regionMatches(true, i, lowerNeedle, 0, lowerNeedle.length())) {
                return i;
            }
        }
        return -1;
    }
}
