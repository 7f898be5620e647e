package dev.kiln.data.crawl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlPageTest {
    @Test
    void titleLinksAndMainText() {
        String html = """
                <html><head><title> Caf&eacute;
                  menu </title><link rel="canonical" href="/canon"></head>
                <body>
                <header><a href="/home">Home</a> Site name</header>
                <nav><ul><li><a href='/a'>A</a><li><a href=b.html>B</a></ul><nav>inner</nav> still nav</nav>
                <main><h1>Heading</h1><p>Body text with <a href="/a#section">a link</a>.</p>
                <!-- <a href="/commented">no</a> -->
                <script>var s = "<a href='/scripted'>";</script>
                <a href="mailto:x@y.z">mail</a> <a href="HTTP://Example.com:80/abs">abs</a>
                <a href="/q?x=1&amp;y=2">q</a></main>
                <aside>Related</aside>
                <footer>Copyright 2026</footer>
                </body></html>
                """;
        HtmlPage page = HtmlPage.parse(html, "http://example.com/dir/index.html");
        assertEquals("Café menu", page.title());
        assertEquals(List.of("http://example.com/canon", "http://example.com/home", "http://example.com/a",
                "http://example.com/dir/b.html", "http://example.com/abs", "http://example.com/q?x=1&y=2"), page.links());
        assertEquals("Heading\n\nBody text with a link.\n\nmail abs q", page.text());
    }

    @Test
    void baseHrefAndUnclosedChrome() {
        HtmlPage page = HtmlPage.parse("<base href=\"http://other.org/root/\"><p>Kept</p><a href=x>x</a><footer>lost",
                "http://example.com/");
        assertEquals(List.of("http://other.org/root/x"), page.links());
        assertEquals("Kept\n\nx", page.text());
        assertEquals("", page.title());
    }
}
