package dev.kiln.data.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HtmlTextTest {
    @Test
    void tagsGoBlocksBreakLinesAndParagraphsStandApart() {
        String html = "<html><body><h1>Title</h1><p>First <b>bold</b>\n  paragraph.</p><p>Second</p>"
                + "<div>a</div><div>b<br>c</div><ul><li>one</li><li>two</li></ul>"
                + "<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table></body></html>";
        assertEquals("Title\n\nFirst bold paragraph.\n\nSecond\n\na\nb\nc\none\ntwo\nx y\nz", HtmlText.toText(html));
    }

    @Test
    void scriptStyleHeadAndCommentsAreDropped() {
        String html = "<!DOCTYPE html><?xml version=\"1.0\"?><html><head><title>T</title>"
                + "<style>p { color: red }</style></head><body>"
                + "<script type=\"text/javascript\">if (a < b) { x = '</p>'; }</script>"
                + "<!-- a comment <p>hidden</p> -->Shown<STYLE>.x{}</STYLE> text</body></html>";
        assertEquals("Shown text", HtmlText.toText(html));
        assertEquals("Body", HtmlText.toText("<head><meta charset=utf-8><title>T</title><body>Body"), "<body> ends an unclosed head");
        assertEquals("T\nBody", HtmlText.toText("<head><title>T</title>Body"), "a head that never ends is kept");
    }

    @Test
    void characterReferencesAreDecoded() {
        assertEquals("a & b < c > d \"e\" 'f'", HtmlText.toText("a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"));
        assertEquals("caf\u00e9 \u00e9 \u00e9 \u20ac \u2014", HtmlText.toText("caf&eacute; &#233; &#xE9; &euro; &mdash;"));
        assertEquals("\u2013 \u201c \u2122", HtmlText.toText("&#150; &#147; &#153;"), "128-159 are Windows-1252");
        assertEquals("\ufffd \ufffd \ufffd", HtmlText.toText("&#0; &#xD800; &#1114112;"));
        assertEquals("AT&T &bogus; & &#; &#x;", HtmlText.toText("AT&T &bogus; & &#; &#x;"), "no reference: kept as text");
        assertEquals("\u00a9 2002 \u00e9x", HtmlText.toText("&copy 2002 &eacute;x"),
                "a known name without ';' before a non-alphanumeric character");
        assertEquals("&copy2002", HtmlText.toText("&copy2002"), "but not inside a word");
        assertEquals("x y", HtmlText.toText("x&NBSP;y"), "upper case names fall back to lower case; nbsp is a blank");
        assertEquals("a\u00a0b", HtmlText.decodeReferences("a&nbsp;b"), "decodeReferences keeps whitespace as it is");
    }

    @Test
    void everyHtml4EntityDecodesToItsCodePoint() throws IOException {
        // html4_entities.txt comes from Python's html.entities (data/src/test/python/html_entities_fixture.py)
        List<String> lines;
        try (InputStream in = HtmlTextTest.class.getResourceAsStream("/text/html4_entities.txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
        }
        assertEquals(252, lines.size());
        for (String line : lines) {
            String[] f = line.split(" ");
            int cp = Integer.parseInt(f[1]);
            assertEquals(new String(Character.toChars(cp)), HtmlText.decodeReferences("&" + f[0] + ";"), f[0]);
        }
        assertEquals(253, HtmlEntities.size(), "the 252 plus apos");
    }

    @Test
    void malformedMarkupGivesABestEffortText() {
        assertEquals("Hello", HtmlText.toText("<p>Hello <b"), "a tag cut off at the end is dropped");
        assertEquals("Hello world", HtmlText.toText("<p>Hello <b>world"), "unclosed elements");
        assertEquals("1 < 2 and 3 > 2", HtmlText.toText("1 < 2 and 3 > 2"));
        assertEquals("a <= b", HtmlText.toText("a <= b"));
        assertEquals("link text", HtmlText.toText("<a href=\"x>y\" title='a>b'>link</a> text"), "'>' inside quoted values");
        assertEquals("after", HtmlText.toText("<a href=\"never closed>after"), "a quote that never closes is ignored");
        assertEquals("keep", HtmlText.toText("<!-- unclosed comment >keep"), "a comment without --> ends at the next '>'");
        assertEquals("", HtmlText.toText("<!-- unclosed"));
        assertEquals("visible", HtmlText.toText("visible<script>var x = 1;"), "an unclosed script runs to the end");
        assertEquals("ab", HtmlText.toText("a</ >b"), "a broken end tag is dropped");
        assertEquals("it's", HtmlText.toText("<font face=Arial's>it's</font>"), "an apostrophe not after '=' opens no quote");
        assertEquals("", HtmlText.toText(""));
        assertEquals("", HtmlText.toText(null));
    }

    @Test
    void whitespaceIsNormalised() {
        assertEquals("a b\n\nc", HtmlText.toText("  a \t\n b  <p>  </p> <p></p><br><br> c \u00a0 "));
    }

    @Test
    void hostileInputStaysLinear() {
        // each of these makes a naive forward search rescan the rest of the input at every tag: quadratic
        String comments = "<!-- x >".repeat(100_000);
        String quotes = "<a b=\"c>".repeat(100_000);
        String heads = "<head>".repeat(100_000);
        String text = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> HtmlText.toText(comments + quotes + heads));
        assertEquals("", text);
    }

    @Test
    void randomBytesNeverThrow() {
        Random r = new Random(3);
        String alphabet = "<>/!-&#;=\"' abcxyzp\n";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(60);
            for (int i = 0; i < len; i++) {
                sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            String text = HtmlText.toText(sb.toString());
            assertTrue(text.equals(text.strip()), () -> "not trimmed: '" + text + "' from '" + sb + "'");
        }
    }
}
